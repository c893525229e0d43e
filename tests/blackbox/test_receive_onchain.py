"""On-chain payments detected by qpayd serve through the fake bitcoind's
watch-only descriptor wallet: fresh labelled addresses and BIP21 URIs,
seen at 0 confirmations then credited at the store's depth, reorgs back to
the mempool and double spends, RBF replacements, under/overpayment with the
automatic refund of the excess, expired and late invoices, a node on the
wrong chain or in initial block download, mark-paid, and no spending call."""
import json
import time

import pytest

from apiutil import ADMIN, API
from conftest import QPAYD, base_env, free_port, run, server_config
from recvutil import Bitcoind, FAKES, WATCH_PASSWORD, WATCH_USER, create, get, receiving_server, \
    start_bitcoind, stores, wait_for

# What `qpayd serve` needs from bitcoind (deploy/bitcoin.conf.example, the
# serve-only rpcwhitelist line): nothing that spends.
SERVE_METHODS = "getblockchaininfo,getwalletinfo,getnewaddress,listsinceblock,gettransaction"


@pytest.fixture
def btc(tmp_path):
    b = start_bitcoind(tmp_path)
    yield b
    b.stop()


def server(tmp_path, dburl, daemons, b, **kw):
    kw.setdefault("chain_poll", 1)
    return receiving_server(tmp_path, dburl, daemons, bitcoind=b, **kw)


def events(s, inv):
    st, _, ev = s.request("GET", f"/v1/stores/main/invoices/{inv['id']}/events", token=API)
    assert st == 200, ev
    assert ev["invoice_id"] == inv["id"]
    return ev["data"]


def kinds(s, inv):
    return [e["event"] for e in events(s, inv)]


def changes(s, inv):
    return [(e["from_status"], e["to_status"]) for e in events(s, inv)
            if e["event"] == "status_changed"]


def status_is(s, inv, status):
    """A waiter: the invoice once it reads `status`."""
    def check():
        got = get(s, inv)
        return got if got["status"] == status else None
    return check


def reach(s, inv, status, timeout=10):
    return wait_for(status_is(s, inv, status), timeout, f"invoice {inv['id']} {status}")


def payment(got, ref):
    found = [p for p in got["payments"] if p["reference"] == ref]
    assert len(found) == 1, got["payments"]
    return found[0]


def test_address_bip21_and_label(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc)
    a = create(s, 1000)
    b = create(s, 250000, description="two")
    assert a["onchain_address"].startswith("bcrt1"), a
    assert a["bip21"] == f"bitcoin:{a['onchain_address']}?amount=0.00001"
    assert b["bip21"] == f"bitcoin:{b['onchain_address']}?amount=0.0025"
    assert a["bolt11"] is None and a["payments"] == [] and a["status"] == "unpaid"
    more = [create(s, 1000 + i) for i in range(5)]
    addrs = [x["onchain_address"] for x in [a, b] + more]
    assert len(set(addrs)) == len(addrs), addrs
    # the watch-only wallet owns each address, labelled with the invoice id
    for inv in [a, b] + more:
        info = btc.rpc("getaddressinfo", [inv["onchain_address"]], wallet="watch")
        assert info["ismine"] is True and info["labels"] == [inv["id"]], info
    # GET shows the same instructions
    got = get(s, a)
    assert got["onchain_address"] == a["onchain_address"] and got["bip21"] == a["bip21"]
    # onchain only, and a method the store lacks
    st, _, only = s.request("POST", "/v1/stores/main/invoices",
                            {"amount_sats": 1000, "payment_methods": ["onchain"]}, token=API)
    assert st == 201 and only["onchain_address"].startswith("bcrt1"), only
    st, _, err = s.request("POST", "/v1/stores/main/invoices",
                           {"amount_sats": 1000, "payment_methods": ["lightning"]}, token=API)
    assert st == 422 and err["error"]["code"] == "payment_method_unavailable", err


