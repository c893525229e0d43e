"""Idempotency-Key on every POST (issue 15): invoice create, mark-paid, refund
create, approve, finalize, fail and cancel. The same key and request replays
the first response byte for byte and changes nothing; the same key with
another request is 422; the header twice is 400."""
import concurrent.futures
import http.client
import json

from apiutil import (ADMIN, API, LN_ADDRESS, MAINNET_ADDR, PAYOUT, api,  # noqa: F401
                     create_refund, paid_invoice)


def post(server, path, body=None, token=None, keys=()):
    """POST with each of keys as an Idempotency-Key header (repeated when
    several); body is a dict, bytes, or None for none. Returns (status,
    headers, raw body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=15)
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    conn.putrequest("POST", path)
    conn.putheader("Authorization", f"Bearer {token}")
    for k in keys:
        conn.putheader("Idempotency-Key", k)
    if data is not None:
        conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(data or b"")))
    conn.endheaders(data)
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    return resp.status, resp.headers, raw


def code(raw):
    return json.loads(raw)["error"]["code"]


def check_route(server, path, body, token, status, other_body=None, other_path=None):
    """The three rules on one route. Returns the first response, parsed."""
    s1, h1, r1 = post(server, path, body, token, ["k-" + path])
    assert s1 == status, r1
    assert h1.get("Idempotent-Replayed") is None
    s2, h2, r2 = post(server, path, body, token, ["k-" + path])
    assert (s2, r2) == (s1, r1), (r1, r2)
    assert h2["Idempotent-Replayed"] == "true"
    if other_body is not None:
        s3, _, r3 = post(server, path, other_body, token, ["k-" + path])
        assert s3 == 422 and code(r3) == "idempotency_key_reused", r3
    if other_path is not None:
        s3, _, r3 = post(server, other_path, body, token, ["k-" + path])
        assert s3 == 422 and code(r3) == "idempotency_key_reused", r3
    s4, _, r4 = post(server, path, body, token, ["k-" + path, "k-" + path])
    assert s4 == 400 and code(r4) == "invalid_idempotency_key", r4
    s5, _, r5 = post(server, path, body, token, ["a", "b"])
    assert s5 == 400 and code(r5) == "invalid_idempotency_key", r5
    return json.loads(r1)


def count(cluster, dbname, sql, *args):
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def test_invoice_create(api, cluster, dbname):
    path = "/v1/stores/main/invoices"
    inv = check_route(api, path, {"amount_sats": 1000, "metadata": {"n": 12345678901234567890}},
                      API, 201, other_body={"amount_sats": 1001})
    assert inv["metadata"]["n"] == 12345678901234567890
    assert count(cluster, dbname, "SELECT count(*) FROM invoices") == 1
    assert count(cluster, dbname, "SELECT count(*) FROM idempotency_keys") == 1
    # without a key every call is a new invoice, as before
    post(api, path, {"amount_sats": 1000}, API)
    post(api, path, {"amount_sats": 1000}, API)
    assert count(cluster, dbname, "SELECT count(*) FROM invoices") == 3


def test_mark_paid(api, cluster, dbname):
    _, _, raw = post(api, "/v1/stores/main/invoices", {"amount_sats": 5000}, API)
    iid = json.loads(raw)["id"]
    _, _, raw = post(api, "/v1/stores/main/invoices", {"amount_sats": 5000}, API)
    other = json.loads(raw)["id"]
    path = f"/v1/stores/main/invoices/{iid}/mark-paid"
    inv = check_route(api, path, {"amount_sats": 2000}, ADMIN, 200,
                      other_body={"amount_sats": 2001},
                      other_path=f"/v1/stores/main/invoices/{other}/mark-paid")
    assert inv["amount_paid_sats"] == 2000 and len(inv["payments"]) == 1
    assert count(cluster, dbname,
                 "SELECT count(*) FROM invoice_payments WHERE invoice_id = %s", iid) == 1
    assert count(cluster, dbname,
                 "SELECT count(*) FROM invoice_payments WHERE invoice_id = %s", other) == 0
    # a failed mark-paid stores nothing: the retry is evaluated again
    missing = "/v1/stores/main/invoices/inv_" + "0" * 26 + "/mark-paid"
    s, _, r = post(api, missing, {"amount_sats": 1}, ADMIN, ["gone"])
    assert s == 404, r
    s, _, r = post(api, missing, {"amount_sats": 1}, ADMIN, ["gone"])
    assert s == 404 and code(r) == "invoice_not_found", r


def test_refund_create(api, cluster, dbname):
    inv = paid_invoice(api, 10000)
    path = f"/v1/stores/main/invoices/{inv['id']}/refunds"
    rf = check_route(api, path, {"amount_sats": 2000, "destination": MAINNET_ADDR,
                                 "reference": "R-1"},
                     PAYOUT, 201,
                     other_body={"amount_sats": 2000, "destination": MAINNET_ADDR,
                                 "reference": "R-2"})
    assert rf["reference"] == "R-1" and rf["idempotency_key"] == "k-" + path
    assert count(cluster, dbname, "SELECT count(*) FROM refunds") == 1


def test_approve(api, cluster, dbname):
    inv = paid_invoice(api, 800000)
    big = create_refund(api, inv["id"], 300000, destination=LN_ADDRESS)[2]
    big2 = create_refund(api, inv["id"], 300000, destination=LN_ADDRESS)[2]
    assert big["approval_status"] == "required"
    path = f"/v1/stores/main/refunds/{big['id']}/approve"
    rf = check_route(api, path, None, ADMIN, 200, other_body=b"{}",
                     other_path=f"/v1/stores/main/refunds/{big2['id']}/approve")
    assert rf["approval_status"] == "approved"
    assert count(cluster, dbname, "SELECT count(*) FROM refund_events WHERE refund_id = %s "
                 "AND event = 'approved'", big["id"]) == 1
    # without the key a second approve is what it always was
    s, _, r = post(api, path, None, ADMIN)
    assert s == 409 and code(r) == "invalid_state"


def test_finalize(api, cluster, dbname):
    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 2000)[2]["id"]
    path = f"/v1/stores/main/refunds/{rid}/finalize"
    rf = check_route(api, path, {"tx_id": "ab" * 32, "fee_sats": 150}, PAYOUT, 200,
                     other_body={"tx_id": "cd" * 32})
    assert rf["status"] == "succeeded" and rf["tx_id"] == "ab" * 32 and rf["fee_sats"] == 150
    assert count(cluster, dbname, "SELECT count(*) FROM refund_events WHERE refund_id = %s "
                 "AND event = 'succeeded'", rid) == 1


def test_fail(api, cluster, dbname):
    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 2000)[2]["id"]
    path = f"/v1/stores/main/refunds/{rid}/fail"
    rf = check_route(api, path, {"failure_reason": "no route"}, PAYOUT, 200,
                     other_body={"failure_reason": "other"})
    assert rf["status"] == "failed" and rf["failure_reason"] == "no route"
    assert count(cluster, dbname, "SELECT count(*) FROM refund_events WHERE refund_id = %s "
                 "AND event = 'failed'", rid) == 1


def test_cancel(api, cluster, dbname):
    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 2000)[2]["id"]
    rid2 = create_refund(api, inv["id"], 2000)[2]["id"]
    path = f"/v1/stores/main/refunds/{rid}/cancel"
    rf = check_route(api, path, None, PAYOUT, 200,
                     other_path=f"/v1/stores/main/refunds/{rid2}/cancel")
    assert rf["status"] == "canceled"
    # the other refund was not touched by the refused reuse
    assert count(cluster, dbname, "SELECT status FROM refunds WHERE id = %s", rid2) == "pending"
    s, _, r = post(api, path, None, PAYOUT)
    assert s == 409 and code(r) == "invalid_state"


def test_failed_transition_stores_nothing(api):
    inv = paid_invoice(api, 400000)
    rid = create_refund(api, inv["id"], 300000, destination=LN_ADDRESS)[2]["id"]
    path = f"/v1/stores/main/refunds/{rid}/finalize"
    body = {"payment_proof": "aa" * 32}
    s, _, r = post(api, path, body, PAYOUT, ["fin-1"])
    assert s == 409 and code(r) == "approval_required"
    post(api, f"/v1/stores/main/refunds/{rid}/approve", None, ADMIN)
    s, h, r = post(api, path, body, PAYOUT, ["fin-1"])
    assert s == 200 and json.loads(r)["status"] == "succeeded"
    assert h.get("Idempotent-Replayed") is None
    s, h, r2 = post(api, path, body, PAYOUT, ["fin-1"])
    assert (s, r2) == (200, r) and h["Idempotent-Replayed"] == "true"


def test_keys_are_scoped_by_role(api):
    """The api token's key and the admin token's key are different keys."""
    s, _, raw = post(api, "/v1/stores/main/invoices", {"amount_sats": 1000}, API, ["shared"])
    assert s == 201
    iid = json.loads(raw)["id"]
    s, h, r = post(api, f"/v1/stores/main/invoices/{iid}/mark-paid", {"amount_sats": 1000},
                   ADMIN, ["shared"])
    assert s == 200 and h.get("Idempotent-Replayed") is None, r


def test_concurrent_duplicates_do_it_once(api, cluster, dbname):
    """Duplicates racing each other wait for the first and replay it."""
    _, _, raw = post(api, "/v1/stores/main/invoices", {"amount_sats": 5000}, API)
    iid = json.loads(raw)["id"]
    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 2000)[2]["id"]
    calls = [(f"/v1/stores/main/invoices/{iid}/mark-paid", {"amount_sats": 100}, ADMIN, 200),
             (f"/v1/stores/main/refunds/{rid}/cancel", None, PAYOUT, 200),
             ("/v1/stores/main/invoices", {"amount_sats": 777}, API, 201)]
    for path, body, token, status in calls:
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda _: post(api, path, body, token, ["race-" + path]),
                                    range(12)))
        done = [r for r in results if r[0] == status]
        assert len(done) >= 1
        assert all(r[0] in (status, 409) for r in results), [r[2] for r in results]
        assert all(code(r[2]) == "idempotency_key_in_flight" for r in results if r[0] == 409)
        assert len({r[2] for r in done}) == 1, path
        assert sum(1 for r in done if r[1].get("Idempotent-Replayed") is None) == 1, path
    assert count(cluster, dbname,
                 "SELECT count(*) FROM invoice_payments WHERE invoice_id = %s", iid) == 1
    assert count(cluster, dbname,
                 "SELECT count(*) FROM invoices WHERE amount_sats = 777") == 1
    assert count(cluster, dbname, "SELECT count(*) FROM refund_events WHERE refund_id = %s "
                 "AND event = 'canceled'", rid) == 1
