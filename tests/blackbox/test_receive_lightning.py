"""Lightning payments detected by qpayd serve through the fake phoenixd with
the limited password only: by the signed webhook, by the poller when the
webhook is lost, never by an unsigned or altered body, once when delivered
twice."""
import json
import urllib.request

from apiutil import ADMIN, API
from recvutil import LIMITED, SECRET, receiving_server, start_phoenixd, wait_for


def create(s, amount=1000, **kw):
    st, _, inv = s.request("POST", "/v1/stores/main/invoices", dict({"amount_sats": amount}, **kw),
                           token=API)
    assert st == 201, inv
    return inv


def get(s, inv):
    st, _, got = s.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)
    assert st == 200, got
    return got


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
        body = json.dumps(got["event"], indent=4).encode()
        import hmac, hashlib
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(f"{s.base}/v1/webhooks/phoenixd/main", data=body,
                                     method="POST", headers={"X-Phoenix-Signature": sig,
                                                             "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200
        paid = wait_for(lambda: get(s, inv)["status"] == "paid" and get(s, inv), 5, "paid")
        assert paid["amount_paid_sats"] == 1500 and paid["paid_at"]
        assert [p["method"] for p in paid["payments"]] == ["lightning"]
    finally:
        ph.stop()
