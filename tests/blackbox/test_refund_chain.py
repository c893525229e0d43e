"""What the executor learns after a payout (issue 15): the fee (on-chain from
gettransaction, Lightning from the backend's answer), what the customer
received (buyer_pays_fee: subtractfeefromamount), confirmations until the
store's confirmations_required, a transaction that leaves the wallet's view
(conflicted, dropped: an event, never re-sent), the fee warning, and
last_error on a deferred refund. Checked against the fakes' ledgers."""
import pytest

from apiutil import ADMIN, PAYOUT
from conftest import EXECUTOR, PAYOUT_ENV, Server, base_env, run
from test_executor_pay import (STORES, executor_config, fakes, get, paid_invoice,  # noqa: F401
                               refund, refunds_once)
from test_refund_roles import DENIED, TRANSITION, sql, users  # noqa: F401

ADDR = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"


@pytest.fixture
def stack(tmp_path, dburl, daemons, fakes, cluster, dbname):  # noqa: F811
    server = Server(tmp_path, dburl, stores=STORES)
    daemons.append(server)
    phoenixd, bitcoind = fakes
    server.verify_conn = cluster.connect(dbname)
    server.verify_phoenixd = phoenixd.url
    cfg = executor_config(tmp_path, phoenixd, bitcoind)
    text = cfg.read_text().replace('network = "regtest"\n',
                                   'network = "regtest"\nconfirmations_required = 3\n'
                                   'fee_warning_percent = 1\n', 1)
    cfg.write_text(text)
    env = base_env(dburl, PAYOUT_ENV)
    owner = cluster.connect(dbname)
    owner.autocommit = True
    return server, phoenixd, bitcoind, cfg, env, owner


def events(server, rid):
    _, _, ev = server.request("GET", f"/v1/stores/main/refunds/{rid}/events", token=ADMIN)
    return [e["event"] for e in ev["data"]]


def watch(cfg, env):
    r = run(EXECUTOR, ["--config", str(cfg), "reconcile"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def sends(bitcoind, rid):
    return [e for e in bitcoind.ledger() if e.get("comment") == rid]


def test_onchain_fee_recorded_and_confirmed_after_n_blocks(stack):
    server, _, bitcoind, cfg, env, _ = stack
    inv = paid_invoice(server, 30000)["id"]
    rid = refund(server, inv, 20000, ADDR)
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    sent = sends(bitcoind, rid)
    assert len(sent) == 1 and sent[0]["amount_sat"] == 20000
    got = get(server, rid)
    assert got["fee_sats"] == sent[0]["fee_sat"] == 141
    assert got["received_sats"] == 20000
    assert got["tx_status"] == "unconfirmed" and got["confirmations"] == 0
    assert got["confirmed_at"] is None
    # 141 sat is 0.7% of 20000: under the 1% warning
    assert "fee_warning" not in events(server, rid)
    watch(cfg, env)
    assert get(server, rid)["confirmations"] == 0
    bitcoind.control("/_fake/mine", {"blocks": 1})
    out = watch(cfg, env)
    assert f"chain refund={rid} " in out and "confirmations=1" in out, out
    got = get(server, rid)
    assert got["tx_status"] == "unconfirmed" and got["confirmations"] == 1
    bitcoind.control("/_fake/mine", {"blocks": 2})
    out = watch(cfg, env)
    assert "tx_status=confirmed confirmations=3" in out, out
    got = get(server, rid)
    assert got["tx_status"] == "confirmed" and got["confirmations"] == 3
    assert got["confirmed_at"] is not None and got["status"] == "succeeded"
    # no longer watched: more blocks, more runs, one event
    bitcoind.control("/_fake/mine", {"blocks": 2})
    assert f"refund={rid}" not in watch(cfg, env)
    assert events(server, rid) == ["created", "claimed", "succeeded", "confirmed"]
    assert len(sends(bitcoind, rid)) == 1


def test_buyer_pays_fee_subtracts_it_from_the_amount(stack):
    server, _, bitcoind, cfg, env, owner = stack
    inv = paid_invoice(server, 30000)["id"]
    status, _, rf = server.request("POST", f"/v1/stores/main/invoices/{inv}/refunds",
                                   {"amount_sats": 20000, "destination": ADDR,
                                    "buyer_pays_fee": True}, token=PAYOUT)
    assert status == 201, rf
    rid = rf["id"]
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    sent = sends(bitcoind, rid)
    assert len(sent) == 1 and sent[0]["subtract_fee"] is True
    assert sent[0]["amount_sat"] == 20000 - 141
    got = get(server, rid)
    assert got["buyer_pays_fee"] is True and got["amount_sats"] == 20000
    assert got["fee_sats"] == 141 and got["received_sats"] == 20000 - 141


def test_lightning_routing_fee_recorded(stack):
    server, phoenixd, _, cfg, env, _ = stack
    inv = paid_invoice(server, 30000)["id"]
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 20000})
    rid = refund(server, inv, 20000, bolt11["invoice"])
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    paid = [e for e in phoenixd.ledger() if e.get("payment_hash") == bolt11["payment_hash"]]
    assert len(paid) == 1 and paid[0]["fee_sat"] > 0
    got = get(server, rid)
    assert got["fee_sats"] == paid[0]["fee_sat"]
    assert got["received_sats"] == 20000
    assert got["tx_status"] is None and got["confirmations"] is None
    assert "fee_warning" not in events(server, rid)


