"""Every JSON body of the API in one style (issue 14): compact JSON, no
whitespace outside strings, byte for byte what json.dumps(...,
separators=(",", ":"), ensure_ascii=False) makes of it, and the same object
with its keys in the same order wherever it appears: created, read, listed,
replayed from a stored idempotent response (also after a restart), changed
by a transition, nested in an invoice or a list, or as an error. Walks every
route of docs/api.md except /metrics (Prometheus text)."""
import hashlib
import hmac
import json
import urllib.error
import urllib.request

from apiutil import ADMIN, API, PAYOUT, REGTEST_ADDR
from recvutil import SECRET, receiving_server, start_phoenixd, wait_for

# Text PostgreSQL's json_build_object and jsonb print with spaces around, and
# that compaction must leave alone inside strings.
TRICKY = 'a : b, c {"d": [1, 2]}\t\\ "q" \u00e9\u2713 \U0001f600 \n end '
METADATA = {"order": 12345678901234567, "big": 2100000000000000, "neg": -7, "half": 0.5,
            "text": TRICKY, "nested": {"list": [1, "two", None, True, False, {"k": "v"}],
                                       "empty": {}, "none": []}}

# The payout refunds of the receiving store: refunds over 3000 sat need an
# approval.
PAYOUT_REFUNDS = """
[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
daily_refund_limit_sats = 500000
manual_approval_threshold_sats = 3000
poll_seconds = 30
"""

# Which object a JSON object is, from a key only it has: the key order of
# each must be the same everywhere.
KINDS = [("refund", "destination_type"), ("invoice", "bip21"), ("payment", "first_seen_at"),
         ("event", "from_status"), ("error", "code"), ("list", "has_more"),
         ("summary", "refundable_sats"), ("executor", "seconds_since_last_pass")]

# Members whose objects vary by event or merchant: their keys come in
# jsonb's order (shorter keys first), the same wherever they appear.
FREE_FORM = {"detail", "metadata", "counts"}

# refund_json() (sql/015): the order docs/api.md shows.
REFUND_KEYS = ["id", "store_id", "invoice_id", "reference", "amount_sats", "destination",
               "destination_type", "payout_backend", "reason", "metadata", "status",
               "approval_status", "execution", "execution_reason", "idempotency_key",
               "buyer_pays_fee", "tx_id", "tx_status", "confirmations", "confirmed_at",
               "payment_proof", "fee_sats", "received_sats", "failure_reason", "last_error",
               "next_attempt_at", "last_notification_at", "claimable", "claim_expires_at",
               "claimed_at", "created_at", "updated_at"]
INVOICE_KEYS = ["id", "store_id", "amount_sats", "amount_paid_sats", "amount_refunded_sats",
                "status", "description", "metadata", "refund_destination", "bolt11",
                "payment_hash", "onchain_address", "bip21", "late", "payments", "expires_at",
                "paid_at", "created_at", "updated_at"]


# Every route of docs/api.md (api/router.c) but /metrics.
ROUTES = {
    ("GET", "/healthz"), ("GET", "/readyz"),
    ("POST", "/v1/stores/{store}/invoices"), ("GET", "/v1/stores/{store}/invoices/{id}"),
    ("POST", "/v1/stores/{store}/invoices/{id}/mark-paid"),
    ("GET", "/v1/stores/{store}/invoices/{id}/events"),
    ("GET", "/v1/stores/{store}/invoices/{id}/refund-summary"),
    ("POST", "/v1/stores/{store}/invoices/{id}/refunds"),
    ("GET", "/v1/stores/{store}/invoices/{id}/refunds"),
    ("GET", "/v1/stores/{store}/refunds"), ("GET", "/v1/stores/{store}/refunds/{id}"),
    ("GET", "/v1/stores/{store}/refunds/{id}/events"),
    ("POST", "/v1/stores/{store}/refunds/{id}/approve"),
    ("POST", "/v1/stores/{store}/refunds/{id}/finalize"),
    ("POST", "/v1/stores/{store}/refunds/{id}/fail"),
    ("POST", "/v1/stores/{store}/refunds/{id}/cancel"),
    ("POST", "/v1/webhooks/phoenixd/{store}"),
    ("GET", "/v1/stores/{store}/whoami"),
}


def route_of(path):
    """/v1/stores/main/refunds/rf_x?limit=1 -> /v1/stores/{store}/refunds/{id}"""
    segs = path.split("?")[0].split("/")
    for i, seg in enumerate(segs):
        if i > 0 and segs[i - 1] in ("stores", "phoenixd"):
            segs[i] = "{store}"
        elif seg.startswith(("inv_", "rf_")):
            segs[i] = "{id}"
    return "/".join(segs)


