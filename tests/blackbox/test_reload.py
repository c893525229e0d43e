"""SIGHUP reloads of qpayd serve: the live configuration is reference
counted (api/live_config.c), so any number of reloads apply, requests in
flight keep the configuration they started with, and a replaced one is freed
by its last holder (no growth, no leak)."""
import os
import signal
import threading
import time

from apiutil import API, stores
from conftest import Server, server_config

RELOADS = 500
# Filler stores make each configuration weigh some 100 KiB, so that keeping
# every replaced one (as the old fixed array did) shows in RSS, not only in
# the sanitizer's leak report at exit.
FILLER = "".join(f'\n[[stores]]\nid = "filler{i}"\nnetwork = "regtest"\n' for i in range(60))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class LogCounter:
    """Counts a line in a growing log, reading only what was added."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.tail = ""
        self.count = 0

    def wait_for(self, needle, count, timeout=15, refuse=("reload refused", "reload failed")):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.path, errors="replace") as f:
                f.seek(self.offset)
                chunk = f.read()
                self.offset = f.tell()
            text = self.tail + chunk
            lines = text.split("\n")
            self.tail = lines.pop()  # an unfinished line: read it again next time
            for line in lines:
                assert not any(r in line for r in refuse), line
                if needle in line:
                    self.count += 1
            if self.count >= count:
                return
            time.sleep(0.002)
        raise AssertionError(f"{needle!r} seen {self.count} times, expected {count}")


def test_500_reloads_under_requests(tmp_path, dburl, daemons):
    """500 SIGHUPs in a row, each applied (its "configuration reloaded" line
    awaited), every other one removing the store "other": requests running
    meanwhile are all answered without a 5xx, the change is visible, and RSS
    stays flat between the 50th and the 500th reload (keeping every replaced
    configuration grows it by some 28 MiB). Before, the 65th reload was
    refused ("too many reloads since start")."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    # AddressSanitizer's quarantine would otherwise look like growth.
    s = Server(tmp_path, dburl, workers=2, stores=stores() + FILLER, env_extra={
        "ASAN_OPTIONS": f"{opts}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"})
    daemons.append(s)
    pid = s.daemon.proc.pid
    with_other = server_config(s.port, s.workers, "", stores() + FILLER)
    without_other = with_other.replace('[[stores]]\nid = "other"\nnetwork = "regtest"\n', "")
    assert without_other != with_other
    missing = "/v1/stores/other/invoices/inv_" + "1" * 26

    stop = threading.Event()
    answered, bad = [], []

    def client():
        paths = [("GET", "/healthz", None), ("GET", "/readyz", None),
                 ("GET", missing, API), ("GET", "/metrics", None),
                 ("POST", "/v1/stores/main/invoices", API)]
        i = 0
        while not stop.is_set():
            method, path, token = paths[i % len(paths)]
            i += 1
            body = {"amount_sats": 1000} if method == "POST" else None
            try:
                status, _, _ = s.request(method, path, body, token=token)
            except OSError as e:
                bad.append((path, repr(e)))
                continue
            answered.append(status)
            if status >= 500:
                bad.append((path, status))

    t = threading.Thread(target=client)
    t.start()
    log = LogCounter(s.daemon.logpath)
    seen_store = {}
    try:
        for i in range(1, RELOADS + 1):
            s.config.write_text(without_other if i % 2 else with_other)
            s.daemon.proc.send_signal(signal.SIGHUP)
            log.wait_for("configuration reloaded", i)
            if i in (1, 2, 99, 100, 499, 500):
                status, _, body = s.request("GET", missing, token=API)
                assert status == 404
                seen_store[i] = body["error"]["code"] != "store_not_found"
            if i == 50:
                rss_50 = rss_kib(pid)
        rss_500 = rss_kib(pid)
    finally:
        stop.set()
        t.join(30)
    assert not bad, bad[:10]
    assert len(answered) > RELOADS, len(answered)
    # odd reloads removed "other", even ones brought it back
    assert seen_store == {1: False, 2: True, 99: False, 100: True, 499: False, 500: True}
    grown = (rss_500 - rss_50) / 1024
    assert grown < 2, f"RSS grew by {grown:.2f} MiB from reload 50 to 500"
    assert s.daemon.stop() == 0