def test_seen_then_credited_at_one_confirmation(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc, confirmations=1)
    inv = create(s, 1000)
    paid = btc.pay(inv["onchain_address"], 1000)
    ref = f"{paid['txid']}:{paid['vout']}"
    got = reach(s, inv, "processing")
    p = payment(got, ref)
    assert p["method"] == "onchain" and p["state"] == "seen" and p["confirmations"] == 0
    assert p["amount_sats"] == 1000 and p["first_seen_at"] and p["credited_at"] is None
    assert got["amount_paid_sats"] == 0 and got["paid_at"] is None and got["late"] is False
    time.sleep(2.5)  # more polls at 0 conf change nothing
    assert get(s, inv)["status"] == "processing"
    assert kinds(s, inv) == ["payment_seen", "status_changed"]
    btc.mine(1)
    got = reach(s, inv, "paid")
    p = payment(got, ref)
    assert p["state"] == "credited" and p["confirmations"] == 1 and p["credited_at"]
    assert got["amount_paid_sats"] == 1000 and got["paid_at"]
    ev = events(s, inv)
    assert [e["event"] for e in ev] == ["payment_seen", "status_changed", "payment_credited",
                                        "status_changed"], ev
    assert {e["actor"] for e in ev} == {"onchain"}
    assert changes(s, inv) == [("unpaid", "processing"), ("processing", "paid")]
    assert ev[2]["detail"]["reference"] == ref and ev[2]["detail"]["amount_sats"] == 1000
    # deeper blocks: still one payment, no new event
    btc.mine(2)
    time.sleep(2.5)
    got = get(s, inv)
    assert got["status"] == "paid" and len(got["payments"]) == 1
    assert len(events(s, inv)) == 4


def test_two_confirmations_required(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc, confirmations=2)
    inv = create(s, 3000)
    paid = btc.pay(inv["onchain_address"], 3000)
    ref = f"{paid['txid']}:{paid['vout']}"
    reach(s, inv, "processing")
    btc.mine(1)
    got = wait_for(lambda: (g := get(s, inv))["payments"][0]["confirmations"] == 1 and g, 10,
                   "1 confirmation seen")
    assert got["status"] == "processing" and payment(got, ref)["state"] == "seen"
    time.sleep(2.5)
    got = get(s, inv)
    assert got["status"] == "processing" and got["amount_paid_sats"] == 0
    assert "payment_credited" not in kinds(s, inv)
    btc.mine(1)
    got = reach(s, inv, "paid")
    p = payment(got, ref)
    assert p["state"] == "credited" and p["confirmations"] == 2
    assert got["amount_paid_sats"] == 3000


def test_reorg_back_to_mempool_then_mined_again(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc, confirmations=1)
    inv = create(s, 1000)
    paid = btc.pay(inv["onchain_address"], 1000)
    ref = f"{paid['txid']}:{paid['vout']}"
    reach(s, inv, "processing")
    btc.mine(1)
    reach(s, inv, "paid")
    r = btc.control("reorg", {"depth": 1, "blocks": 1})
    assert r["detached"], r
    assert paid["txid"] in btc.control("state")["mempool"]  # not re-mined
    got = reach(s, inv, "processing")
    p = payment(got, ref)
    assert p["state"] == "seen" and p["confirmations"] == 0 and p["credited_at"] is None
    assert got["amount_paid_sats"] == 0
    ev = events(s, inv)
    unconf = [e for e in ev if e["event"] == "payment_unconfirmed"]
    assert len(unconf) == 1 and unconf[0]["actor"] == "onchain", ev
    assert unconf[0]["detail"]["reference"] == ref
    assert changes(s, inv)[-1] == ("paid", "processing")
    btc.mine(1)
    got = reach(s, inv, "paid")
    assert payment(got, ref)["state"] == "credited" and got["amount_paid_sats"] == 1000
    assert kinds(s, inv).count("payment_credited") == 2
    assert changes(s, inv) == [("unpaid", "processing"), ("processing", "paid"),
                               ("paid", "processing"), ("processing", "paid")]