def test_fee_warning_above_the_percent_once(stack):
    server, _, bitcoind, cfg, env, _ = stack
    inv = paid_invoice(server, 30000)["id"]
    low = refund(server, inv, 14100, ADDR)   # 141 sat is exactly 1%: no warning
    high = refund(server, inv, 14099, ADDR)  # just above 1%
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=2" in r.stdout, r.stdout + r.stderr
    assert get(server, low)["fee_sats"] == get(server, high)["fee_sats"] == 141
    assert "fee_warning" not in events(server, low)
    bitcoind.control("/_fake/mine", {"blocks": 3})
    watch(cfg, env)
    watch(cfg, env)
    assert events(server, high).count("fee_warning") == 1
    assert "fee_warning" not in events(server, low)
    _, _, ev = server.request("GET", f"/v1/stores/main/refunds/{high}/events", token=ADMIN)
    warn = [e for e in ev["data"] if e["event"] == "fee_warning"][0]
    assert warn["detail"]["fee_sats"] == 141 and warn["detail"]["fee_warning_percent"] == 1


def test_conflicted_transaction_gets_its_event_once_and_is_never_resent(stack):
    server, _, bitcoind, cfg, env, _ = stack
    inv = paid_invoice(server, 30000)["id"]
    rid = refund(server, inv, 20000, ADDR)
    assert refunds_once(cfg, env).returncode == 0
    txid = get(server, rid)["tx_id"]
    bitcoind.control("/_fake/mine", {"blocks": 1})
    watch(cfg, env)
    assert get(server, rid)["confirmations"] == 1
    # a reorg double-spends it: negative confirmations
    bitcoind.control("/_fake/reorg", {"depth": 1, "drop": [txid], "blocks": 2})
    out = watch(cfg, env)
    assert "tx_status=conflicted" in out, out
    got = get(server, rid)
    assert got["tx_status"] == "conflicted" and got["status"] == "succeeded"
    assert got["confirmed_at"] is None
    for _ in range(2):
        watch(cfg, env)
        assert "claimed=0 " in refunds_once(cfg, env).stdout
    assert events(server, rid).count("tx_conflicted") == 1
    assert len(sends(bitcoind, rid)) == 1


def test_replaced_in_the_mempool_is_conflicted(stack):
    server, _, bitcoind, cfg, env, _ = stack
    inv = paid_invoice(server, 30000)["id"]
    rid = refund(server, inv, 20000, ADDR)
    assert refunds_once(cfg, env).returncode == 0
    bitcoind.control("/_fake/replace", {"txid": get(server, rid)["tx_id"], "fee_bump_sat": 500})
    assert "tx_status=conflicted" in watch(cfg, env)
    assert events(server, rid).count("tx_conflicted") == 1
    assert len(sends(bitcoind, rid)) == 1


