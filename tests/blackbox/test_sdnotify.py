"""Both daemons speak systemd's notification protocol (common/sdnotify.c)
to the socket $NOTIFY_SOCKET names, here one this test listens on: READY=1
once serving, WATCHDOG=1 every half $WATCHDOG_USEC, RELOADING=1 (with
MONOTONIC_USEC) then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM.
qpayd gets a path, the executor an abstract name (@...)."""
import os
import re
import signal
import socket
import time

from conftest import EXECUTOR, Daemon, Server, assert_no_sanitizer
from test_executor_pay import fakes, stack  # noqa: F401

WATCHDOG_USEC = 1_000_000  # a ping every 0.5 s


class Listener:
    def __init__(self, name):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + name[1:] if name.startswith("@") else name)
        self.name = name

    def next(self, timeout=15):
        self.sock.settimeout(timeout)
        msg, _ = self.sock.recvfrom(4096)
        return msg.decode()

    def until(self, want, timeout=15):
        """Messages up to and including the first that starts with want."""
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            seen.append(self.next(max(0.01, deadline - time.time())))
            if seen[-1].startswith(want):
                return seen
        raise AssertionError(f"no {want!r} in {seen}")

    def pings_during(self, seconds):
        """The WATCHDOG=1 pings in the next seconds; nothing else arrives."""
        n = 0
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return n
            try:
                msg = self.next(left)
            except socket.timeout:
                return n
            assert msg == "WATCHDOG=1", msg
            n += 1

    def close(self):
        self.sock.close()


def env_for(listener):
    return {"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": str(WATCHDOG_USEC)}


def assert_lifecycle(listener, proc, reload_watchdog=()):
    """The watchdog's pace, a reload and a stop, READY=1 already seen.
    reload_watchdog: the WATCHDOG_USEC= messages expected during a reload."""
    # 2 s at one ping per 0.5 s: 4, give or take one at each end
    n = listener.pings_during(2.0)
    assert 3 <= n <= 5, f"{n} WATCHDOG=1 pings in 2 s, expected 4"
    proc.send_signal(signal.SIGHUP)
    seen = [m for m in listener.until("READY=1") if m != "WATCHDOG=1"]
    assert seen[1:] == [f"WATCHDOG_USEC={u}" for u in reload_watchdog] + ["READY=1"], seen
    assert re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=[0-9]+", seen[0]), seen
    usec = int(seen[0].split("=")[-1])
    assert abs(usec / 1e6 - time.monotonic()) < 10  # CLOCK_MONOTONIC, as systemd wants
    proc.send_signal(signal.SIGTERM)
    seen = [m for m in listener.until("STOPPING=1") if m != "WATCHDOG=1"]
    assert seen == ["STOPPING=1"], seen
    assert proc.wait(30) == 0


def test_qpayd_notifies(tmp_path, dburl, daemons):
    listener = Listener(str(tmp_path / "notify.sock"))
    try:
        start = time.time()
        server = Server(tmp_path, dburl, env_extra=env_for(listener))
        daemons.append(server)
        seen = listener.until("READY=1")
        assert [m for m in seen if m != "WATCHDOG=1"] == ["READY=1"], seen
        assert time.time() - start < 15
        # READY=1 comes once listening: the API answers by then
        status, _, _ = server.request("GET", "/healthz")
        assert status == 200
        # the reload's backend checks (15 s a store at most, one store here)
        # stretch the watchdog, then it is set back
        assert_lifecycle(listener, server.daemon.proc,
                         reload_watchdog=(WATCHDOG_USEC + 15_000_000, WATCHDOG_USEC))
        assert_no_sanitizer(server.daemon.text(), "qpayd")
    finally:
        listener.close()


def test_executor_notifies(stack, tmp_path, daemons):  # noqa: F811
    server, phoenixd, bitcoind, cfg, env = stack
    listener = Listener(f"@qpayd-test-notify-{os.getpid()}")
    try:
        d = Daemon([EXECUTOR, "--config", str(cfg), "refunds"], {**env, **env_for(listener)},
                   str(tmp_path / "executor.log"))
        daemons.append(d)
        seen = listener.until("READY=1")
        assert [m for m in seen if m != "WATCHDOG=1"] == ["READY=1"], seen
        # ready once connected, before its first pass
        d.wait_for_log("refund executor started")
        assert_lifecycle(listener, d.proc)
        assert_no_sanitizer(d.text(), "qpayd-executor")
    finally:
        listener.close()


def test_no_watchdog_for_another_pid(tmp_path, dburl, daemons):
    """WATCHDOG_PID naming another process (a child that inherited the
    environment): READY=1 still, but no pings."""
    listener = Listener(str(tmp_path / "notify.sock"))
    try:
        server = Server(tmp_path, dburl,
                        env_extra={**env_for(listener), "WATCHDOG_PID": str(os.getpid())})
        daemons.append(server)
        assert listener.until("READY=1") == ["READY=1"]
        assert listener.pings_during(1.0) == 0
    finally:
        listener.close()