def test_reorg_double_spend_removes_the_payment(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc, confirmations=1)
    inv = create(s, 1000)
    paid = btc.pay(inv["onchain_address"], 1000)
    ref = f"{paid['txid']}:{paid['vout']}"
    btc.mine(1)
    reach(s, inv, "paid")
    r = btc.control("reorg", {"depth": 1, "drop": [paid["txid"]]})
    assert r["double_spends"], r
    got = wait_for(lambda: (g := get(s, inv))["payments"][0]["state"] == "removed" and g, 10,
                   "payment removed")
    assert got["status"] == "unpaid" and got["amount_paid_sats"] == 0 and got["paid_at"] is None
    assert payment(got, ref)["credited_at"] is None
    ev = events(s, inv)
    removed = [e for e in ev if e["event"] == "payment_removed"]
    assert len(removed) == 1 and removed[0]["actor"] == "onchain", ev
    assert removed[0]["detail"]["reference"] == ref
    assert changes(s, inv)[-1] == ("paid", "unpaid")
    # later blocks do not bring it back
    btc.mine(2)
    time.sleep(2.5)
    got = get(s, inv)
    assert got["status"] == "unpaid" and payment(got, ref)["state"] == "removed"
    assert kinds(s, inv).count("payment_removed") == 1


def test_rbf_replacement_counts_only_the_new_transaction(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc, confirmations=1)
    inv = create(s, 1000)
    old = btc.pay(inv["onchain_address"], 600, replaceable=True)
    old_ref = f"{old['txid']}:{old['vout']}"
    got = reach(s, inv, "processing")
    assert payment(got, old_ref)["state"] == "seen"
    new = btc.control("replace", {"txid": old["txid"], "amount_sat": 1000})
    assert new["replaced"] == old["txid"] and new["txid"] != old["txid"]
    new_ref = f"{new['txid']}:0"

    def both():
        g = get(s, inv)
        refs = {p["reference"]: p["state"] for p in g["payments"]}
        return g if refs == {old_ref: "removed", new_ref: "seen"} else None
    got = wait_for(both, 10, "old removed, replacement seen")
    assert got["status"] == "processing" and got["amount_paid_sats"] == 0
    assert payment(got, new_ref)["amount_sats"] == 1000
    ev = events(s, inv)
    assert [e["detail"]["reference"] for e in ev if e["event"] == "payment_removed"] == [old_ref]
    btc.mine(1)
    got = reach(s, inv, "paid")
    assert got["amount_paid_sats"] == 1000
    assert payment(got, new_ref)["state"] == "credited"
    assert payment(got, old_ref)["state"] == "removed"
    time.sleep(2.5)
    got = get(s, inv)
    assert got["status"] == "paid" and payment(got, old_ref)["state"] == "removed"
    credited = [e["detail"]["reference"] for e in events(s, inv) if e["event"] == "payment_credited"]
    assert credited == [new_ref]


def test_underpaid(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc)
    inv = create(s, 1000)
    btc.pay(inv["onchain_address"], 600)
    reach(s, inv, "processing")
    btc.mine(1)
    got = reach(s, inv, "underpaid")
    assert got["amount_paid_sats"] == 600
    assert changes(s, inv) == [("unpaid", "processing"), ("processing", "underpaid")]
    # a second payment to the same address completes it
    btc.pay(inv["onchain_address"], 400)
    got = reach(s, inv, "processing")
    assert got["amount_paid_sats"] == 600 and len(got["payments"]) == 2
    btc.mine(1)
    got = reach(s, inv, "paid")
    assert got["amount_paid_sats"] == 1000


