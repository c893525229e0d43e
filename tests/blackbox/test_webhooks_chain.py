"""Issue 15 end to end: a refund created through the API with the shop's
reference, metadata and buyer_pays_fee, paid on-chain by the real executor
against the fake bitcoind, confirmed after blocks, and a second refund whose
transaction leaves the wallet: the shop's webhook receiver gets every event
of each, once, in order, signed, with the reference in the body."""
import time

import pytest

from apiutil import ADMIN, PAYOUT
from conftest import PAYOUT_ENV, TEST_ENV, Server, base_env
from test_executor_pay import STORES, get, paid_invoice, refunds_once  # noqa: F401
from test_executor_pay import executor_config, fakes  # noqa: F401
from test_refund_chain import ADDR, sends, watch
from test_webhooks import Receiver, documented_verify

SECRET = TEST_ENV["QPAYD_MAIN_WEBHOOK_SECRET"]
EVENTS = ("refund.created,refund.processing,refund.initiated,refund.succeeded,"
          "refund.broadcast,refund.fee_warning,refund.confirmed,refund.needs_attention")


@pytest.fixture
def stack(tmp_path, dburl, daemons, fakes, cluster, dbname):  # noqa: F811
    rcv = Receiver()
    stores = STORES + f"""
[stores.webhooks]
url = "{rcv.url('/shop')}"
secret_env = "QPAYD_MAIN_WEBHOOK_SECRET"
events = "{EVENTS}"
allow_private_targets = true
first_retry_seconds = 1
"""
    server = Server(tmp_path, dburl, stores=stores)
    daemons.append(server)
    phoenixd, bitcoind = fakes
    server.verify_conn = cluster.connect(dbname)
    server.verify_phoenixd = phoenixd.url
    cfg = executor_config(tmp_path, phoenixd, bitcoind)
    cfg.write_text(cfg.read_text().replace(
        'network = "regtest"\n', 'network = "regtest"\nconfirmations_required = 2\n', 1))
    yield server, bitcoind, cfg, base_env(dburl, PAYOUT_ENV), rcv
    rcv.stop()


def of(rcv, rid):
    return [e for e in rcv.events("/shop") if e["data"].get("id") == rid]


def test_onchain_refund_webhooks_from_create_to_confirmed(stack):
    server, bitcoind, cfg, env, rcv = stack
    inv = paid_invoice(server, 30000)["id"]
    status, _, rf = server.request(
        "POST", f"/v1/stores/main/invoices/{inv}/refunds",
        {"amount_sats": 10000, "destination": ADDR, "reference": "order 1234 / ticket #7",
         "metadata": {"order": 1234}, "buyer_pays_fee": True}, token=PAYOUT)
    assert status == 201, rf
    rid = rf["id"]
    assert rf["reference"] == "order 1234 / ticket #7" and rf["buyer_pays_fee"] is True
    # refund.created is delivered now, and its delivery writes the refund's
    # last_notification_at: while that transaction holds the row, the
    # executor's claim (FOR UPDATE SKIP LOCKED) passes over it until its next
    # pass, which made refunds-once claim nothing once under load. Wait for
    # that write to commit, so that this one pass is the one that pays.
    deadline = time.monotonic() + 15
    while get(server, rid).get("last_notification_at") is None:
        assert time.monotonic() < deadline, "refund.created was not delivered"
        time.sleep(0.05)
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr
    sent = sends(bitcoind, rid)
    assert len(sent) == 1 and sent[0]["subtract_fee"] is True
    assert sent[0]["amount_sat"] == 10000 - 141  # the customer paid the fee
    bitcoind.control("/_fake/mine", {"blocks": 2})
    watch(cfg, env)
    watch(cfg, env)  # a second look changes nothing
    want = ["refund.created", "refund.processing", "refund.initiated", "refund.succeeded",
            "refund.broadcast", "refund.fee_warning", "refund.confirmed"]
    rcv.wait(lambda: len(of(rcv, rid)) >= len(want), what="the refund's webhooks")
    time.sleep(1.5)  # nothing more arrives
    got = of(rcv, rid)
    types = [e["type"] for e in got]
    # each type once; aliases right after the type they go with
    assert sorted(types) == sorted(want), types
    base = [t for t in types if t not in ("refund.initiated", "refund.broadcast")]
    assert base == ["refund.created", "refund.processing", "refund.succeeded",
                    "refund.fee_warning", "refund.confirmed"], types
    assert len({e["id"] for e in got}) == len(got)
    for e in got:
        assert e["data"]["reference"] == "order 1234 / ticket #7"
        assert e["data"]["metadata"] == {"order": 1234}
    broadcast = [e for e in got if e["type"] == "refund.broadcast"][0]
    assert broadcast["data"]["tx_id"] == sent[0]["txid"]
    confirmed = [e for e in got if e["type"] == "refund.confirmed"][0]["data"]
    assert confirmed["tx_status"] == "confirmed" and confirmed["confirmations"] == 2
    assert confirmed["fee_sats"] == 141 and confirmed["received_sats"] == 10000 - 141
    verify = documented_verify()
    assert all(verify(SECRET, h["Qpayd-Signature"], b) for _, h, b, _ in rcv.got)
    final = get(server, rid)
    assert final["last_notification_at"] is not None
    # the shop finds it by its reference
    status, _, page = server.request(
        "GET", "/v1/stores/main/refunds?reference=order%201234%20%2F%20ticket%20%237",
        token=ADMIN)
    assert status == 200 and [x["id"] for x in page["data"]] == [rid], page


def test_dropped_refund_transaction_needs_attention_once(stack):
    server, bitcoind, cfg, env, rcv = stack
    inv = paid_invoice(server, 30000)["id"]
    status, _, rf = server.request("POST", f"/v1/stores/main/invoices/{inv}/refunds",
                                   {"amount_sats": 20000, "destination": ADDR}, token=PAYOUT)
    assert status == 201, rf
    rid = rf["id"]
    assert refunds_once(cfg, env).returncode == 0
    bitcoind.control("/_fake/evict", {"txid": get(server, rid)["tx_id"], "forget": True})
    for _ in range(3):
        watch(cfg, env)
        assert "claimed=0 " in refunds_once(cfg, env).stdout  # never sent again
    rcv.wait(lambda: "refund.needs_attention" in [e["type"] for e in of(rcv, rid)],
             what="refund.needs_attention")
    time.sleep(1.5)
    types = [e["type"] for e in of(rcv, rid)]
    assert types.count("refund.needs_attention") == 1, types
    attention = [e for e in of(rcv, rid) if e["type"] == "refund.needs_attention"][0]
    assert attention["data"]["tx_status"] == "dropped"
    assert attention["data"]["status"] == "succeeded"
    assert len(sends(bitcoind, rid)) == 1
