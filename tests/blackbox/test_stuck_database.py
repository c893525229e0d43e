"""qpayd against a database that stops answering (issue 12): a loopback TCP
proxy between qpayd and PostgreSQL is switched to a black hole that accepts
and holds connections and relays nothing. /healthz must keep answering at
once, every database route must answer 503 within query_timeout + 1 s,
nothing may be stored twice, and qpayd recovers without a restart once the
proxy relays again."""
import concurrent.futures
import select
import socket
import threading
import time

import pytest

from apiutil import ADMIN, API, MAINNET_ADDR, PAYOUT, stores
from conftest import QPAYD, Server, base_env, free_port, run, server_config

QUERY_TIMEOUT = 2
DB_LIMITS = f"""connect_timeout_seconds = 2
query_timeout_seconds = {QUERY_TIMEOUT}
statement_timeout_seconds = 1
"""
BOUND = QUERY_TIMEOUT + 1.0  # every database route answers within this


class Proxy:
    """Relays loopback TCP connections to PostgreSQL. Modes:
    "forward"   relays both ways;
    "blackhole" relays nothing on any connection, old or new; new ones are
                accepted and held, never answered;
    "hang_new"  cuts the existing connections; new ones are accepted and
                held, never answered (the server accepts TCP, then nothing).
    Leaving "blackhole", a connection's unrelayed bytes are delivered
    (deliver=True: the server was only slow, as a SIGSTOPped one) or the
    connection is closed (deliver=False: the bytes were lost)."""

    def __init__(self, target_port, deliver=False):
        self.target = ("127.0.0.1", target_port)
        self.deliver = deliver
        self.mode = "forward"
        self.stopping = False
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(256)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, dbname):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self):
        self.stopping = True
        self.lsock.close()

    def _accept(self):
        while not self.stopping:
            try:
                r, _, _ = select.select([self.lsock], [], [], 0.1)
                if r:
                    c, _ = self.lsock.accept()
                    threading.Thread(target=self._serve, args=(c,), daemon=True).start()
            except (OSError, ValueError):
                return

    def _serve(self, c):
        # Accepted while not forwarding: held, never answered.
        while self.mode != "forward" and not self.stopping:
            time.sleep(0.02)
        u = None
        try:
            if self.stopping:
                return
            u = socket.create_connection(self.target)
            held = False
            while not self.stopping:
                mode = self.mode
                if mode == "hang_new":
                    return
                if mode == "blackhole":
                    held = True
                    time.sleep(0.02)
                    continue
                if held and not self.deliver:
                    return
                r, _, _ = select.select([c, u], [], [], 0.1)
                if self.mode != "forward":
                    continue  # switched while waiting: relay nothing more
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (u if s is c else c).sendall(data)
        except OSError:
            pass
        finally:
            c.close()
            if u is not None:
                u.close()


class ProxiedServer(Server):
    """qpayd serve whose database URL goes through proxy, with short limits."""

    def __init__(self, tmp_path, dburl, workers):
        self.argv_prefix = []
        self.server_extra = ""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp_path = tmp_path
        self.workers = workers
        self.config = tmp_path / "qpayd.toml"
        text = server_config(self.port, workers, stores=stores())
        text = text.replace('url_env = "QPAYD_DATABASE_URL"\n',
                            'url_env = "QPAYD_DATABASE_URL"\n' + DB_LIMITS, 1)
        self.config.write_text(text)
        self.env = base_env(dburl)
        r = run(QPAYD, ["--config", str(self.config), "migrate"], self.env)
        assert r.returncode == 0, r.stderr
        self.start()


@pytest.fixture
def proxy(cluster):
    p = Proxy(cluster.port)
    yield p
    p.stop()


def timed(server, method, path, body=None, token=None, headers=None):
    t0 = time.monotonic()
    status, _, resp = server.request(method, path, body=body, token=token, headers=headers,
                                     timeout=30)
    return status, time.monotonic() - t0, resp


def db_requests(server, invoice_id, key):
    """Every kind of database route: a pipelined read, a write on the
    database thread, a refund create, /readyz."""
    return [
        ("GET", f"/v1/stores/main/invoices/{invoice_id}", None, API, None),
        ("POST", "/v1/stores/main/invoices", {"amount_sats": 777}, API, None),
        ("POST", f"/v1/stores/main/invoices/{invoice_id}/refunds",
         {"amount_sats": 1500, "destination": MAINNET_ADDR}, PAYOUT, {"Idempotency-Key": key}),
        ("GET", "/readyz", None, None, None),
    ]


def paid_invoice(server):
    status, _, inv = server.request("POST", "/v1/stores/main/invoices", {"amount_sats": 10000},
                                    token=API)
    assert status == 201, inv
    status, _, inv = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                                    {"amount_sats": 10000}, token=ADMIN)
    assert status == 200, inv
    return inv