def test_overpaid_auto_refund_once(tmp_path, dburl, daemons, btc, cluster, dbname):
    s = server(tmp_path, dburl, daemons, btc, store_extra="auto_refund_overpayment = true")
    dest = btc.rpc("getnewaddress", [], wallet="refunds")  # the payer's own wallet
    assert dest.startswith("bcrt1")
    inv = create(s, 1000, refund_destination=dest)
    assert inv["refund_destination"] == dest
    # no refund while the overpayment is only seen
    btc.pay(inv["onchain_address"], 1300)
    reach(s, inv, "processing")

    def refunds():
        st, _, r = s.request("GET", f"/v1/stores/main/invoices/{inv['id']}/refunds", token=ADMIN)
        assert st == 200, r
        return r["data"]
    time.sleep(1.5)
    assert refunds() == []
    btc.mine(1)
    got = reach(s, inv, "overpaid")
    assert got["amount_paid_sats"] == 1300
    rf = wait_for(refunds, 5, "auto refund")
    assert len(rf) == 1, rf
    assert rf[0]["amount_sats"] == 300 and rf[0]["reason"] == "overpayment"
    assert rf[0]["destination"] == dest and rf[0]["destination_type"] == "bitcoin_address"
    assert rf[0]["idempotency_key"] == f"auto_overpayment:{inv['id']}"
    btc.mine(1)
    time.sleep(2.5)
    assert len(refunds()) == 1
    s.restart()
    # make the restarted watcher read the whole wallet history again
    conn = cluster.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM chain_state WHERE store_id = 'main'")
    finally:
        conn.close()
    btc.mine(1)
    time.sleep(3)
    assert len(refunds()) == 1
    got = get(s, inv)
    assert got["status"] == "overpaid" and len(got["payments"]) == 1
    assert kinds(s, inv).count("payment_credited") == 1
    # no refund without auto_refund_overpayment's second condition: no destination
    other = create(s, 1000)
    btc.pay(other["onchain_address"], 1500)
    btc.mine(1)
    reach(s, other, "overpaid")
    time.sleep(1.5)
    st, _, r = s.request("GET", f"/v1/stores/main/invoices/{other['id']}/refunds", token=ADMIN)
    assert st == 200 and r["data"] == []


def expire(cluster, dbname, inv):
    conn = cluster.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE invoices SET expires_at = now() - interval '1 minute' "
                        "WHERE id = %s", (inv["id"],))
            assert cur.rowcount == 1
    finally:
        conn.close()


def test_expired_then_late_payment_credited(tmp_path, dburl, daemons, btc, cluster, dbname):
    s = server(tmp_path, dburl, daemons, btc)
    inv = create(s, 1000, expiry_seconds=60)
    fresh = create(s, 1000, expiry_seconds=60)
    assert get(s, inv)["status"] == "unpaid"
    expire(cluster, dbname, inv)
    got = get(s, inv)
    assert got["status"] == "expired" and got["late"] is False
    assert get(s, fresh)["status"] == "unpaid"
    paid = btc.pay(inv["onchain_address"], 1000)
    ref = f"{paid['txid']}:{paid['vout']}"
    got = reach(s, inv, "processing")
    assert payment(got, ref)["late"] is True
    btc.mine(1)
    got = reach(s, inv, "paid")
    assert got["late"] is True and got["amount_paid_sats"] == 1000
    p = payment(got, ref)
    assert p["late"] is True and p["state"] == "credited"
    credited = [e for e in events(s, inv) if e["event"] == "payment_credited"]
    assert len(credited) == 1 and credited[0]["detail"]["late"] is True
    # an invoice paid in time is not late
    btc.pay(fresh["onchain_address"], 1000)
    btc.mine(1)
    got = reach(s, fresh, "paid")
    assert got["late"] is False and got["payments"][0]["late"] is False


def test_wrong_network_refuses_to_start(tmp_path, dburl):
    b = start_bitcoind(tmp_path, chain="main", watch=False)
    try:
        cfg = tmp_path / "wrong.toml"
        cfg.write_text(server_config(free_port(), 1, stores=stores(bitcoind=b)))
        env = base_env(dburl)
        assert run(QPAYD, ["--config", str(cfg), "migrate"], env).returncode == 0
        r = run(QPAYD, ["--config", str(cfg), "serve"], env, timeout=30)
        out = r.stdout + r.stderr
        assert r.returncode == 1, out
        line = [l for l in out.splitlines() if "another chain" in l]
        assert line, out
        assert "store=main" in line[0] and "chain=main" in line[0], line
        assert "network=regtest" in line[0]
        assert "msg=listening" not in out
        assert WATCH_PASSWORD not in out
    finally:
        b.stop()


