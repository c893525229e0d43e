"""Lightning payments detected by qpayd serve through the fake phoenixd with
the limited password only: by the signed webhook, by the poller when the
webhook is lost, never by an unsigned or altered body, once when delivered
twice."""
import json
import urllib.request

from apiutil import ADMIN, API
from recvutil import LIMITED, SECRET, create, get, receiving_server, start_phoenixd, wait_for


def test_paid_via_webhook(tmp_path, dburl, daemons):
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=3600,
                             public_url="http://127.0.0.1:1")  # rewritten below
        inv = create(s, 1500, description="coffee")
        assert inv["bolt11"].startswith("lnbcrt") and len(inv["payment_hash"]) == 64
        assert inv["bip21"] == "lightning:" + inv["bolt11"]
        assert inv["status"] == "unpaid" and inv["payments"] == []
        # phoenixd was asked with the limited password, externalId = invoice id
        got = ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
        assert got["event"]["externalId"] == inv["id"]
        # deliver the webhook ourselves to this server, signed as phoenixd signs
        assert signed_post(s, json.dumps(got["event"], indent=4).encode())[0] == 200
        paid = wait_for(lambda: get(s, inv)["status"] == "paid" and get(s, inv), 5, "paid")
        assert paid["amount_paid_sats"] == 1500 and paid["paid_at"]
        assert [p["method"] for p in paid["payments"]] == ["lightning"]
    finally:
        ph.stop()


def signed_post(s, body, secret=SECRET, sig=None, store="main"):
    import hashlib
    import hmac
    if sig is None:
        sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json"}
    if sig is not False:
        headers["X-Phoenix-Signature"] = sig
    return s.request("POST", f"/v1/webhooks/phoenixd/{store}", body, headers=headers)


def metrics(s):
    """GET /metrics as {series: value} (Prometheus values are floats)."""
    st, _, text = s.request("GET", "/metrics")
    assert st == 200
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def payments(s, inv):
    return get(s, inv)["payments"]


def test_webhook_from_phoenixd_itself(tmp_path, dburl, daemons):
    """phoenixd posts to the invoice's webhookUrl ([server] public_url)."""
    ph = start_phoenixd(tmp_path)
    try:
        from conftest import free_port
        port = free_port()
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=3600,
                             public_url=f"http://127.0.0.1:{port}")
        # public_url must be this server: restart it on that port
        s.port, s.base = port, f"http://127.0.0.1:{port}"
        s.config.write_text(s.config.read_text().replace(
            "listen = \"127.0.0.1:", f"listen = \"127.0.0.1:{port}\"\n#", 1))
        s.restart()
        inv = create(s, 2100)
        got = ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": True})
        assert [w["status"] for w in got["webhooks"]] == [200], got
        paid = wait_for(lambda: get(s, inv)["status"] == "paid" and get(s, inv), 5, "paid")
        assert paid["amount_paid_sats"] == 2100
        st, _, ev = s.request("GET", f"/v1/stores/main/invoices/{inv['id']}/events", token=API)
        assert st == 200
        kinds = [(e["actor"], e["event"]) for e in ev["data"]]
        assert ("lightning", "payment_credited") in kinds and ("lightning", "status_changed") in kinds
    finally:
        ph.stop()


def test_lost_webhook_poller_finds_it(tmp_path, dburl, daemons):
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=1)
        inv = create(s, 700)
        ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
        paid = wait_for(lambda: get(s, inv)["status"] == "paid" and get(s, inv), 8, "poller")
        assert paid["payments"][0]["reference"] == inv["payment_hash"]
        assert paid["payments"][0]["state"] == "credited"
    finally:
        ph.stop()


def test_forged_and_altered_webhooks_record_nothing(tmp_path, dburl, daemons):
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=3600)
        inv = create(s, 900)
        got = ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
        body = json.dumps(got["event"], indent=4).encode()
        # no signature, a wrong secret, garbage, and a signed body altered after signing
        assert signed_post(s, body, sig=False)[0] == 401
        assert signed_post(s, body, secret="not-the-secret")[0] == 401
        assert signed_post(s, body, sig="zz" * 32)[0] == 401
        import hashlib
        import hmac
        good = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        altered = body.replace(b"900", b"901")
        st, _, err = signed_post(s, altered, sig=good)
        assert st == 401 and err["error"]["code"] == "invalid_signature"
        # other store / unknown store
        assert signed_post(s, body, store="nope")[0] == 404
        import time
        time.sleep(1.0)
        assert payments(s, inv) == [] and get(s, inv)["status"] == "unpaid"
        # a signed body that is not a payment_received event
        st, _, err = signed_post(s, b'{"type":"something_else"}')
        assert st == 400 and err["error"]["code"] == "invalid_event"
        m = metrics(s)
        assert m['qpayd_webhooks_total{result="bad_signature"}'] == 4
        assert m['qpayd_webhooks_total{result="invalid"}'] == 1
        assert m['qpayd_webhooks_total{result="accepted"}'] == 0
        log = s.daemon.text()
        assert SECRET not in log and LIMITED not in log
    finally:
        ph.stop()


