"""Several API instances on one database (docs/scaling.md): two `qpayd
serve` and four `qpayd-executor refunds`; N invoices created through both
instances, paid (one in five on-chain, the rest over Lightning) and
refunded; the receiving instance (the holder of the receive lease) killed
-9 in the middle of it. Proves: every payment detected once, every refund
paid once (the fakes' ledgers), each backend polled by one instance at a
time (the fakes' call logs: phoenixd tells the instances apart by a
/@NAME URL prefix, bitcoind by a login of each), takeover within seconds.

The first test runs through a real PgBouncer in transaction mode
(tests/blackbox/pgbouncer.py; [database] pooler = "transaction", with
listen_url_env the direct URL the lease and LISTEN need), as the issue asks;
QPAYD_SCALE_POOLER=none runs it on the database directly.

N is QPAYD_SCALE_INVOICES (1000; `make scale-test` runs it with the release
binaries). QPAYD_SCALE_DATABASE_URL runs the first test against another URL
of the same database; then QPAYD_SCALE_DATABASE_EXTRA adds [database] keys to
both qpayd and the executors (as [database] listen_url_env =
"QPAYD_SCALE_DIRECT_URL", with QPAYD_SCALE_DIRECT_URL set)."""
import concurrent.futures
import os
import signal
import time

import pytest

from apiutil import API, PAYOUT
from pgbouncer import PgBouncer
from conftest import EXECUTOR, PAYOUT_ENV, QPAYD, Daemon, Server, base_env, run
from recvutil import FAKES, FULL, LIMITED, WATCH_PASSWORD, WATCH_USER, Bitcoind, Fake, stores
from test_fake_bitcoind import TPUB
from test_webhooks import Receiver

N = int(os.environ.get("QPAYD_SCALE_INVOICES", "1000"))
ADDR = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
REFUND_USER, REFUND_PW = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
VERIFY_AUTH = "verify:verify-canary-321"
TAKEOVER = 5  # seconds: the bound docs/scaling.md promises
AMOUNT, REFUND = 1000, 600


class At:
    """A backend as one process sees it: the fake's URL with its tag."""

    def __init__(self, url):
        self.url = url


def start_fakes(tmp_path, n=N):
    ph = Fake(["/usr/bin/python3", f"{FAKES}/phoenixd.py", "--port", "0", "--password", FULL,
               "--limited-password", LIMITED, "--ledger", str(tmp_path / "phoenixd.jsonl"),
               "--network", "regtest", "--balance-sat", "100000000"],
              str(tmp_path / "phoenixd.log"))
    btc = Bitcoind(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0",
                    "--rpcauth", f"{WATCH_USER}:{WATCH_PASSWORD}",
                    "--rpcauth", "watcha:watch-canary-a", "--rpcauth", "watchb:watch-canary-b",
                    "--rpcauth", "watchc:watch-canary-c",
                    "--rpcauth", VERIFY_AUTH, "--rpcauth", f"{REFUND_USER}:{REFUND_PW}",
                    "--chain", "regtest", "--ledger", str(tmp_path / "bitcoind.jsonl"),
                    "--keypool", str(n + 100)],
                   str(tmp_path / "bitcoind.log"))
    btc.rpc("createwallet", {"wallet_name": "watch", "disable_private_keys": True,
                             "blank": True, "descriptors": True})
    desc = btc.rpc("getdescriptorinfo", ["wpkh([d34db33f/84h/1h/0h]%s/0/*)" % TPUB])
    res = btc.rpc("importdescriptors", [[{"desc": desc["descriptor"], "active": True,
                                          "range": [0, n + 99], "next_index": 0,
                                          "timestamp": "now", "internal": False}]],
                  wallet="watch")
    assert res == [{"success": True}], res
    return ph, btc


REFUND_POLICY = """
[stores.lightning_payout.refunds]
enabled = true
max_refund_sats = 100000
daily_refund_limit_sats = 100000000
poll_seconds = 1

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
daily_refund_limit_sats = 100000000
poll_seconds = 1
"""


def instance(tmp_path, dburl, name, ph, btc, server_extra="", hooks=None):
    """qpayd serve "A", "B" or "C": phoenixd at /@A, bitcoind as login watcha;
    webhooks of every event to the URL hooks."""
    d = tmp_path / name
    d.mkdir()
    extra = "" if hooks is None else f"""
[stores.webhooks]
url = "{hooks}"
secret_env = "QPAYD_MAIN_WEBHOOK_SECRET"
allow_private_targets = true
first_retry_seconds = 1
"""
    text = stores(phoenixd=At(f"{ph.url}/@{name}"), bitcoind=At(btc.url), ln_poll=1,
                  chain_poll=1, confirmations=1, store_extra=extra) + REFUND_POLICY
    auth = {"QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH": f"watch{name.lower()}:watch-canary-"
            f"{name.lower()}"}
    if os.environ.get("QPAYD_SCALE_DIRECT_URL"):
        auth["QPAYD_SCALE_DIRECT_URL"] = os.environ["QPAYD_SCALE_DIRECT_URL"]
    return Server(d, dburl, stores=text, env_extra=auth, server_extra=server_extra,
                  database_extra=os.environ.get("QPAYD_SCALE_DATABASE_EXTRA", ""))