def test_initial_block_download_credits_nothing(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc)
    inv = create(s, 1000)
    btc.control("ibd", {"on": True})
    btc.pay(inv["onchain_address"], 1000)
    btc.mine(1)
    time.sleep(3.5)  # three polls or more
    got = get(s, inv)
    assert got["status"] == "unpaid" and got["payments"] == [] and got["amount_paid_sats"] == 0
    assert events(s, inv) == []
    s.daemon.wait_for_log("initial block download", 5)
    st, _, ready = s.request("GET", "/readyz")
    assert st == 200 and ready["receive_backends"]["main"]["bitcoin"]["status"] == "failing", ready
    assert "initial block download" in ready["receive_backends"]["main"]["bitcoin"]["error"]
    btc.control("ibd", {"on": False})
    got = reach(s, inv, "paid")
    assert got["payments"][0]["state"] == "credited"
    s.daemon.wait_for_log("on-chain watcher running again", 5)
    time.sleep(1.5)
    st, _, ready = s.request("GET", "/readyz")
    assert ready["receive_backends"]["main"]["bitcoin"]["status"] == "ok", ready


def test_mark_paid_is_a_manual_payment(tmp_path, dburl, daemons, btc):
    s = server(tmp_path, dburl, daemons, btc)
    inv = create(s, 1000)
    st, _, err = s.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                           {"amount_sats": 1000}, token=API)
    assert st in (401, 403), err
    st, _, got = s.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                           {"amount_sats": 1000}, token=ADMIN)
    assert st == 200, got
    assert got["status"] == "paid" and got["amount_paid_sats"] == 1000
    [p] = got["payments"]
    assert p["method"] == "manual" and p["state"] == "credited" and p["credited_at"]
    assert p["reference"].startswith("manual_")
    ev = events(s, inv)
    credited = [e for e in ev if e["event"] == "payment_credited"]
    assert len(credited) == 1 and credited[0]["actor"] == "admin", ev
    assert credited[0]["detail"]["method"] == "manual"
    assert changes(s, inv) == [("unpaid", "paid")]
    # an on-chain payment on top of it is added, not confused with it
    btc.pay(inv["onchain_address"], 500)
    btc.mine(1)
    got = reach(s, inv, "overpaid")
    assert got["amount_paid_sats"] == 1500 and len(got["payments"]) == 2


class _HarnessBitcoind(Bitcoind):
    """The fake with qpayd's login limited to the serve whitelist; the test
    itself talks through a second, unrestricted login."""

    def rpc(self, method, params=None, wallet=None):
        import base64
        import urllib.request
        body = json.dumps({"id": 1, "method": method, "params": params or []}).encode()
        path = f"/wallet/{wallet}" if wallet else "/"
        auth = base64.b64encode(b"harness:harness-pw").decode()
        req = urllib.request.Request(self.url + path, data=body, method="POST",
                                     headers={"Authorization": "Basic " + auth})
        with urllib.request.urlopen(req, timeout=20) as r:
            doc = json.loads(r.read())
        assert doc["error"] is None, (method, doc["error"])
        return doc["result"]


