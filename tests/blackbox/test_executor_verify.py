"""The executor pays a refund only when its own receive backends prove the
invoice's payment (docs/executor.md, Verified payments; docs/security.md
section 3). Payments forged into the database by a login user of the public
host's role qpayd_api (a Lightning hash phoenixd never received, a txid
bitcoind does not know, an inflated amount, a payment of another invoice, a
mark-paid manual payment) get 0 sats paid, proven by the fakes' ledgers, and
one event each naming the reason; genuine ones, received through the fakes
by qpayd itself, pay at once."""
import json

import psycopg2
import pytest

from apiutil import ADMIN, API, PAYOUT
from conftest import EXECUTOR, PAYOUT_ENV, TEST_ENV, Server, base_env, run
from payutil import phoenixd_invoice, phoenixd_receive, record_payment
from recvutil import (FAKES, FULL, LIMITED, SECRET, WATCH_PASSWORD, WATCH_USER, Bitcoind, Fake,
                      create, get, start_phoenixd, stores, wait_for)
from test_receive_lightning import signed_post

ADDR = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
# The executor's own bitcoind login, whitelisted as deploy/bitcoin.conf.example
# says (2b): it reads the watch-only wallet and can call nothing else.
VERIFY_AUTH = "verify:verify-canary-321"
VERIFY_METHODS = "getwalletinfo,gettransaction"
REFUNDS = """
[stores.lightning_payout.refunds]
enabled = true
max_refund_sats = 100000

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
"""


def ledger(fake):
    got = fake.control("ledger")
    return got["entries"] if isinstance(got, dict) else got


@pytest.fixture
def backends(tmp_path):
    ph = start_phoenixd(tmp_path)
    refund_user, refund_pw = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
    # one node: the spending wallet "refunds" and the watch-only "watch"
    btc = Bitcoind(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0", "--rpcauth",
                    f"{WATCH_USER}:{WATCH_PASSWORD}", "--rpcauth", f"{refund_user}:{refund_pw}",
                    "--rpcauth", VERIFY_AUTH, "--whitelist", f"verify:{VERIFY_METHODS}",
                    "--chain", "regtest", "--ledger", str(tmp_path / "bitcoind.jsonl")],
                   str(tmp_path / "bitcoind.log"))
    btc.watch_wallet()
    yield ph, btc
    ph.stop()
    btc.stop()


def executor_config(tmp_path, ph, btc, confirmations=3, lightning=True, bitcoin=True):
    text = f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[executor]
name = "wallet-verify"
request_timeout_seconds = 3
journal = "{tmp_path}/journal"

[[stores]]
id = "main"
network = "regtest"
confirmations_required = {confirmations}
"""
    if lightning:
        text += f"""
[stores.lightning]
backend = "phoenixd"
url = "{ph.url}"
limited_api_password_env = "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"
"""
    if bitcoin:
        text += f"""
[stores.bitcoin]
backend = "bitcoind"
url = "{btc.url}"
wallet = "watch"
rpc_auth_env = "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH"
"""
    text += f"""
[stores.lightning_payout]
backend = "phoenixd"
url = "{ph.url}"
full_api_password_env = "QPAYD_LIGHTNING_REFUND_PASSWORD"