def assert_bounded_while_stuck(server, invoice_id, key, rounds=2):
    """Sends every database route (twice each, concurrently), polls /healthz
    while they wait, and checks every bound."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        for i in range(rounds):
            if i > 0:
                time.sleep(1.2)  # past the reconnect backoff: the next ones try to connect
            reqs = db_requests(server, invoice_id, key) * 2
            futs = [pool.submit(timed, server, m, p, b, t, h) for m, p, b, t, h in reqs]
            health = []
            time.sleep(0.2)
            while not all(f.done() for f in futs) or len(health) < 3:
                status, took, _ = timed(server, "GET", "/healthz")
                health.append((status, took))
                time.sleep(0.1)
            for status, took in health:
                assert status == 200 and took < 1.0, health
            for (m, p, *_), f in zip(reqs, futs):
                status, took, body = f.result()
                assert status == 503, (m, p, status, body)
                assert took <= BOUND, (m, p, took)
                if p == "/readyz":
                    assert body["database"] in ("timeout", "unreachable"), body
                else:
                    assert body["error"]["code"] in ("database_unavailable", "server_busy"), body


def wait_recovered(server, invoice_id, timeout=8):
    deadline = time.monotonic() + timeout
    while True:
        ready = server.request("GET", "/readyz")
        got = server.request("GET", f"/v1/stores/main/invoices/{invoice_id}", token=API)
        if ready[0] == 200 and got[0] == 200:
            return time.monotonic() - (deadline - timeout)
        assert time.monotonic() < deadline, (ready, got)
        time.sleep(0.2)


def count(cluster, dbname, sql, *args):
    conn = cluster.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_blackhole_bounds_every_answer_and_recovers(tmp_path, cluster, dbname, proxy, daemons,
                                                    workers):
    server = ProxiedServer(tmp_path, proxy.url(dbname), workers)
    daemons.append(server)
    inv = paid_invoice(server)
    proxy.mode = "blackhole"
    assert_bounded_while_stuck(server, inv["id"], "stuck-key-1")
    text = server.daemon.text()
    assert "database call timed out" in text
    proxy.mode = "forward"
    wait_recovered(server, inv["id"])
    # The data sent into the black hole was lost: nothing was stored, and
    # the retried refund (same Idempotency-Key) is made once.
    assert count(cluster, dbname, "SELECT count(*) FROM invoices") == 1
    ids = []
    deadline = time.monotonic() + 5
    while len(ids) < 2:  # another worker's connections may be a moment behind
        status, _, rf = server.request(
            "POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
            {"amount_sats": 1500, "destination": MAINNET_ADDR}, token=PAYOUT,
            headers={"Idempotency-Key": "stuck-key-1"})
        if status in (200, 201):
            ids.append(rf["id"])
        else:
            assert status == 503 and time.monotonic() < deadline, rf
            time.sleep(0.2)
    assert ids[0] == ids[1], ids
    assert count(cluster, dbname, "SELECT count(*) FROM refunds") == 1
    status, _, body = server.request("POST", "/v1/stores/main/invoices", {"amount_sats": 5},
                                     token=API)
    deadline = time.monotonic() + 5
    while status == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
        status, _, body = server.request("POST", "/v1/stores/main/invoices", {"amount_sats": 5},
                                         token=API)
    assert status == 201, body


def test_new_connections_never_answered(tmp_path, cluster, dbname, proxy, daemons):
    """Existing connections are cut and new ones hang after the TCP accept:
    every (re)connect must give up after connect_timeout."""
    server = ProxiedServer(tmp_path, proxy.url(dbname), 2)
    daemons.append(server)
    inv = paid_invoice(server)
    proxy.mode = "hang_new"
    assert_bounded_while_stuck(server, inv["id"], "stuck-key-2", rounds=3)
    proxy.mode = "forward"
    wait_recovered(server, inv["id"])
    assert count(cluster, dbname, "SELECT count(*) FROM refunds") == 0


def test_late_delivery_never_stores_twice(tmp_path, cluster, dbname, daemons):
    """The black-holed bytes arrive after qpayd gave up (a database that was
    only frozen): the refund create may then happen after its 503, and the
    client's retry with the same Idempotency-Key must find it, not make a
    second one."""
    proxy = Proxy(cluster.port, deliver=True)
    try:
        server = ProxiedServer(tmp_path, proxy.url(dbname), 1)
        daemons.append(server)
        inv = paid_invoice(server)
        proxy.mode = "blackhole"
        status, took, body = timed(server, "POST",
                                   f"/v1/stores/main/invoices/{inv['id']}/refunds",
                                   {"amount_sats": 1500, "destination": MAINNET_ADDR}, PAYOUT,
                                   {"Idempotency-Key": "late-key"})
        assert status == 503 and took <= BOUND, (status, took, body)
        proxy.mode = "forward"
        wait_recovered(server, inv["id"])
        ids = []
        deadline = time.monotonic() + 10
        while len(ids) < 2:
            assert time.monotonic() < deadline, ids
            status, _, rf = server.request(
                "POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                {"amount_sats": 1500, "destination": MAINNET_ADDR}, token=PAYOUT,
                headers={"Idempotency-Key": "late-key"})
            if status in (200, 201):
                ids.append(rf["id"])
            else:  # the late create may still hold the key
                assert status in (409, 503), rf
                time.sleep(0.2)
        assert ids[0] == ids[1], ids
        assert count(cluster, dbname, "SELECT count(*) FROM refunds") == 1
    finally:
        proxy.stop()