class Recorder:
    """A recording proxy in front of the fake bitcoind: every JSON-RPC method
    qpayd sends, with the path and the answer's status. (The fake's --verbose
    log does not name methods, so the proxy is what proves what was called.)"""

    def __init__(self, upstream):
        import http.server
        import threading
        import urllib.error
        import urllib.request
        calls = self.calls = []

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    doc = json.loads(body)
                    items = doc if isinstance(doc, list) else [doc]
                    methods = [str(d.get("method")) for d in items]
                except ValueError:
                    methods = ["<unparsable>"]
                req = urllib.request.Request(upstream + self.path, data=body, method="POST",
                                             headers={k: v for k, v in self.headers.items()
                                                      if k.lower() in ("authorization",
                                                                       "content-type")})
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, out = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, out = e.code, e.read()
                calls.extend((self.path, m, status) for m in methods)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def test_no_spending_call(tmp_path, dburl, daemons):
    """qpayd serve works with bitcoind's serve-only rpcwhitelist for its user
    and calls nothing else (no sendtoaddress, no walletpassphrase): every
    request goes through a recording proxy; the spending wallet's ledger stays
    empty."""
    b = _HarnessBitcoind(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0",
                          "--rpcauth", f"{WATCH_USER}:{WATCH_PASSWORD}",
                          "--rpcauth", "harness:harness-pw",
                          "--whitelist", f"{WATCH_USER}:{SERVE_METHODS}", "--chain", "regtest",
                          "--ledger", str(tmp_path / "bitcoind.jsonl"), "--verbose"],
                         str(tmp_path / "bitcoind.log"))
    proxy = None
    try:
        b.watch_wallet()
        proxy = Recorder(b.url)
        s = receiving_server(tmp_path, dburl, daemons, bitcoind=proxy, chain_poll=1,
                             store_extra="auto_refund_overpayment = true")
        inv = create(s, 1000, refund_destination=b.rpc("getnewaddress", [], wallet="refunds"))
        paid = b.pay(inv["onchain_address"], 1200)
        reach(s, inv, "processing")
        b.mine(1)
        reach(s, inv, "overpaid")
        b.control("reorg", {"depth": 1, "drop": [paid["txid"]]})
        reach(s, inv, "unpaid")
        s.restart()
        time.sleep(1.5)
        methods = {m for _, m, _ in proxy.calls}
        assert {"getblockchaininfo", "getnewaddress", "listsinceblock"} <= methods, proxy.calls
        assert methods <= set(SERVE_METHODS.split(",")), proxy.calls
        assert not methods & {"sendtoaddress", "walletpassphrase", "sendmany", "send", "sendall",
                              "bumpfee", "walletprocesspsbt", "signrawtransactionwithwallet"}
        assert [c for c in proxy.calls if c[2] != 200] == [], proxy.calls
        # wallet methods went to the watch-only wallet, never the spending one
        assert {p for p, m, _ in proxy.calls if m in ("getnewaddress", "listsinceblock")} == \
            {"/wallet/watch"}, proxy.calls
        assert b.control("ledger") == []
        assert WATCH_PASSWORD not in s.daemon.text()
    finally:
        if proxy is not None:
            proxy.stop()
        b.stop()


def test_unconfirmed_payment_double_spent_between_polls(tmp_path, dburl, daemons, btc):
    """listsinceblock leaves out receives with negative confirmations: the
    watcher re-checks seen payments it no longer lists with gettransaction."""
    s = server(tmp_path, dburl, daemons, btc)
    inv = create(s, 1000)
    old = btc.pay(inv["onchain_address"], 1000)
    ref = f"{old['txid']}:{old['vout']}"
    reach(s, inv, "processing")
    # the payer sends the same coins elsewhere and that transaction is mined
    # before qpayd's next poll: bitcoind now reports the payment conflicted
    elsewhere = btc.rpc("getnewaddress", [], wallet="refunds")
    btc.control("replace", {"txid": old["txid"], "address": elsewhere, "mine": True})
    assert btc.rpc("gettransaction", [old["txid"], True], wallet="watch")["confirmations"] < 0
    got = wait_for(lambda: (g := get(s, inv))["payments"][0]["state"] == "removed" and g, 6,
                   "the conflicted payment removed")
    assert got["status"] == "unpaid" and payment(got, ref)["state"] == "removed"
    assert "payment_removed" in kinds(s, inv)
