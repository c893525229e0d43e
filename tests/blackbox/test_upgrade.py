"""Rolling upgrades (docs/upgrading.md): a database migrated under a running
qpayd to a later schema of the same compatibility level keeps it ready with
no 503, and the executor keeps paying; a schema of a higher level makes it
not ready with the reason, and the executor refuses to pay. The newer
binary is simulated by applying its migrations by hand
(tests/blackbox/data/upgrade_*.sql)."""
import os
import threading
import time

from apiutil import API
from conftest import QPAYD, run
from test_executor_pay import (  # noqa: F401
    fakes, get, paid_invoice, refund, refunds_once, stack)

DATA = os.path.join(os.path.dirname(__file__), "data")
BTC_DEST = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"


def apply(cluster, dbname, name):
    conn = cluster.connect(dbname)
    with conn.cursor() as cur, open(os.path.join(DATA, name)) as f:
        cur.execute(f.read())
    conn.close()


class Poller(threading.Thread):
    """GET /readyz and an API route back to back until stopped."""

    def __init__(self, server, invoice):
        super().__init__(daemon=True)
        self.server, self.invoice = server, invoice
        self.seen, self.stop_at = [], threading.Event()

    def run(self):
        inv = f"/v1/stores/main/invoices/{self.invoice}"
        while not self.stop_at.is_set():
            self.seen.append(("readyz", self.server.request("GET", "/readyz")[0]))
            self.seen.append(("invoice", self.server.request("GET", inv, token=API)[0]))

    def stop(self):
        self.stop_at.set()
        self.join(10)
        return self.seen


def test_expand_keeps_serving_and_a_higher_level_stops(stack, cluster, dbname):  # noqa: F811
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    poller = Poller(server, inv)
    poller.start()
    time.sleep(0.3)
    apply(cluster, dbname, "upgrade_expand.sql")
    time.sleep(0.5)
    seen = poller.stop()
    assert len(seen) > 10 and {s for _, s in seen} == {200}, seen
    st, _, body = server.request("GET", "/readyz")
    assert st == 200 and body["schema"] == "newer_compatible", body
    assert body["schema_version"] == 900 and body["schema_level"] == 1 == body[
        "expected_schema_level"], body
    assert "newer, compatible" in body["reason"], body
    # The executor still pays on the newer schema of its level...
    rid = refund(server, inv, 2000, BTC_DEST)
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    # ...and a restarted qpayd serves it.
    server.restart()
    assert server.request("GET", "/readyz")[0] == 200
    assert "serving a newer schema" in server.daemon.text()

    # A contract migration raises the level: not ready, and nothing paid.
    apply(cluster, dbname, "upgrade_contract.sql")
    st, _, body = server.request("GET", "/readyz")
    assert st == 503 and body["database"] == "ok" and body["schema"] == "incompatible", body
    assert "compatibility level 2, this binary at 1" in body["reason"], body
    rid = refund(server, inv, 1000, BTC_DEST)
    r = refunds_once(cfg, env)
    assert r.returncode != 0 and "database schema not usable; nothing paid" in r.stderr + r.stdout
    assert get(server, rid)["status"] == "pending"
    assert len(bitcoind.ledger()) == 1
    r = run(QPAYD, ["--config", str(server.config), "serve"], server.env, timeout=30)
    assert r.returncode != 0 and "compatibility level 2" in r.stdout + r.stderr


def test_readyz_says_the_database_answered_with_an_error(server, cluster, dbname):
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE schema_migrations RENAME TO schema_migrations_away")
    try:
        st, _, body = server.request("GET", "/readyz")
        assert st == 503 and body["database"] == "error", body
        assert body["database_error"] == {"sqlstate": "42P01", "kind": "undefined_object"}, body
        assert body["reason"] == "schema_migrations missing: run qpayd migrate", body
    finally:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE schema_migrations_away RENAME TO schema_migrations")
    assert server.request("GET", "/readyz")[0] == 200