[stores.bitcoin_payout]
backend = "bitcoind"
url = "{btc.url}"
wallet = "refunds"
rpc_auth_env = "QPAYD_BITCOIN_REFUND_RPC_AUTH"
{REFUNDS}"""
    cfg = tmp_path / "executor.toml"
    cfg.write_text(text)
    return cfg


@pytest.fixture
def stack(tmp_path, dburl, daemons, backends, cluster, dbname):
    ph, btc = backends
    server = Server(tmp_path, dburl, stores=stores(phoenixd=ph, bitcoind=btc, ln_poll=3600,
                                                   chain_poll=1, confirmations=1) + REFUNDS)
    daemons.append(server)
    su = cluster.connect(dbname)
    with su.cursor() as cur:
        # roles are the cluster's: one login user per test database
        cur.execute(f"CREATE USER attacker_{dbname} IN ROLE qpayd_api")
    attacker = psycopg2.connect(cluster.url(dbname, user=f"attacker_{dbname}"))
    attacker.autocommit = True
    cfg = executor_config(tmp_path, ph, btc)
    env = base_env(dburl, dict(PAYOUT_ENV, QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH=VERIFY_AUTH))
    yield server, ph, btc, cfg, env, su, attacker
    attacker.close()
    su.close()


def refund(server, invoice, amount, destination=ADDR):
    st, _, body = server.request("POST", f"/v1/stores/main/invoices/{invoice}/refunds",
                                 {"amount_sats": amount, "destination": destination},
                                 token=PAYOUT)
    assert st == 201, body
    return body["id"]


def status(su, rid):
    with su.cursor() as cur:
        cur.execute("SELECT status FROM refunds WHERE id = %s", (rid,))
        return cur.fetchone()[0]


def events(su, rid):
    with su.cursor() as cur:
        cur.execute("SELECT event, detail->>'reason' FROM refund_events WHERE refund_id = %s "
                    "ORDER BY id", (rid,))
        return cur.fetchall()


def refunds_once(cfg, env):
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "canary" not in r.stdout + r.stderr
    return r.stdout


def paid_ln(server, ph, amount):
    """Paid as a customer pays: phoenixd receives, its signed webhook reaches
    qpayd, which credits the invoice."""
    inv = create(server, amount)
    got = ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
    assert signed_post(server, json.dumps(got["event"]).encode())[0] == 200
    return wait_for(lambda: get(server, inv)["status"] == "paid" and get(server, inv), 5, "paid")


def test_forged_payments_pay_nothing_and_say_why(stack):
    server, ph, btc, cfg, env, su, attacker = stack
    forged = {}
    # a Lightning payment hash phoenixd never received
    inv = create(server, 5000)
    record_payment(attacker, inv["id"], "lightning", "ab" * 32, 5000)
    forged["never_received"] = (refund(server, inv["id"], 2000), "never received")
    # a txid bitcoind does not know, deep enough by the row
    inv = create(server, 5000)
    record_payment(attacker, inv["id"], "onchain", "cd" * 32 + ":0", 5000, confirmations=6,
                   actor="onchain")
    forged["unknown_txid"] = (refund(server, inv["id"], 2000), "does not know transaction")
    # a real payment of 1000 recorded as 100000
    inflated = create(server, 100000)
    real = phoenixd_invoice(ph.url, 1000, inflated["id"])
    phoenixd_receive(ph.url, real["paymentHash"])
    record_payment(attacker, inflated["id"], "lightning", real["paymentHash"], 100000)
    forged["inflated"] = (refund(server, inflated["id"], 5000),
                          "phoenixd received 1000 sat")
    # a real payment made for another invoice, recorded for this one
    other = create(server, 3000)
    thief = create(server, 3000)
    real = phoenixd_invoice(ph.url, 3000, other["id"])
    phoenixd_receive(ph.url, real["paymentHash"])
    record_payment(attacker, thief["id"], "lightning", real["paymentHash"], 3000)
    forged["other_invoice"] = (refund(server, thief["id"], 3000), f"not to invoice {thief['id']}")
    # a manual payment (mark-paid): only a signed approval or an operator pays it
    inv = create(server, 5000)
    st, _, _ = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                              {"amount_sats": 5000}, token=ADMIN)
    assert st == 200
    forged["manual"] = (refund(server, inv["id"], 2000), "manual (mark-paid) payment")

    out = refunds_once(cfg, env)
    assert "claimed=0 " in out, out
    assert ledger(btc) == [] and ledger(ph) == []
    for what, (rid, reason) in forged.items():
        assert status(su, rid) == "pending", what
        ev = events(su, rid)
        assert [e for e, _ in ev] == ["created", "manual_payment" if what == "manual"
                                      else "payment_unverified"], (what, ev)
        assert reason in ev[1][1], (what, ev)
    # a second pass pays nothing and writes no event
    refunds_once(cfg, env)
    assert ledger(btc) == [] and ledger(ph) == []
    assert all(len(events(su, rid)) == 2 for rid, _ in forged.values())
    # the verified 1000, not the row's 100000, bounds the inflated invoice
    small = refund(server, inflated["id"], 800)
    refunds_once(cfg, env)
    assert status(su, small) == "succeeded"
    assert [e["comment"] for e in ledger(btc)] == [small]
    assert status(su, forged["inflated"][0]) == "pending"


def test_one_payment_recorded_twice_counts_once(stack):
    """The same Lightning payment recorded a second time under its hash in
    uppercase (the rows are unique by their text): counted once."""
    server, ph, btc, cfg, env, su, attacker = stack
    inv = paid_ln(server, ph, 2000)
    record_payment(attacker, inv["id"], "lightning", inv["payment_hash"].upper(), 2000)
    rid = refund(server, inv["id"], 3000)
    refunds_once(cfg, env)
    assert status(su, rid) == "pending" and ledger(btc) == []
    ev = events(su, rid)
    assert ev[-1][0] == "payment_unverified" and "recorded twice" in ev[-1][1], ev


def test_genuine_lightning_payment_pays_at_once(stack):
    server, ph, btc, cfg, env, su, attacker = stack
    inv = paid_ln(server, ph, 4000)
    a = refund(server, inv["id"], 1500)
    b = refund(server, inv["id"], 2500)
    out = refunds_once(cfg, env)
    assert "claimed=2 succeeded=2 " in out, out
    assert sorted(e["comment"] for e in ledger(btc)) == sorted([a, b])
    # (and fee_warning: the fake wallet's 141 sat fee is above 1% of 1500 sat)
    assert [e for e, _ in events(su, a)] == ["created", "claimed", "succeeded", "fee_warning"]


def test_refunds_together_never_pass_the_verified_amount(stack):
    """A genuine payment of 3000 plus a forged one of 100000 on the same
    invoice: four refunds of 1000 in one batch pass every check on the rows;
    the executor pays three, up to the verified amount, and no further."""
    server, ph, btc, cfg, env, su, attacker = stack
    inv = paid_ln(server, ph, 3000)
    record_payment(attacker, inv["id"], "lightning", "ef" * 32, 100000)
    rids = [refund(server, inv["id"], 1000) for _ in range(4)]
    out = refunds_once(cfg, env)
    assert "claimed=3 succeeded=3 " in out, out
    assert sorted(e["comment"] for e in ledger(btc)) == sorted(rids[:3])
    assert status(su, rids[3]) == "pending"
    ev = events(su, rids[3])
    assert ev[-1][0] == "payment_unverified" and "would pass them" in ev[-1][1], ev
    assert "never received" in ev[-1][1], ev


def test_onchain_paid_only_at_the_executors_depth(stack):
    server, ph, btc, cfg, env, su, attacker = stack
    inv = create(server, 3000)
    paid = btc.pay(inv["onchain_address"], 3000)
    btc.mine(1)
    wait_for(lambda: get(server, inv)["status"] == "paid", 10, "credited by qpayd at 1")
    rid = refund(server, inv["id"], 2000)
    refunds_once(cfg, env)  # the executor's store requires 3
    assert status(su, rid) == "pending" and ledger(btc) == []
    ev = events(su, rid)
    assert ev[-1][0] == "payment_unverified"
    assert f"{paid['txid']}:{paid['vout']} has 1 confirmations, the executor requires 3" \
        in ev[-1][1], ev
    btc.mine(2)
    refunds_once(cfg, env)
    assert status(su, rid) == "succeeded"
    assert [e["comment"] for e in ledger(btc)] == [rid]


def test_backend_down_defers_then_pays(stack):
    server, ph, btc, cfg, env, su, attacker = stack
    inv = paid_ln(server, ph, 2000)
    rid = refund(server, inv["id"], 2000)
    ph.control("fault", {"endpoint": "payments/incoming/{paymentHash}", "fault": "http_500",
                         "count": 1})
    refunds_once(cfg, env)
    assert status(su, rid) == "pending" and ledger(btc) == []
    ev = events(su, rid)
    assert ev[-1][0] == "verify_deferred" and "phoenixd did not answer" in ev[-1][1], ev
    refunds_once(cfg, env)  # phoenixd answers again
    assert status(su, rid) == "succeeded" and len(ledger(btc)) == 1


def test_no_receive_credential_pays_nothing(stack, tmp_path):
    server, ph, btc, cfg, env, su, attacker = stack
    cfg = executor_config(tmp_path, ph, btc, lightning=False)
    inv = paid_ln(server, ph, 2000)
    rid = refund(server, inv["id"], 2000)
    refunds_once(cfg, env)
    assert status(su, rid) == "pending" and ledger(btc) == []
    assert "no [stores.lightning] limited_api_password_env" in events(su, rid)[-1][1]


def test_check_config_reaches_the_receive_backends(stack, tmp_path):
    server, ph, btc, cfg, env, su, attacker = stack
    r = run(EXECUTOR, ["--config", str(cfg), "check-config"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lightning phoenixd" in r.stdout and "limited password" in r.stdout
    assert "watch-only wallet watch" in r.stdout
    # the full password where the limited one belongs: refused
    bad = dict(env, QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD=FULL)
    r = run(EXECUTOR, ["--config", str(cfg), "check-config"], bad)
    assert r.returncode == 1 and "opens payinvoice" in r.stderr, r.stdout + r.stderr
    assert FULL not in r.stdout + r.stderr and LIMITED not in r.stdout + r.stderr
    # the spending wallet where the watch-only one belongs: refused
    cfg.write_text(cfg.read_text().replace('wallet = "watch"', 'wallet = "refunds"'))
    bad = dict(env, QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH=PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"])
    r = run(EXECUTOR, ["--config", str(cfg), "check-config"], bad)
    assert r.returncode == 1 and "has private keys" in r.stderr, r.stdout + r.stderr
    assert SECRET not in r.stdout + r.stderr and TEST_ENV  # nothing secret printed


def test_racing_executors_never_pass_the_verified_amount(stack):
    """Four executors at once over 30 refunds of 1000 of an invoice that
    really received 10000 (and claims 100000 more, forged): exactly ten are
    paid, whatever the interleaving (the per-invoice claim lock)."""
    import subprocess
    server, ph, btc, cfg, env, su, attacker = stack
    inv = paid_ln(server, ph, 10000)
    record_payment(attacker, inv["id"], "lightning", "ef" * 32, 100000)
    rids = [refund(server, inv["id"], 1000) for _ in range(30)]
    procs = [subprocess.Popen([EXECUTOR, "--config", str(cfg), "refunds-once"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    paid = [e["comment"] for e in ledger(btc)]
    assert len(paid) == 10 and len(set(paid)) == 10, paid
    assert sorted(paid) == sorted(r for r in rids if status(su, r) == "succeeded")
    assert sum(status(su, r) == "pending" for r in rids) == 20