@pytest.mark.parametrize("how", ["abandon", "forget"])
def test_dropped_transaction_gets_its_event_once_and_is_never_resent(stack, how):
    server, _, bitcoind, cfg, env, _ = stack
    inv = paid_invoice(server, 30000)["id"]
    rid = refund(server, inv, 20000, ADDR)
    assert refunds_once(cfg, env).returncode == 0
    bitcoind.control("/_fake/evict", {"txid": get(server, rid)["tx_id"], how: True})
    out = watch(cfg, env)
    assert "tx_status=dropped" in out, out
    for _ in range(2):
        watch(cfg, env)
        assert "claimed=0 " in refunds_once(cfg, env).stdout
    got = get(server, rid)
    assert got["tx_status"] == "dropped" and got["status"] == "succeeded"
    assert events(server, rid).count("tx_dropped") == 1
    assert len(sends(bitcoind, rid)) == 1


def test_last_error_shown_while_deferred_and_cleared_after_success(stack):
    server, _, bitcoind, cfg, env, owner = stack
    inv = paid_invoice(server, 30000)["id"]
    rid = refund(server, inv, 20000, ADDR)
    bitcoind.control("/_fake/balance", {"sat": 5000})
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "deferred=1" in r.stdout, r.stdout + r.stderr
    got = get(server, rid)
    assert got["status"] == "pending" and got["next_attempt_at"] is not None
    assert "Insufficient funds" in got["last_error"], got
    assert sends(bitcoind, rid) == []
    bitcoind.control("/_fake/balance", {"sat": 10_000_000})
    with owner.cursor() as cur:  # skip the back-off
        cur.execute("UPDATE refunds SET next_attempt_at = now() WHERE id = %s", (rid,))
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    got = get(server, rid)
    assert got["status"] == "succeeded" and got["last_error"] is None
    assert len(sends(bitcoind, rid)) == 1


def test_last_error_says_the_daily_limit_holds_it(stack):
    """A refund the pass leaves pending under its own limit (not a backend
    error: no attempt is made) shows why too, and the public host's role
    cannot write that note."""
    server, _, bitcoind, cfg, env, _ = stack
    cfg.write_text(cfg.read_text().replace(
        "[stores.bitcoin_payout.refunds]\n",
        "[stores.bitcoin_payout.refunds]\ndaily_refund_limit_sats = 25000\n", 1))
    inv = paid_invoice(server, 50000)["id"]
    first = refund(server, inv, 20000, ADDR)
    second = refund(server, inv, 20000, ADDR)
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    paid, held = (first, second) if sends(bitcoind, first) else (second, first)
    got = get(server, held)
    assert got["status"] == "pending" and sends(bitcoind, held) == []
    assert "daily_refund_limit_sats 25000" in got["last_error"], got
    assert get(server, paid)["last_error"] is None
    cfg.write_text(cfg.read_text().replace("daily_refund_limit_sats = 25000",
                                           "daily_refund_limit_sats = 50000"))
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    got = get(server, held)
    assert got["status"] == "succeeded" and got["last_error"] is None
    assert len(sends(bitcoind, held)) == 1