def executor(tmp_path, dburl, k, ph, btc):
    d = tmp_path / f"x{k}"
    d.mkdir()
    cfg = d / "executor.toml"
    cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"
{os.environ.get("QPAYD_SCALE_DATABASE_EXTRA", "")}

[executor]
name = "wallet-{k}"
request_timeout_seconds = 10
journal = "{d}/journal"

[[stores]]
id = "main"
network = "regtest"
confirmations_required = 1

[stores.lightning]
backend = "phoenixd"
url = "{ph.url}/@X{k}"
limited_api_password_env = "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"

[stores.bitcoin]
backend = "bitcoind"
url = "{btc.url}"
wallet = "watch"
rpc_auth_env = "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH"

[stores.lightning_payout]
backend = "phoenixd"
url = "{ph.url}/@X{k}"
full_api_password_env = "QPAYD_LIGHTNING_REFUND_PASSWORD"

[stores.bitcoin_payout]
backend = "bitcoind"
url = "{btc.url}"
wallet = "refunds"
rpc_auth_env = "QPAYD_BITCOIN_REFUND_RPC_AUTH"
{REFUND_POLICY}""")
    env = base_env(dburl, dict(PAYOUT_ENV, QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH=VERIFY_AUTH))
    if os.environ.get("QPAYD_SCALE_DIRECT_URL"):
        env["QPAYD_SCALE_DIRECT_URL"] = os.environ["QPAYD_SCALE_DIRECT_URL"]
    return Daemon([EXECUTOR, "--config", str(cfg), "refunds"], env, str(d / "executor.log"))


def rows(conn, sql, args=()):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def ready(s):
    st, _, body = s.request("GET", "/readyz")
    assert st == 200, body
    return body


def leader_gauge(s):
    st, _, text = s.request("GET", "/metrics")
    assert st == 200
    return [ln for ln in text.splitlines() if ln.startswith("qpayd_receive_leader ")]


def wait_until(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {fn()!r}")


def paid_count(conn):
    return rows(conn, "SELECT count(*) FROM invoices WHERE status = 'paid'")[0][0]


def poll_times(ph, btc):
    """{client: [time of each poll call]}: phoenixd's payment lookups and
    bitcoind's listsinceblock, by instance."""
    got = {}
    for t, c, p in ph.control("calls"):
        if p.startswith("/payments/incoming/"):
            got.setdefault(c, []).append(t)
    for t, u, m in btc.control("calls"):
        if u.startswith("watch") and len(u) == 6 and m == "listsinceblock":
            got.setdefault(u[5].upper(), []).append(t)
    return got


@pytest.fixture
def pooled(cluster, dbname, monkeypatch):
    """Unless QPAYD_SCALE_POOLER=none or a URL is given: a PgBouncer in
    transaction mode in front of the database, and the direct URL beside it."""
    if os.environ.get("QPAYD_SCALE_POOLER") == "none" or os.environ.get(
            "QPAYD_SCALE_DATABASE_URL"):
        yield None
        return
    # 2 instances x 2 workers x 5 connections, 4 executors: fewer servers
    # than clients, as a pooler is meant to run.
    b = PgBouncer(cluster, pool_size=12)
    monkeypatch.setenv("QPAYD_SCALE_DATABASE_URL", b.url(dbname))
    monkeypatch.setenv("QPAYD_SCALE_DIRECT_URL", cluster.url(dbname))
    monkeypatch.setenv("QPAYD_SCALE_DATABASE_EXTRA",
                       'pooler = "transaction"\nlisten_url_env = "QPAYD_SCALE_DIRECT_URL"\n')
    yield b
    log = b.text()
    b.stop()
    for bad in ("prepared statement", "unsupported startup parameter"):
        assert bad not in log, log[-4000:]