def test_signed_body_is_not_trusted_for_amounts(tmp_path, dburl, daemons):
    """A correctly signed webhook for an invoice phoenixd says is unpaid
    records nothing: qpayd asks phoenixd, it never believes the body."""
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=3600)
        inv = create(s, 1200)
        body = json.dumps({"type": "payment_received", "timestamp": 1, "amountSat": 1200,
                           "paymentHash": inv["payment_hash"], "externalId": inv["id"],
                           "payerNote": None, "payerKey": None}).encode()
        assert signed_post(s, body)[0] == 200
        import time
        time.sleep(1.0)
        assert payments(s, inv) == [] and get(s, inv)["status"] == "unpaid"
    finally:
        ph.stop()


def test_duplicate_webhook_one_payment(tmp_path, dburl, daemons):
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=1)
        inv = create(s, 1000)
        got = ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
        body = json.dumps(got["event"], indent=4).encode()
        for _ in range(5):
            assert signed_post(s, body)[0] == 200
        wait_for(lambda: get(s, inv)["status"] == "paid", 5, "paid")
        import time
        time.sleep(2.5)  # two more poller rounds
        paid = get(s, inv)
        assert paid["amount_paid_sats"] == 1000 and len(paid["payments"]) == 1
        st, _, ev = s.request("GET", f"/v1/stores/main/invoices/{inv['id']}/events", token=API)
        assert [e["event"] for e in ev["data"]].count("payment_credited") == 1
        m = metrics(s)
        assert m['qpayd_webhooks_total{result="accepted"}'] == 5
        assert m['qpayd_payments_total{method="lightning",state="credited"}'] == 1
    finally:
        ph.stop()


def test_underpaid_overpaid_and_auto_refund(tmp_path, dburl, daemons):
    ph = start_phoenixd(tmp_path)
    try:
        from apiutil import REGTEST_ADDR
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=1,
                             store_extra="auto_refund_overpayment = true")
        under = create(s, 1000)
        ph.control("receive", {"paymentHash": under["payment_hash"], "amountSat": 600})
        wait_for(lambda: get(s, under)["status"] == "underpaid", 8, "underpaid")
        over = create(s, 1000, refund_destination=REGTEST_ADDR)
        assert over["refund_destination"] == REGTEST_ADDR
        ph.control("receive", {"paymentHash": over["payment_hash"], "amountSat": 1300})
        wait_for(lambda: get(s, over)["status"] == "overpaid", 8, "overpaid")

        def refunds():
            st, _, r = s.request("GET", f"/v1/stores/main/invoices/{over['id']}/refunds",
                                 token=ADMIN)
            assert st == 200, r
            return r["data"]
        got = wait_for(refunds, 5, "auto refund")
        assert len(got) == 1 and got[0]["amount_sats"] == 300
        assert got[0]["reason"] == "overpayment" and got[0]["destination"] == REGTEST_ADDR
        assert got[0]["idempotency_key"] == f"auto_overpayment:{over['id']}"
        s.restart()
        import time
        time.sleep(2.5)
        assert len(refunds()) == 1
    finally:
        ph.stop()


def test_limited_password_only(tmp_path, dburl, daemons):
    """qpayd calls phoenixd with the limited password and never a payout
    endpoint; a config whose "limited" password is the full one is refused."""
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=1)
        inv = create(s, 500)
        ph.control("receive", {"paymentHash": inv["payment_hash"]})
        wait_for(lambda: get(s, inv)["status"] == "paid", 8, "paid")
        import re
        payout = re.compile(r'"POST /(payinvoice|payoffer|paylnaddress|sendtoaddress|bumpfee|'
                            r'lnurlpay|lnurlauth|closechannel)[ ?][^"]*" (\d+)')
        hits = [m for m in map(payout.search, ph.text().splitlines()) if m]
        # the start-up probe: one empty POST /payinvoice, refused with 401
        assert [(m.group(1), m.group(2)) for m in hits] == [("payinvoice", "401")], hits
        assert ph.control("ledger") in ([], {"entries": []})
    finally:
        ph.stop()


