"""Both programs through a real PgBouncer 1.18 in transaction pooling mode
([database] pooler = "transaction", docs/pgbouncer.md): the reference flow
(invoice, payment, refunds paid by refunds-once and by the service woken by
NOTIFY on its direct LISTEN connection), the polling fallback without a
direct URL, and /healthz answered while the pool is exhausted."""
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from apiutil import ADMIN, API
from conftest import EXECUTOR, QPAYD, Daemon, PAYOUT_ENV, Server, base_env, run
from pgbouncer import PgBouncer
from test_webhooks import Receiver
from test_executor_pay import STORES, executor_config, fakes, get, paid_invoice, refund  # noqa: F401

POOLED = """pooler = "transaction"
listen_url_env = "QPAYD_DATABASE_DIRECT_URL"
"""
BTC_DEST = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"


@pytest.fixture(scope="module")
def bouncer(cluster):
    b = PgBouncer(cluster, pool_size=4)
    yield b
    b.stop()


def pooled_executor_config(tmp_path, phoenixd, bitcoind, direct=True):
    cfg = executor_config(tmp_path, phoenixd, bitcoind)
    db = 'url_env = "QPAYD_DATABASE_URL"\n'
    extra = POOLED if direct else 'pooler = "transaction"\n'
    cfg.write_text(cfg.read_text().replace(db, db + extra, 1))
    return cfg


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def pooled(tmp_path, cluster, dbname, bouncer, daemons, fakes, receiver):  # noqa: F811
    direct = {"QPAYD_DATABASE_DIRECT_URL": cluster.url(dbname)}
    hooks = f"""
[stores.webhooks]
url = "{receiver.url()}"
secret_env = "QPAYD_MAIN_WEBHOOK_SECRET"
allow_private_targets = true
first_retry_seconds = 1
"""
    server = Server(tmp_path, bouncer.url(dbname), stores=STORES + hooks, env_extra=direct,
                    database_extra=POOLED)
    daemons.append(server)
    phoenixd, bitcoind = fakes
    server.verify_conn = cluster.connect(dbname)
    server.verify_phoenixd = phoenixd.url
    env = base_env(bouncer.url(dbname), dict(PAYOUT_ENV, **direct))
    return server, phoenixd, bitcoind, env


def wait_status(server, rid, status, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if get(server, rid)["status"] == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"refund {rid} not {status}: {get(server, rid)}")


def test_reference_flow_through_pgbouncer(pooled, tmp_path, bouncer, daemons, receiver):
    server, phoenixd, bitcoind, env = pooled
    cfg = pooled_executor_config(tmp_path, phoenixd, bitcoind)
    st, _, ready = server.request("GET", "/readyz")
    assert st == 200 and ready["database"] == "ok", ready
    inv = paid_invoice(server, 10000)["id"]
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 2000})
    ln = refund(server, inv, 2000, bolt11["invoice"])
    btc = refund(server, inv, 3000, BTC_DEST)
    r = run(QPAYD, ["--config", str(cfg), "refunds-once"], env)  # through the hand-off
    assert r.returncode == 0, r.stdout + r.stderr
    assert "claimed=2 succeeded=2 failed=0 processing=0 deferred=0" in r.stdout
    assert get(server, ln)["payment_proof"] == bolt11["preimage"]
    assert get(server, btc)["status"] == "succeeded"
    # The service: LISTEN on the direct URL wakes it long before its 30 s poll.
    d = Daemon([EXECUTOR, "--config", str(cfg), "refunds"], env, str(tmp_path / "exec.log"))
    daemons.append(d)
    d.wait_for_log("refund executor started")
    time.sleep(0.5)  # the first pass is done; the next wake-up is a notification
    rid = refund(server, inv, 1500, BTC_DEST)
    wait_status(server, rid, "succeeded", 5)
    assert "polling" not in d.text() and "cannot listen" not in d.text(), d.text()
    assert len(bitcoind.ledger()) == 2
    st, _, ready = server.request("GET", "/readyz")
    assert st == 200 and ready["executors"][0]["executor_id"] == "wallet-test", ready
    # Concurrent requests: each worker's pipeline has several sync points in
    # flight at once through the pooler.
    paths = [(f"/v1/stores/main/invoices/{inv}", API),
             (f"/v1/stores/main/refunds/{rid}", ADMIN)] * 150
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda p: server.request("GET", p[0], token=p[1])[0], paths))
    assert got == [200] * len(paths)
    # The webhooks went out too (the sender's outbox claims are transaction
    # advisory locks, fine through the pooler).
    def sent(kind):
        return [e["data"]["id"] for e in receiver.events() if e["type"] == kind]
    receiver.wait(lambda: len(sent("refund.succeeded")) == 3, what="refund.succeeded x3")
    assert sorted(sent("refund.succeeded")) == sorted([ln, btc, rid])
    assert sent("invoice.created") == [inv]
    # Nothing went wrong between PgBouncer and the programs.
    log = bouncer.text()
    for bad in ("prepared statement", "unsupported startup parameter", "ERROR"):
        assert bad not in log, log


def test_without_direct_url_the_executor_polls(pooled, tmp_path, daemons):
    server, phoenixd, bitcoind, env = pooled
    cfg = pooled_executor_config(tmp_path, phoenixd, bitcoind, direct=False)
    d = Daemon([EXECUTOR, "--config", str(cfg), "refunds"], env, str(tmp_path / "exec.log"))
    daemons.append(d)
    d.wait_for_log("no direct database URL ([database] listen_url_env): polling")
    assert d.text().count("no direct database URL") == 1
    # and migrate refuses rather than take a session lock through the pooler
    api_cfg = tmp_path / "no-direct.toml"
    api_cfg.write_text(server.config.read_text().replace(
        'listen_url_env = "QPAYD_DATABASE_DIRECT_URL"\n', ""))
    r = run(QPAYD, ["--config", str(api_cfg), "migrate"], server.env)
    assert r.returncode != 0 and "listen_url_env" in r.stderr, r.stderr


def test_healthz_answers_while_the_pool_is_exhausted(cluster, dbname, tmp_path, daemons):
    small = PgBouncer(cluster, pool_size=1)
    try:
        direct = {"QPAYD_DATABASE_DIRECT_URL": cluster.url(dbname)}
        server = Server(tmp_path, small.url(dbname), env_extra=direct,
                        database_extra=POOLED + "query_timeout_seconds = 2\n"
                        "statement_timeout_seconds = 1\n")
        daemons.append(server)
        # One transaction holds the pool's only server connection: every
        # database call of qpayd now waits in PgBouncer's queue.
        hog = psycopg2.connect(small.url(dbname))
        with hog.cursor() as cur:
            cur.execute("SELECT 1")
        with ThreadPoolExecutor(4) as pool:
            ready = [pool.submit(server.request, "GET", "/readyz") for _ in range(4)]
            time.sleep(0.2)  # the workers' database threads are waiting now
            started = time.time()
            for _ in range(5):
                st, _, body = server.request("GET", "/healthz", timeout=2)
                assert st == 200 and body["status"] == "ok", body
            assert time.time() - started < 1.5
            # /readyz waits at most query_timeout_seconds, and says why.
            for f in ready:
                st, _, body = f.result(timeout=10)
                assert st == 503 and body["database"] == "timeout", body
        hog.rollback()
        hog.close()
        deadline = time.time() + 5
        while server.request("GET", "/readyz")[0] != 200:
            assert time.time() < deadline, "not ready again after the pool freed"
            time.sleep(0.2)
    finally:
        small.stop()