def test_two_instances_four_executors_leader_killed(tmp_path, cluster, dbname, daemons, pooled):
    dburl = os.environ.get("QPAYD_SCALE_DATABASE_URL") or cluster.url(dbname)
    conn = cluster.connect(dbname)
    ph, btc = start_fakes(tmp_path)
    t0 = time.monotonic()
    try:
        a = instance(tmp_path, dburl, "A", ph, btc)
        daemons.append(a)
        a.daemon.wait_for_log("receive lease taken")
        b = instance(tmp_path, dburl, "B", ph, btc)
        daemons.append(b)
        assert ready(a)["receive"] == "leader" and ready(b)["receive"] == "standby"
        assert leader_gauge(a) == ["qpayd_receive_leader 1"]
        assert leader_gauge(b) == ["qpayd_receive_leader 0"]
        executors = [executor(tmp_path, dburl, k, ph, btc) for k in range(1, 5)]
        daemons.extend(executors)

        # N invoices, through both instances, 16 at a time.
        def create(i):
            s = (a, b)[i % 2]
            st, _, inv = s.request("POST", "/v1/stores/main/invoices",
                                   {"amount_sats": AMOUNT}, token=API, timeout=30)
            assert st == 201, inv
            return inv

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            invoices = list(pool.map(create, range(N)))
        t_created = time.monotonic()
        onchain = {inv["id"] for i, inv in enumerate(invoices) if i % 5 == 0}

        def pay(inv):
            if inv["id"] in onchain:
                got = btc.pay(inv["onchain_address"], AMOUNT)
                return ("onchain", f"{got['txid']}:{got['vout']}")
            ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
            return ("lightning", inv["payment_hash"])

        # The first half paid; the leader killed while it receives them.
        half = N // 2
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            paid = list(pool.map(pay, invoices[:half]))
        btc.mine(1)
        wait_until(lambda: paid_count(conn) >= half // 4, 60, "some payments detected")
        a.daemon.proc.send_signal(signal.SIGKILL)
        a.daemon.proc.wait()
        killed_at = time.time()
        t_kill = time.monotonic()
        before_kill = paid_count(conn)
        wait_until(lambda: ready(b)["receive"] == "leader", TAKEOVER + 2, "takeover")
        takeover_readyz = time.monotonic() - t_kill
        # The killed instance comes back, as a standby.
        a.start()
        assert ready(a)["receive"] == "standby"
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            paid += list(pool.map(pay, invoices[half:]))
        btc.mine(1)
        wait_until(lambda: paid_count(conn) == N, 120, "every payment detected")
        t_paid = time.monotonic()

        # Every payment detected once: one row per payment the fakes made,
        # one "paid" transition per invoice.
        got = sorted(rows(conn, "SELECT method, reference FROM invoice_payments"))
        assert got == sorted(paid), "payments in the database differ from the fakes' payments"
        per_invoice = rows(conn, "SELECT invoice_id, count(*) FROM invoice_events "
                           "WHERE to_status = 'paid' GROUP BY invoice_id")
        assert len(per_invoice) == N and all(c == 1 for _, c in per_invoice)

        # Refund every invoice, through both instances.
        def refund(i):
            inv = invoices[i]
            dest = ADDR if inv["id"] in onchain else f"r{i}@example.com"
            st, _, body = (a, b)[i % 2].request(
                "POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                {"amount_sats": REFUND, "destination": dest}, token=PAYOUT, timeout=30)
            assert st == 201, body
            return body["id"]

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            refund_ids = list(pool.map(refund, range(N)))
        wait_until(lambda: rows(conn, "SELECT count(*) FROM refunds WHERE status = "
                                "'succeeded'")[0][0] == N, 180, "every refund paid")
        t_refunded = time.monotonic()

        # Every refund paid once, as the fakes' ledgers show.
        sent_ln = sorted(e["request"]["address"] for e in ph.control("ledger"))
        want_ln = sorted(f"r{i}@example.com" for i, inv in enumerate(invoices)
                         if inv["id"] not in onchain)
        assert sent_ln == want_ln, "a Lightning refund paid twice or not at all"
        sent_btc = sorted(e["comment"] for e in btc.control("ledger"))
        want_btc = sorted(r for r, inv in zip(refund_ids, invoices) if inv["id"] in onchain)
        assert sent_btc == want_btc, "an on-chain refund paid twice or not at all"
        # one payout call per refund, shared by the four executors
        by_executor = dict(rows(conn, "SELECT executor, count(*) FROM refund_attempts "
                                "GROUP BY 1"))
        assert sum(by_executor.values()) == N, by_executor

        # Each backend polled by one instance at a time: the leader until it
        # was killed, the other from the takeover on, never both.
        polls = poll_times(ph, btc)
        a_polls, b_polls = polls.get("A"), polls.get("B")
        assert a_polls and b_polls
        # (a request the fake read just after the kill was sent before it)
        assert max(a_polls) <= killed_at + 0.5, "A, restarted as a standby, polled"
        assert min(b_polls) > max(a_polls), "both instances polled at the same time"
        takeover_polls = min(b_polls) - killed_at
        assert takeover_polls < TAKEOVER, f"took {takeover_polls:.1f} s to take over"
        # the restarted instance stayed a standby
        assert ready(a)["receive"] == "standby" and ready(b)["receive"] == "leader"
        print(f"\nscaling: N={N} created {t_created - t0:.1f}s, paid+detected "
              f"{t_paid - t_created:.1f}s ({before_kill} detected at the kill), takeover "
              f"{takeover_readyz:.1f}s (readyz) {takeover_polls:.1f}s (first poll), refunded "
              f"{t_refunded - t_paid:.1f}s, refunds by executor {by_executor}")
    finally:
        for d in daemons:  # before the fakes go (the fixture checks their logs)
            (d.daemon if isinstance(d, Server) else d).stop()
        ph.stop()
        btc.stop()
        conn.close()


def test_lease_lost_and_receive_off(tmp_path, cluster, dbname, daemons):
    """The holder's lease session ended by the database (as at a failover or
    by pg_terminate_backend): it stops polling at once and the standby takes
    over. An instance with receive = false never polls, serves the API, and
    says "off". Webhooks, delivered by both receiving instances without the
    lease: each event once, in order per object."""
    dburl = cluster.url(dbname)
    conn = cluster.connect(dbname)
    ph, btc = start_fakes(tmp_path, 20)
    shop = Receiver()
    try:
        a = instance(tmp_path, dburl, "A", ph, btc, hooks=shop.url())
        daemons.append(a)
        a.daemon.wait_for_log("receive lease taken")
        b = instance(tmp_path, dburl, "B", ph, btc, hooks=shop.url())
        c = instance(tmp_path, dburl, "C", ph, btc, server_extra="receive = false",
                     hooks=shop.url())
        daemons.extend([b, c])
        c.daemon.wait_for_log("receive = false")
        r = run(QPAYD, ["--config", str(c.config), "check-config"], c.env)
        assert r.returncode == 0 and "receive = false: this instance serves the API only" \
            in r.stdout, r.stdout + r.stderr
        assert ready(c)["receive"] == "off" and leader_gauge(c) == ["qpayd_receive_leader 0"]
        invoices = []
        for _ in range(20):
            st, _, inv = c.request("POST", "/v1/stores/main/invoices", {"amount_sats": AMOUNT},
                                   token=API)
            assert st == 201, inv
            invoices.append(inv)
        for inv in invoices[:10]:
            ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
        wait_until(lambda: paid_count(conn) == 10, 20, "the first payments detected")
        # The database ends the holder's lease session.
        holder = rows(conn, "SELECT l.pid, a.application_name FROM pg_locks l JOIN "
                      "pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND "
                      "l.granted AND (l.classid::bigint << 32) + l.objid::bigint = %s",
                      (487216740709,))
        assert [h[1] for h in holder] == ["qpayd receive lease"], holder
        rows(conn, "SELECT pg_terminate_backend(%s)", (holder[0][0],))
        ended_at = time.time()
        a.daemon.wait_for_log("receive lease lost", timeout=5)
        wait_until(lambda: ready(b)["receive"] == "leader", TAKEOVER, "takeover")
        assert ready(a)["receive"] == "standby"
        for inv in invoices[10:]:
            ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
        wait_until(lambda: paid_count(conn) == 20, 20, "every payment detected")
        polls = poll_times(ph, btc)
        assert "C" not in polls, "the instance with receive = false polled"
        # A stopped when its session ended (a call in flight then may end
        # just after); B started after that, within seconds.
        assert max(polls["A"]) < ended_at + 0.5 and min(polls["B"]) > ended_at
        assert min(polls["B"]) - ended_at < TAKEOVER
        assert ready(a)["receive"] == "standby" and ready(b)["receive"] == "leader"
        # Every webhook delivered once, in the outbox's order per object.
        wait_until(lambda: rows(conn, "SELECT count(*) FROM webhook_outbox WHERE status = "
                                "'pending'")[0][0] == 0, 20, "every webhook delivered")
        outbox = rows(conn, "SELECT 'evt_' || id, object_id FROM webhook_outbox "
                      "WHERE status = 'delivered' ORDER BY id")
        got = [e["id"] for e in shop.events()]
        assert len(outbox) >= 40 and sorted(got) == sorted(e for e, _ in outbox), \
            "a webhook delivered twice or not at all"
        position = {e: i for i, e in enumerate(got)}
        for obj in {o for _, o in outbox}:
            sent = [position[e] for e, o in outbox if o == obj]
            assert sent == sorted(sent), f"webhooks of {obj} out of order"
    finally:
        for d in daemons:
            (d.daemon if isinstance(d, Server) else d).stop()
        shop.stop()
        ph.stop()
        btc.stop()
        conn.close()