def test_full_password_refused_at_start(tmp_path, dburl):
    from conftest import QPAYD, run
    ph = start_phoenixd(tmp_path)
    try:
        from recvutil import FULL, stores
        from conftest import base_env, server_config, free_port
        cfg = tmp_path / "full.toml"
        cfg.write_text(server_config(free_port(), 1, stores=stores(phoenixd=ph)))
        env = base_env(dburl, {"QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD": FULL})
        assert run(QPAYD, ["--config", str(cfg), "migrate"], env).returncode == 0
        r = run(QPAYD, ["--config", str(cfg), "serve"], env, timeout=30)
        assert r.returncode == 1, r.stderr
        assert "full password" in r.stderr and "store=main" in r.stderr
        assert FULL not in r.stderr + r.stdout
        assert ph.control("ledger") in ([], {"entries": []})
    finally:
        ph.stop()


def test_long_description_and_methods(tmp_path, dburl, daemons):
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=3600)
        inv = create(s, 1000, description="x" * 300)
        assert inv["description"] == "x" * 300 and inv["bolt11"]
        # phoenixd got the description's hash (it takes at most 128 characters)
        st, _, err = s.request("POST", "/v1/stores/main/invoices",
                               {"amount_sats": 1, "payment_methods": ["onchain"]}, token=API)
        assert st == 422 and err["error"]["code"] == "payment_method_unavailable"
        st, _, err = s.request("POST", "/v1/stores/main/invoices",
                               {"amount_sats": 1, "payment_methods": ["paypal"]}, token=API)
        assert st == 400 and err["error"]["code"] == "invalid_field"
        st, _, none = s.request("POST", "/v1/stores/main/invoices",
                                {"amount_sats": 1, "payment_methods": []}, token=API)
        assert st == 201 and none["bolt11"] is None and none["bip21"] is None
        st, _, err = s.request("POST", "/v1/stores/main/invoices",
                               {"amount_sats": 1, "refund_destination": "bc1qnotanaddress"},
                               token=API)
        assert st == 400 and err["error"]["code"] == "invalid_destination"
    finally:
        ph.stop()


def test_phoenixd_down_is_a_clear_502(tmp_path, dburl, daemons):
    ph = start_phoenixd(tmp_path)
    s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=3600)
    ph.stop()
    st, _, err = s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000}, token=API)
    assert st == 502 and err["error"]["code"] == "lightning_unavailable"
    assert "phoenixd of store main" in err["error"]["message"]
    assert LIMITED not in json.dumps(err)


def test_refund_defaults_to_refund_destination(tmp_path, dburl, daemons):
    """The reference end-to-end check with the payment detected, not marked:
    small invoice, paid over Lightning, tiny refund to the payer's captured
    destination, the executor pays it, the refund reads succeeded."""
    from apiutil import PAYOUT, REGTEST_ADDR
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=1)
        inv = create(s, 5000, refund_destination=REGTEST_ADDR)
        ph.control("receive", {"paymentHash": inv["payment_hash"]})
        wait_for(lambda: get(s, inv)["status"] == "paid", 8, "paid")
        st, _, rf = s.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                              {"amount_sats": 1000, "reason": "test"}, token=PAYOUT)
        assert st == 201, rf
        assert rf["destination"] == REGTEST_ADDR and rf["destination_type"] == "bitcoin_address"
        no_dest = create(s, 100)
        st, _, err = s.request("POST", f"/v1/stores/main/invoices/{no_dest['id']}/refunds",
                               {"amount_sats": 10}, token=PAYOUT)
        assert st == 400 and "refund_destination" in err["error"]["message"]
    finally:
        ph.stop()