def unique_pairs(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"repeated key in {keys}"
    return dict(pairs)  # keeps the order


class Walk:
    """Sends requests, checks each body's style, remembers each object's keys."""

    def __init__(self, server):
        self.s = server
        self.orders = {}  # kind -> {tuple of keys: first route seen}
        self.routes = set()  # (method, route pattern) answered with a 2xx

    def raw(self, method, path, body=None, token=None, headers=None):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.s.base + path, data=body, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def call(self, method, path, body=None, token=None, headers=None, expect=200):
        """The parsed body of a JSON answer after checking its style."""
        status, hdrs, raw = self.raw(method, path, body, token, headers)
        where = f"{method} {path} -> {status}"
        assert status == expect, (where, raw)
        assert hdrs["Content-Type"] == "application/json", where
        doc = json.loads(raw, object_pairs_hook=unique_pairs)
        compact = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        assert raw == compact, f"{where}: not in the one compact style:\n{raw!r}\n{compact!r}"
        self.note(doc, where)
        if status < 300:
            self.routes.add((method, route_of(path)))
        return doc, raw

    def note(self, v, where):
        if isinstance(v, list):
            for x in v:
                self.note(x, where)
        elif isinstance(v, dict):
            for kind, key in KINDS:
                if key in v:
                    self.orders.setdefault(kind, {}).setdefault(tuple(v), where)
                    break
            for k, x in v.items():
                if k not in FREE_FORM:
                    self.note(x, where)

    def check_orders(self):
        for kind, seen in self.orders.items():
            assert len(seen) == 1, f"{kind} keys in more than one order: {seen}"


def signed_webhook(w, body, sig=None, expect=200):
    if sig is None:
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return w.call("POST", "/v1/webhooks/phoenixd/main", body,
                  headers={"Content-Type": "application/json", "X-Phoenix-Signature": sig},
                  expect=expect)[0]


def test_every_body_is_compact_with_one_key_order(tmp_path, dburl, dbname, cluster, daemons):
    ph = start_phoenixd(tmp_path)
    try:
        s = receiving_server(tmp_path, dburl, daemons, phoenixd=ph, ln_poll=3600,
                             store_extra=PAYOUT_REFUNDS)
        walk(Walk(s), s, ph, cluster.connect(dbname))
    finally:
        ph.stop()


def walk(w, s, ph, db):
    # Health, with an executor heartbeat whose counts (jsonb) PostgreSQL
    # prints with spaces, and the receive backends.
    with db.cursor() as cur:
        cur.execute("INSERT INTO executor_heartbeats (executor_id, host, pid, version, "
                    "last_pass_at, counts) VALUES ('ex1', 'host', 42, '0.1.0', now(), "
                    "'{\"paid\": 2, \"by_backend\": {\"lightning\": [1, 2]}}')")
    w.call("GET", "/healthz")
    ready, _ = w.call("GET", "/readyz")
    assert ready["executors"][0]["counts"] == {"paid": 2, "by_backend": {"lightning": [1, 2]}}
    assert "main" in ready["receive_backends"], ready

    # Invoices: create, read, pay by webhook and by hand, events.
    base = "/v1/stores/main/invoices"
    inv, inv_raw = w.call("POST", base, {"amount_sats": 10000, "description": TRICKY,
                                         "metadata": METADATA}, token=API, expect=201)
    assert list(inv) == INVOICE_KEYS
    assert inv["metadata"] == METADATA and inv["description"] == TRICKY
    assert w.call("GET", f"{base}/{inv['id']}", token=API)[1] == inv_raw
    got = ph.control("receive", {"paymentHash": inv["payment_hash"], "webhook": False})
    ok = signed_webhook(w, json.dumps(got["event"], indent=4).encode())
    assert ok == {"accepted": True}
    wait_for(lambda: w.call("GET", f"{base}/{inv['id']}", token=API)[0]["status"] != "unpaid",
             5, "the Lightning payment")
    paid, _ = w.call("POST", f"{base}/{inv['id']}/mark-paid", {"amount_sats": 20000},
                     token=ADMIN)
    assert [p["method"] for p in paid["payments"]] == ["lightning", "manual"], paid
    assert paid["amount_paid_sats"] == 30000
    ev, _ = w.call("GET", f"{base}/{inv['id']}/events", token=API)
    assert ev["data"] and all(isinstance(e["detail"], dict) for e in ev["data"]), ev

    # Refunds: create (with a key), replay, read, list, summary, events, and
    # every transition.
    refunds = f"{base}/{inv['id']}/refunds"
    key = {"Idempotency-Key": "compact-1"}
    body = {"amount_sats": 1000, "destination": REGTEST_ADDR, "reason": TRICKY}
    r1, r1_raw = w.call("POST", refunds, body, token=PAYOUT, headers=key, expect=201)
    assert list(r1) == REFUND_KEYS
    # the stored response replays byte for byte, also after a restart
    assert w.call("POST", refunds, body, token=PAYOUT, headers=key, expect=201)[1] == r1_raw
    s.restart()
    assert w.call("POST", refunds, body, token=PAYOUT, headers=key, expect=201)[1] == r1_raw
    assert w.call("GET", f"/v1/stores/main/refunds/{r1['id']}", token=ADMIN)[1] == r1_raw
    w.call("POST", refunds, dict(body, amount_sats=1001), token=PAYOUT, headers=key, expect=422)

    big, _ = w.call("POST", refunds, dict(body, amount_sats=5000), token=PAYOUT, expect=201)
    assert big["approval_status"] == "required"
    one = f"/v1/stores/main/refunds/{big['id']}"
    w.call("POST", f"{one}/approve", token=ADMIN)
    done, _ = w.call("POST", f"{one}/finalize", {"tx_id": "ab" * 32, "fee_sats": 150},
                     token=PAYOUT)
    assert done["status"] == "succeeded" and done["fee_sats"] == 150
    failing, _ = w.call("POST", refunds, dict(body, amount_sats=1100), token=PAYOUT, expect=201)
    w.call("POST", f"/v1/stores/main/refunds/{failing['id']}/fail",
           {"failure_reason": TRICKY}, token=PAYOUT)
    gone, _ = w.call("POST", refunds, dict(body, amount_sats=1200), token=PAYOUT, expect=201)
    w.call("POST", f"/v1/stores/main/refunds/{gone['id']}/cancel", token=PAYOUT)

    listed, listed_raw = w.call("GET", refunds, token=ADMIN)
    assert len(listed["data"]) == 4 and listed["has_more"] is False
    # each listed refund is the same text as its own answer
    assert json.dumps(listed["data"][0], separators=(",", ":"),
                      ensure_ascii=False).encode() == r1_raw
    page, _ = w.call("GET", "/v1/stores/main/refunds?limit=1", token=ADMIN)
    assert page["has_more"] is True
    w.call("GET", "/v1/stores/main/refunds?status=canceled", token=ADMIN)
    w.call("GET", f"{one}/events", token=ADMIN)
    summary, _ = w.call("GET", f"{base}/{inv['id']}/refund-summary", token=ADMIN)
    assert summary["refunded_sats"] == 5000

    w.call("GET", "/v1/stores/main/whoami", token=PAYOUT)
    w.call("GET", "/v1/stores/main/whoami", token="nobody", expect=401)

    # Errors, from every layer that answers one.
    w.call("GET", "/v1/stores/main/refunds", expect=401)
    w.call("GET", "/nowhere", expect=404)
    w.call("DELETE", "/healthz", expect=405)
    w.call("GET", "/v1/stores/nope/refunds", token=ADMIN, expect=404)
    w.call("GET", "/v1/stores/main/refunds/rf_nothere", token=ADMIN, expect=404)
    w.call("GET", "/v1/stores/main/refunds?limit=0", token=ADMIN, expect=400)
    w.call("POST", refunds, b'{"amount_sats": ', token=PAYOUT,
           headers={"Content-Type": "application/json"}, expect=400)
    w.call("POST", refunds, {"amount_sats": 1, "destination": REGTEST_ADDR, "\u00e9 \"x\"": 1},
           token=PAYOUT, expect=400)
    w.call("POST", refunds, dict(body, amount_sats=10 ** 9), token=PAYOUT, expect=422)
    w.call("POST", f"/v1/stores/main/refunds/{gone['id']}/cancel", token=PAYOUT, expect=409)
    signed_webhook(w, b'{"type": "payment_received"}', sig="00" * 32, expect=401)
    signed_webhook(w, b'{"type": "something_else"}', expect=400)

    w.check_orders()
    assert set(w.orders) == {kind for kind, _ in KINDS}, w.orders.keys()
    assert w.routes == ROUTES, ROUTES ^ w.routes
