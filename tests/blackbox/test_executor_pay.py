"""qpayd-executor refunds-once against the fake phoenixd and bitcoind: the
reference's end-to-end check, backend rejections, and the ambiguous case,
with the fakes' ledgers proving nothing is ever paid twice."""
import json
import subprocess
import urllib.request

import pytest

from apiutil import ADMIN, API, PAYOUT
from conftest import EXECUTOR, PAYOUT_ENV, QPAYD, ROOT, Server, base_env, run
from payutil import EXECUTOR_LIGHTNING, LIMITED, ln_paid_invoice, ln_pay

FAKES = f"{ROOT}/tests/fakes"
STORES = """
[auth]
api_token_env = "QPAYD_API_TOKEN"

[[stores]]
id = "main"
network = "regtest"
admin_token_env = "QPAYD_MAIN_ADMIN_TOKEN"
payout_token_env = "QPAYD_MAIN_PAYOUT_TOKEN"

[stores.lightning_payout.refunds]
enabled = true
max_refund_sats = 100000

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
"""


class Fake:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening "), line
        self.url = "http://" + line.split()[1]

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def ledger(self):
        got = self.control("/_fake/ledger")
        return got["entries"] if isinstance(got, dict) else got

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def fakes(tmp_path):
    user, password = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
    phoenixd = Fake(["/usr/bin/python3", f"{FAKES}/phoenixd.py", "--port", "0", "--password",
                     PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"], "--limited-password",
                     LIMITED, "--ledger", str(tmp_path / "phoenixd.jsonl"), "--network",
                     "regtest"])
    bitcoind = Fake(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0", "--rpcauth",
                     f"{user}:{password}", "--chain", "regtest", "--ledger",
                     str(tmp_path / "bitcoind.jsonl")])
    yield phoenixd, bitcoind
    phoenixd.stop()
    bitcoind.stop()


def executor_config(tmp_path, phoenixd, bitcoind):
    cfg = tmp_path / "executor.toml"
    cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[executor]
name = "wallet-test"
request_timeout_seconds = 3
journal = "{tmp_path}/journal"

[[stores]]
id = "main"
network = "regtest"

{EXECUTOR_LIGHTNING.format(url=phoenixd.url)}
[stores.lightning_payout]
backend = "phoenixd"
url = "{phoenixd.url}"
full_api_password_env = "QPAYD_LIGHTNING_REFUND_PASSWORD"

[stores.lightning_payout.refunds]
enabled = true
max_refund_sats = 100000
daily_refund_limit_sats = 1000000
poll_seconds = 30