def test_reference_end_to_end_detected(tmp_path, dburl, daemons):
    """The reference end-to-end check, with the payment detected by qpayd:
    create a small invoice, pay it (phoenixd), create a tiny refund, run the
    executor, then query the refund."""
    from apiutil import PAYOUT
    from conftest import EXECUTOR, PAYOUT_ENV, base_env, run
    ph = start_phoenixd(tmp_path)
    try:
        policy = """
[stores.lightning_payout.refunds]
enabled = true
max_refund_sats = 100000
"""
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=1,
                             store_extra=policy)
        inv = create(s, 2000, description="reference check")
        ph.control("receive", {"paymentHash": inv["payment_hash"]})
        wait_for(lambda: get(s, inv)["status"] == "paid", 8, "paid")
        dest = ph.control("invoice", {"amount_sat": 100})
        st, _, rf = s.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                              {"amount_sats": 100, "destination": dest["invoice"]},
                              token=PAYOUT)
        assert st == 201 and rf["execution"] == "auto", rf
        # the executor's config of the payout tests; no bitcoin refund here,
        # so its bitcoind is never called
        from types import SimpleNamespace
        from test_executor_pay import executor_config
        cfg = executor_config(tmp_path, ph, SimpleNamespace(url="http://127.0.0.1:9"))
        r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], base_env(dburl, PAYOUT_ENV))
        assert r.returncode == 0, r.stdout + r.stderr
        st, _, done = s.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=PAYOUT)
        assert done["status"] == "succeeded" and done["payment_proof"] == dest["preimage"]
        ledger = ph.control("ledger")
        ledger = ledger["entries"] if isinstance(ledger, dict) else ledger
        assert [e["payment_hash"] for e in ledger] == [dest["payment_hash"]]
    finally:
        ph.stop()


def test_readyz_shows_receive_backends(tmp_path, dburl, daemons):
    """/readyz says what the last poll of each receive backend found."""
    ph = start_phoenixd(tmp_path)
    s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=1)
    inv = create(s, 100)  # an open invoice: the poller asks phoenixd about it
    assert inv["bolt11"]

    def lightning():
        st, _, r = s.request("GET", "/readyz")
        assert st == 200 and r["status"] == "ready", r
        return r["receive_backends"]["main"]["lightning"]
    got = wait_for(lambda: (l := lightning())["status"] == "ok" and l, 5, "ok")
    assert got["last_poll_at"].endswith("Z") and "error" not in got
    ph.stop()
    got = wait_for(lambda: (l := lightning())["status"] == "failing" and l, 6, "failing")
    assert "phoenixd" in got["error"] and LIMITED not in json.dumps(got)


def test_reload_refuses_the_full_password(tmp_path, dburl, daemons):
    """SIGHUP runs the start-up checks on the new configuration: a limited
    password that turned into the full one (a systemd credential file edited
    in place) is refused, the running configuration is kept, and payments
    are still detected with it."""
    import os
    import signal
    from conftest import Daemon, QPAYD, base_env, free_port, run, server_config
    from recvutil import FULL, stores
    ph = start_phoenixd(tmp_path)
    try:
        creds = tmp_path / "creds"
        creds.mkdir()
        secret = creds / "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"
        secret.write_text(LIMITED + "\n")
        secret.chmod(0o600)
        port = free_port()
        cfg = tmp_path / "q.toml"
        cfg.write_text(server_config(port, 1, stores=stores(phoenixd=ph, ln_poll=1)))
        env = base_env(dburl)
        env.pop("QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD", None)
        env["CREDENTIALS_DIRECTORY"] = str(creds)
        assert run(QPAYD, ["--config", str(cfg), "migrate"], env).returncode == 0
        d = Daemon([QPAYD, "--config", str(cfg), "serve"], env, str(tmp_path / "serve.log"))
        daemons.append(d)
        d.wait_for_log("msg=listening")
        secret.write_text(FULL + "\n")
        os.kill(d.proc.pid, signal.SIGHUP)
        d.wait_for_log("reload refused", 10)
        assert "configuration reloaded" not in d.text() and FULL not in d.text()
        # still running on the limited password: an invoice is made and detected
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/stores/main/invoices",
                                     data=b'{"amount_sats": 321}', method="POST",
                                     headers={"Authorization": f"Bearer {API}",
                                              "Content-Type": "application/json"})
        inv = json.loads(urllib.request.urlopen(req, timeout=10).read())
        ph.control("receive", {"paymentHash": inv["payment_hash"]})

        def status():
            r = urllib.request.Request(f"http://127.0.0.1:{port}/v1/stores/main/invoices/"
                                       f"{inv['id']}", headers={"Authorization": f"Bearer {API}"})
            return json.loads(urllib.request.urlopen(r, timeout=10).read())["status"]
        wait_for(lambda: status() == "paid", 8, "paid")
    finally:
        ph.stop()