def test_only_the_executor_writes_the_chain_fields_and_only_as_allowed(users):  # noqa: F811
    owner, api, exe = users["owner"], users["qpayd_api"], users["qpayd_executor"]
    owner.autocommit = True
    txid = "ab" * 32
    assert sql(owner, "INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
                      "paid_at) VALUES ('inv_c', 'main', 50000, 50000, 'paid', now())")[0] is None
    for rid, tx_status, fee in (("rf_watched", "unconfirmed", 141), ("rf_by_hand", None, None)):
        assert sql(owner, "INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                          "destination_type, payout_backend, status, tx_id, fee_sats, "
                          "completed_at, tx_status, confirmations) VALUES (%s, 'main', 'inv_c', "
                          "10000, %s, 'bitcoin_address', 'bitcoin', 'succeeded', %s, %s, now(), "
                          "%s, %s)", rid, ADDR, txid, fee, tx_status,
                   0 if tx_status else None)[0] is None
    observe = ("SELECT tx_status, confirmations FROM refund_chain_observe('main', %s, %s, %s, "
               "%s, NULL, 3, 1, 'test')")
    # the public host's role may not call them, nor write the columns
    assert sql(api, observe, "rf_watched", "executor:x", "seen", 5)[0] == DENIED
    assert sql(api, "SELECT * FROM refund_chain_defer('main', 'rf_watched', 'executor:x', '{}', "
                    "1, 1, 'x')")[0] == DENIED
    assert sql(api, "SELECT * FROM refund_chain_note('main', 'rf_watched', 'executor:x', "
                    "'deferred', '{}', 'x')")[0] == DENIED
    assert sql(exe, "UPDATE refunds SET tx_status = 'confirmed' WHERE id = 'rf_watched'")[0] \
        == DENIED
    # an executor session, but not as an executor actor
    assert sql(exe, observe, "rf_watched", "api", "seen", 5)[0] == DENIED
    # a refund the executor did not send (finalized by hand) is not watched
    assert sql(exe, observe, "rf_by_hand", "executor:x", "dropped", 0)[0] == TRANSITION
    # confirmations only grow; confirmed once at 3
    assert sql(exe, observe, "rf_watched", "executor:x", "seen", 2)[1] == [("unconfirmed", 2)]
    assert sql(exe, observe, "rf_watched", "executor:x", "seen", 1)[1] == [("unconfirmed", 2)]
    assert sql(exe, observe, "rf_watched", "executor:x", "seen", 3)[1] == [("confirmed", 3)]
    assert sql(exe, observe, "rf_watched", "executor:x", "seen", 4)[1] == [("confirmed", 4)]
    _, ev = sql(exe, "SELECT event FROM refund_events WHERE refund_id = 'rf_watched'")
    assert ev == [("fee_warning",), ("confirmed",)]  # 141 sat is above 1% of 10000
    # the rest of a final refund stays frozen, even for the owner
    assert sql(owner, "UPDATE refunds SET fee_sats = 1 WHERE id = 'rf_watched'")[0] == TRANSITION
    assert sql(owner, "UPDATE refunds SET last_error = 'x' WHERE id = 'rf_watched'")[0] \
        == TRANSITION
    assert sql(owner, "UPDATE refunds SET failure_reason = 'x' WHERE id = 'rf_by_hand'")[0] \
        == TRANSITION


def test_service_watches_until_confirmed(stack, tmp_path, daemons):
    import time
    from conftest import Daemon
    server, _, bitcoind, cfg, env, _ = stack
    cfg.write_text(cfg.read_text().replace("poll_seconds = 30", "poll_seconds = 1"))
    d = Daemon([EXECUTOR, "--config", str(cfg), "refunds"], env, str(tmp_path / "executor.log"))
    daemons.append(d)
    d.wait_for_log("refund executor started")
    inv = paid_invoice(server, 30000)["id"]
    rid = refund(server, inv, 20000, ADDR)
    deadline = time.time() + 15
    while get(server, rid)["status"] != "succeeded" and time.time() < deadline:
        time.sleep(0.1)
    assert get(server, rid)["tx_status"] == "unconfirmed"
    bitcoind.control("/_fake/mine", {"blocks": 3})
    while get(server, rid)["tx_status"] != "confirmed" and time.time() < deadline:
        time.sleep(0.1)
    got = get(server, rid)
    assert got["tx_status"] == "confirmed" and got["confirmations"] == 3, got
    d.wait_for_log(f"chain refund={rid} ")
    assert events(server, rid).count("confirmed") == 1