[stores.bitcoin_payout]
backend = "bitcoind"
url = "{bitcoind.url}"
wallet = "refunds"
rpc_auth_env = "QPAYD_BITCOIN_REFUND_RPC_AUTH"

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
poll_seconds = 30
""")
    return cfg


@pytest.fixture
def stack(tmp_path, dburl, daemons, fakes, cluster, dbname):
    server = Server(tmp_path, dburl, stores=STORES)
    daemons.append(server)
    phoenixd, bitcoind = fakes
    # where paid_invoice pays: the executor verifies the payment there
    server.verify_conn = cluster.connect(dbname)
    server.verify_phoenixd = phoenixd.url
    cfg = executor_config(tmp_path, phoenixd, bitcoind)
    env = base_env(dburl, PAYOUT_ENV)
    return server, phoenixd, bitcoind, cfg, env


def paid_invoice(server, paid):
    """An invoice paid through the fake phoenixd (the executor checks)."""
    return ln_paid_invoice(server, server.verify_conn, server.verify_phoenixd, paid)


def refund(server, invoice, amount, destination):
    status, _, body = server.request("POST", f"/v1/stores/main/invoices/{invoice}/refunds",
                                     {"amount_sats": amount, "destination": destination},
                                     token=PAYOUT)
    assert status == 201, body
    return body["id"]


def get(server, rid):
    return server.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)[2]


def refunds_once(cfg, env, binary=EXECUTOR):
    return run(binary, ["--config", str(cfg), "refunds-once"], env, timeout=60)


def test_reference_end_to_end(stack):
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 2000})
    ln = refund(server, inv, 2000, bolt11["invoice"])
    btc = refund(server, inv, 3000, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    r = refunds_once(cfg, env, QPAYD)  # the reference command, through the hand-off
    assert r.returncode == 0, r.stdout + r.stderr
    assert "claimed=2 succeeded=2 failed=0 processing=0 deferred=0" in r.stdout
    got = get(server, ln)
    assert got["status"] == "succeeded"
    assert got["payment_proof"] == bolt11["preimage"]
    got = get(server, btc)
    assert got["status"] == "succeeded" and len(got["tx_id"]) == 64
    assert [e for e in bitcoind.ledger() if e.get("comment") == btc][0]["amount_sat"] == 3000
    ln_paid = [e for e in phoenixd.ledger() if e.get("payment_hash") == bolt11["payment_hash"]
               or e.get("paymentHash") == bolt11["payment_hash"]]
    assert len(ln_paid) == 1
    # a second pass pays nothing
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "claimed=0 " in r.stdout
    assert len(bitcoind.ledger()) == 1 and len(phoenixd.ledger()) == 1
    _, _, ev = server.request("GET", f"/v1/stores/main/refunds/{ln}/events", token=ADMIN)
    assert [e["event"] for e in ev["data"]] == ["created", "claimed", "succeeded"]
    assert ev["data"][1]["actor"] == "executor:wallet-test"


def test_backend_rejection_fails_the_refund(stack):
    server, phoenixd, _, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 1000})
    rid = refund(server, inv, 1000, bolt11["invoice"])
    phoenixd.control("/_fake/fault", {"endpoint": "payinvoice", "fault": "reject", "count": 1})
    r = refunds_once(cfg, env)
    assert r.returncode == 0, r.stdout + r.stderr
    got = get(server, rid)
    assert got["status"] == "failed" and got["failure_reason"]
    assert phoenixd.ledger() == []
    # the balance is released: the refund can be asked for again
    assert server.request("GET", f"/v1/stores/main/invoices/{inv}/refund-summary",
                          token=ADMIN)[2]["refundable_sats"] == 10000


def test_insufficient_funds_defers_and_nothing_is_paid(stack):
    server, _, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    rid = refund(server, inv, 1000, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    bitcoind.control("/_fake/fault", {"method": "sendtoaddress", "fault": "insufficient_funds",
                                      "count": 1})
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "deferred=1" in r.stdout, r.stdout
    got = get(server, rid)
    assert got["status"] == "pending"
    assert bitcoind.ledger() == []
    # backed off: the next pass does not try again at once
    assert "claimed=0 " in refunds_once(cfg, env).stdout


def test_ambiguous_outcome_stays_processing_and_is_never_paid_twice(stack):
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    rid = refund(server, inv, 1500, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    bitcoind.control("/_fake/fault", {"method": "sendtoaddress", "fault": "pay_then_drop",
                                      "count": 1})
    r = refunds_once(cfg, env)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "processing=1" in r.stdout
    assert get(server, rid)["status"] == "processing"
    assert len(bitcoind.ledger()) == 1
    for _ in range(2):
        r = refunds_once(cfg, env)
        assert r.returncode == 3 and "claimed=0 " in r.stdout
    assert len(bitcoind.ledger()) == 1
    _, _, ev = server.request("GET", f"/v1/stores/main/refunds/{rid}/events", token=ADMIN)
    assert [e["event"] for e in ev["data"]] == ["created", "claimed", "outcome_unknown"]
    # reconcile finds the send by its comment and settles it, paying nothing
    r = run(EXECUTOR, ["--config", str(cfg), "reconcile"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reconcile: looked_up=1 succeeded=1 failed=0 left=0" in r.stdout
    got = get(server, rid)
    assert got["status"] == "succeeded"
    assert got["tx_id"] == bitcoind.ledger()[0]["txid"]
    assert len(bitcoind.ledger()) == 1


def test_four_executors_racing_pay_each_refund_exactly_once(stack, cluster, dbname):
    server, phoenixd, bitcoind, cfg, env = stack
    n = 200  # per backend
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
                    "paid_at) VALUES ('inv_race', 'main', 100000000, 100000000, 'paid', now())")
        ln_pay(conn, phoenixd.url, "inv_race", 1000000)
        cur.execute("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                    "destination_type, payout_backend) SELECT 'rf_ln' || g, 'main', 'inv_race', "
                    "1000 + g, 'user' || g || '@example.com', 'lightning_address', 'lightning' "
                    "FROM generate_series(1, %s) g", (n,))
        cur.execute("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                    "destination_type, payout_backend) SELECT 'rf_btc' || g, 'main', 'inv_race', "
                    "1000 + g, 'bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9', "
                    "'bitcoin_address', 'bitcoin' FROM generate_series(1, %s) g", (n,))
    procs = [subprocess.Popen([EXECUTOR, "--config", str(cfg), "refunds-once"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    claimed = [int(re_claimed(o[0])) for o in outs]
    # more claims than refunds only when a loaded machine made a pass hand
    # some back unsent (the dispatch deadline) and claim them again
    handed_back = sum(o[0].count("waited too long for a payout thread") for o in outs)
    assert sum(claimed) == 2 * n + handed_back, (claimed, handed_back)
    with conn.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM refunds WHERE invoice_id = 'inv_race' "
                    "GROUP BY status")
        assert dict(cur.fetchall()) == {"succeeded": 2 * n}
        cur.execute("SELECT count(*) FROM refund_attempts")
        assert cur.fetchone()[0] == 2 * n + handed_back
    btc = [e["comment"] for e in bitcoind.ledger()]
    assert sorted(btc) == sorted(f"rf_btc{i}" for i in range(1, n + 1))
    ln = [json.dumps(e) for e in phoenixd.ledger()]
    assert len(ln) == n
    for i in range(1, n + 1):
        assert sum(f"user{i}@example.com" in e for e in ln) == 1, i


def re_claimed(text):
    import re
    return re.search(r"^claimed=(\d+) ", text, re.M).group(1)


def wait_status(server, rid, status, timeout):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = get(server, rid)
        if got["status"] == status:
            return time.time()
        time.sleep(0.05)
    raise AssertionError(f"{rid} is {get(server, rid)['status']}, not {status}")


@pytest.fixture
def service(stack, tmp_path, daemons):
    from conftest import Daemon
    server, phoenixd, bitcoind, cfg, env = stack
    d = Daemon([EXECUTOR, "--config", str(cfg), "refunds"], env, str(tmp_path / "executor.log"))
    daemons.append(d)
    d.wait_for_log("refund executor started")
    return d


def test_service_pays_at_once_on_notify(stack, service, cluster, dbname):
    import time
    server, phoenixd, bitcoind, cfg, env = stack
    time.sleep(0.5)  # the first pass has run and the executor now waits up to 30 s
    inv = paid_invoice(server, 10000)["id"]
    started = time.time()
    rid = refund(server, inv, 1200, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    done = wait_status(server, rid, "succeeded", 10)
    assert done - started < 1.5, done - started
    assert len(bitcoind.ledger()) == 1
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT executor_id, pid, last_pass_at IS NOT NULL FROM executor_heartbeats")
        name, pid, passed = cur.fetchone()
    assert name == "wallet-test" and pid == service.proc.pid and passed


def test_sigterm_finishes_the_payout_in_hand(stack, service):
    import signal
    import time
    server, phoenixd, bitcoind, cfg, env = stack
    bitcoind.control("/_fake/fault", {"method": "sendtoaddress", "fault": "delay:1.5",
                                      "count": 1})
    inv = paid_invoice(server, 10000)["id"]
    rid = refund(server, inv, 1300, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    wait_status(server, rid, "processing", 5)
    # Claimed is not yet sent (the journal and the second line come first):
    # stop once the send has reached bitcoind, which took the delay fault.
    deadline = time.time() + 5
    while bitcoind.control("/_fake/state")["faults"]["sendtoaddress"][0][1] != 0:
        assert time.time() < deadline
        time.sleep(0.02)
    assert service.stop(signal.SIGTERM, timeout=20) == 0
    assert get(server, rid)["status"] == "succeeded"
    assert len(bitcoind.ledger()) == 1
    assert "refund executor stopped" in service.text()


def test_sighup_with_a_broken_config_keeps_the_old_one(stack, service):
    import signal
    server, phoenixd, bitcoind, cfg, env = stack
    good = cfg.read_text()
    cfg.write_text(good + "\n[nonsense]\n")
    service.proc.send_signal(signal.SIGHUP)
    inv = paid_invoice(server, 10000)["id"]
    rid = refund(server, inv, 1400, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    wait_status(server, rid, "succeeded", 10)
    service.wait_for_log("reload failed")
    assert service.proc.poll() is None
    cfg.write_text(good)


def test_reconcile_lightning_by_payment_hash(stack, cluster, dbname):
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    paid = phoenixd.control("/_fake/invoice", {"amount_sat": 1100})
    never = phoenixd.control("/_fake/invoice", {"amount_sat": 1200})
    dropped = refund(server, inv, 1100, paid["invoice"])
    phoenixd.control("/_fake/fault", {"endpoint": "payinvoice", "fault": "pay_then_drop",
                                      "count": 1})
    assert refunds_once(cfg, env).returncode == 3
    assert get(server, dropped)["status"] == "processing"
    # a refund an executor claimed and then crashed before calling phoenixd
    lost = refund(server, inv, 1200, never["invoice"])
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("UPDATE refunds SET status = 'processing', processing_started_at = now(), "
                    "attempts = 1, payment_hash = %s WHERE id = %s", (never["payment_hash"], lost))
        cur.execute("INSERT INTO refund_attempts (refund_id, attempt, backend, executor, "
                    "started_at) VALUES (%s, 1, 'phoenixd', 'crashed', now() - interval '1 hour')",
                    (lost,))
    r = run(EXECUTOR, ["--config", str(cfg), "reconcile"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "looked_up=2 succeeded=1 failed=1 left=0" in r.stdout
    got = get(server, dropped)
    assert got["status"] == "succeeded" and got["payment_proof"] == paid["preimage"]
    got = get(server, lost)
    assert got["status"] == "failed" and "no payment with this hash" in got["failure_reason"]
    assert len(phoenixd.ledger()) == 1


def test_kill_9_during_payouts_then_reconcile(stack, cluster, dbname, tmp_path):
    """kill -9 of the executor at random moments during 200 payouts, restart,
    reconcile: no payment made twice, none lost; the ledger agrees."""
    import random
    import signal
    import time

    server, phoenixd, bitcoind, cfg, env = stack
    cfg.write_text(cfg.read_text().replace("request_timeout_seconds = 3",
                                           "request_timeout_seconds = 1"))
    n = 200
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
                    "paid_at) VALUES ('inv_crash', 'main', 100000000, 100000000, 'paid', now())")
        ln_pay(conn, phoenixd.url, "inv_crash", 1000000)
        cur.execute("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                    "destination_type, payout_backend) SELECT 'rf_c' || g, 'main', 'inv_crash', "
                    "1000 + g, 'bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9', "
                    "'bitcoin_address', 'bitcoin' FROM generate_series(1, %s) g", (n,))
    # each payout takes ~20 ms, so the kills land in the middle of payouts
    bitcoind.control("/_fake/fault", {"method": "sendtoaddress", "fault": "delay:0.02",
                                      "count": -1})
    rng = random.Random(7)
    for _ in range(6):
        p = subprocess.Popen([EXECUTOR, "--config", str(cfg), "refunds"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 0.6))
        p.send_signal(signal.SIGKILL)
        p.wait()
    # a last executor pays what is left and is stopped properly; on a loaded
    # machine a pass can hand refunds back unsent (a claim that waited past
    # request_timeout_seconds for a payout thread), so pass again while any
    # is pending
    for _ in range(10):
        r = refunds_once(cfg, env)
        assert r.returncode in (0, 3), r.stdout + r.stderr
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM refunds WHERE invoice_id = 'inv_crash' "
                        "AND status = 'pending'")
            if cur.fetchone()[0] == 0:
                break
    time.sleep(2 * 1 + 5 + 0.5)  # abandoned attempts are no longer "in flight"
    r = run(EXECUTOR, ["--config", str(cfg), "reconcile"], env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    with conn.cursor() as cur:
        cur.execute("SELECT id, status, tx_id FROM refunds WHERE invoice_id = 'inv_crash'")
        rows = cur.fetchall()
    ledger = bitcoind.ledger()
    paid = {}
    for e in ledger:
        paid.setdefault(e["comment"], []).append(e["txid"])
    assert all(len(v) == 1 for v in paid.values()), "a refund was paid twice"
    states = {}
    for rid, status, txid in rows:
        states[status] = states.get(status, 0) + 1
        if status == "succeeded":
            assert paid[rid] == [txid]  # paid once, and recorded with that payment
        else:
            # claimed by a killed executor and never sent: reconcile proved it
            assert status == "failed" and rid not in paid, (rid, status)
    assert set(states) <= {"succeeded", "failed"}, states  # none left processing
    assert states.get("succeeded", 0) == len(ledger) >= n // 2, states
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT failure_reason FROM refunds WHERE invoice_id = 'inv_crash' "
                    "AND status = 'failed'")
        reasons = [r[0] for r in cur.fetchall()]
    assert all("nothing was sent" in r for r in reasons), reasons


def test_limits_from_its_own_config_none_paid(stack, cluster, dbname):
    """Rows written straight into the database, as a compromised public server
    could: over max_refund_sats, above the executor's threshold without
    approval, over the invoice balance, an invalid destination, over the daily
    limit. None is paid; each is acted on as docs/executor.md says."""
    server, phoenixd, bitcoind, cfg, env = stack
    cfg.write_text(cfg.read_text().replace(
        "daily_refund_limit_sats = 1000000",
        "daily_refund_limit_sats = 150000\nmanual_approval_threshold_sats = 50000"))
    conn = cluster.connect(dbname)
    rows = [("rf_max", "inv_l1", 120000, "a@example.com", "approved"),
            ("rf_thr", "inv_l1", 60000, "b@example.com", "not_required"),
            ("rf_bad", "inv_l1", 1000, "c@@example", "not_required"),
            ("rf_ok", "inv_l2", 40000, "d@example.com", "not_required"),
            ("rf_day", "inv_l2", 45000, "e@example.com", "approved")]
    with conn.cursor() as cur:
        cur.execute("INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
                    "paid_at) VALUES ('inv_l1', 'main', 500000, 500000, 'paid', now()), "
                    "('inv_l2', 'main', 500000, 500000, 'paid', now())")
    ln_pay(conn, phoenixd.url, "inv_l1", 500000)
    ln_pay(conn, phoenixd.url, "inv_l2", 500000)
    with conn.cursor() as cur:
        # 70,000 already paid today: 70,000 + 40,000 fits, + 45,000 does not
        cur.execute("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                    "destination_type, payout_backend, status, payment_proof, completed_at) "
                    "VALUES ('rf_earlier', 'main', 'inv_l2', 70000, 'z@example.com', "
                    "'lightning_address', 'lightning', 'succeeded', 'p', now())")
        for i, (rid, inv, amount, dest, approval) in enumerate(rows):
            cur.execute("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                        "destination_type, payout_backend, approval_status, approved_at, "
                        "created_at) VALUES (%s, 'main', %s, %s, %s, 'lightning_address', "
                        "'lightning', %s, CASE WHEN %s = 'approved' THEN now() END, "
                        "now() - make_interval(secs => %s))",
                        (rid, inv, amount, dest, approval, approval, 100 - i))
        # the invoice balance: the row claims more than inv_l3 was paid (a
        # refund insert cannot pass the paid amount, so shrink the payment
        # afterwards, as a reorg or a broken server could)
        cur.execute("INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
                    "paid_at) VALUES ('inv_l3', 'main', 1000, 1000, 'paid', now())")
    ln_pay(conn, phoenixd.url, "inv_l3", 1000)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                    "destination_type, payout_backend) VALUES ('rf_bal', 'main', 'inv_l3', 1000, "
                    "'f@example.com', 'lightning_address', 'lightning')")
        cur.execute("ALTER TABLE invoices DISABLE TRIGGER invoices_immutable")
        cur.execute("UPDATE invoices SET amount_paid_sats = 500 WHERE id = 'inv_l3'")
    r = refunds_once(cfg, env)
    assert r.returncode == 0, r.stdout + r.stderr
    with conn.cursor() as cur:
        cur.execute("SELECT id, status, approval_status, failure_reason FROM refunds "
                    "WHERE id <> 'rf_earlier'")
        got = {row[0]: row[1:] for row in cur.fetchall()}
        cur.execute("SELECT refund_id, event FROM refund_events")
        events = {(a, b) for a, b in cur.fetchall()}
    assert got["rf_ok"][0] == "succeeded"
    assert got["rf_max"][0] == "pending" and ("rf_max", "manual_only") in events
    assert got["rf_thr"][:2] == ("pending", "required")
    assert ("rf_thr", "approval_required") in events
    assert got["rf_bad"][0] == "failed" and "does not validate" in got["rf_bad"][2]
    assert got["rf_day"][0] == "pending" and ("rf_day", "deferred") in events
    assert got["rf_bal"][0] == "failed" and "too much" in got["rf_bal"][2]
    paid = [json.dumps(e) for e in phoenixd.ledger()]
    assert len(paid) == 1 and "d@example.com" in paid[0]
    # a second pass adds no event and pays nothing more
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM refund_events")
        before = cur.fetchone()[0]
    assert refunds_once(cfg, env).returncode == 0
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM refund_events")
        assert cur.fetchone()[0] == before
    assert len(phoenixd.ledger()) == 1


def test_barkd_pays_asynchronously(tmp_path, dburl, daemons, cluster, dbname):
    """barkd starts a payment, then its send is polled until paid (with the
    preimage) or shown failed in the history."""
    server = Server(tmp_path, dburl, stores=STORES)
    daemons.append(server)
    barkd = Fake(["/usr/bin/python3", f"{FAKES}/barkd.py", "--port", "0", "--token",
                  "barkd-canary-token", "--ledger", str(tmp_path / "barkd.jsonl"), "--network",
                  "regtest", "--settle-after", "0.3"])
    # the invoices' payments are received, and verified, through phoenixd
    phoenixd = Fake(["/usr/bin/python3", f"{FAKES}/phoenixd.py", "--port", "0", "--password",
                     PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"], "--limited-password",
                     LIMITED, "--ledger", str(tmp_path / "phoenixd.jsonl"), "--network",
                     "regtest"])
    server.verify_conn = cluster.connect(dbname)
    server.verify_phoenixd = phoenixd.url
    try:
        cfg = tmp_path / "executor.toml"
        cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[executor]
name = "wallet-test"
request_timeout_seconds = 5
journal = "{tmp_path}/journal"

[[stores]]
id = "main"
network = "regtest"

{EXECUTOR_LIGHTNING.format(url=phoenixd.url)}
[stores.lightning_payout]
backend = "barkd"
url = "{barkd.url}"
token_env = "QPAYD_BARKD_TOKEN"

[stores.lightning_payout.refunds]
enabled = true
""")
        env = base_env(dburl, {"QPAYD_BARKD_TOKEN": "barkd-canary-token"})
        inv = paid_invoice(server, 10000)["id"]
        ok = refund(server, inv, 2100, "alice@example.com")
        r = refunds_once(cfg, env)
        assert r.returncode == 0, r.stdout + r.stderr
        got = get(server, ok)
        assert got["status"] == "succeeded" and len(got["payment_proof"]) == 64, got
        # the fee, from the history's offchain_fee_sat (1 + 2100 * 2000 ppm = 5)
        sent = [e for e in barkd.ledger() if e.get("destination") == "alice@example.com"]
        assert got["fee_sats"] == sent[0]["fee_sat"] == 5, got
        barkd.control("/_fake/fault", {"endpoint": "pay", "fault": "reject", "count": 1})
        bad = refund(server, inv, 2200, "bob@example.com")
        r = refunds_once(cfg, env)
        assert r.returncode == 0, r.stdout + r.stderr
        got = get(server, bad)
        assert got["status"] == "failed", got
        pays = [e for e in barkd.ledger() if e.get("kind") != "settle"]
        assert [e["destination"] for e in pays] == ["alice@example.com"]  # once; bob never
        assert "canary" not in r.stdout + r.stderr
    finally:
        barkd.stop()
        phoenixd.stop()


def test_readyz_shows_the_executor_heartbeat(stack, service):
    """qpayd's /readyz shows each executor's heartbeat: name, host, pid,
    version, last pass and its counts."""
    import time
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    rid = refund(server, inv, 1300, "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9")
    wait_status(server, rid, "succeeded", 10)
    deadline = time.time() + 5
    while True:
        st, _, ready = server.request("GET", "/readyz")
        ex = [e for e in ready.get("executors", []) if e["executor_id"] == "wallet-test"]
        if ex and "succeeded" in (ex[0]["counts"] or {}):
            break
        assert time.time() < deadline, ready
        time.sleep(0.1)
    assert st == 200 and ready["status"] == "ready"
    e = ex[0]
    assert e["pid"] == service.proc.pid and e["version"] and e["host"]
    assert e["last_pass_at"].endswith("Z") and 0 <= e["seconds_since_last_pass"] < 60
