"""Bodies and headers built to get past the JSON checks: NUL bytes, trailing
bytes, invalid UTF-8, \\u0000, byte order marks, huge amounts, repeated
Idempotency-Key headers. Each is sent as exact bytes over http.client, must
get the exact status and error code, must store nothing, and must leave the
server up (the daemons fixture fails the test on any sanitizer report)."""
import http.client
import json

from apiutil import ADMIN, API, MAINNET_ADDR, PAYOUT, api, create_refund, paid_invoice  # noqa: F401

INVOICES = "/v1/stores/main/invoices"


def send(server, method, path, body=b"", headers=(), token=None):
    """Sends body exactly as given, with headers as a list of (name, value)
    pairs so a name can repeat. Returns (status, parsed JSON or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        if token is not None:
            conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", "application/json")
        for name, value in headers:
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw.decode(errors="replace")


def count(cluster, dbname, table):
    conn = cluster.connect(dbname)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")
            return cur.fetchone()[0]
    finally:
        conn.close()


def expect(server, path, raw, status, code, token, field=None, headers=()):
    got, body = send(server, "POST", path, raw, headers=headers, token=token)
    assert got == status, (raw[:80], body)
    assert isinstance(body, dict) and body["error"]["code"] == code, (raw[:80], body)
    if field is not None:
        assert field in body["error"]["message"], (raw[:80], body)
    return body


# (body, status, code, text the message must contain)
INVOICE_CASES = [
    # the reported over-read: a NUL, then an open string after the object
    (b'{"amount_sats":1000,"payment_methods":[],"meta\\u0064ata":{"a":1}}\x00"',
     400, "invalid_json", "after the JSON value"),
    (b'{"amount_sats":1000}\x00garbage', 400, "invalid_json", "after the JSON value"),
    (b'{"amount_sats":1000} x', 400, "invalid_json", "after the JSON value"),
    (b'{"amount_sats":1000}{}', 400, "invalid_json", "after the JSON value"),
    # trailing garbage wins over a bad amount: invalid JSON is invalid_json
    (b'{"amount_sats":1.5} x', 400, "invalid_json", "after the JSON value"),
    (b'{"amount_sats":-1}\x00', 400, "invalid_json", "after the JSON value"),
    (b'\xef\xbb\xbf{"amount_sats":1000}', 400, "invalid_json", "byte order mark"),
    (b'\xef\xbb\xbf{"amount_sats":1.5}', 400, "invalid_json", "byte order mark"),
    # NUL and control characters inside strings, raw or escaped
    (b'{"amount_sats":1000,"description":"a\x00b"}', 400, "invalid_json", "description"),
    (b'{"amount_sats":1000,"description":"a\nb"}', 400, "invalid_json", "description"),
    (b'{"amount_sats":1000,"description":"a\\u0000b"}', 400, "invalid_json", "description"),
    (b'{"amount_sats":1000,"metadata":{"k":"a\\u0000b"}}', 400, "invalid_json", "metadata"),
    (b'{"amount_sats":1000,"metadata":{"a\\u0000":1}}', 400, "invalid_json", "metadata"),
    (b'{"amount_sats":"1\\u0000"}', 400, "invalid_json", "amount_sats"),
    # invalid UTF-8 (RFC 3629) and lone surrogates
    (b'{"amount_sats":1000,"description":"\xc3\x28"}', 400, "invalid_json", "description"),
    (b'{"amount_sats":1000,"description":"\xff"}', 400, "invalid_json", "description"),
    (b'{"amount_sats":1000,"description":"\xc0\xaf"}', 400, "invalid_json", "description"),
    (b'{"amount_sats":1000,"description":"\xed\xa0\x80"}', 400, "invalid_json", "description"),
    (b'{"amount_sats":1000,"description":"\xf4\x90\x80\x80"}', 400, "invalid_json",
     "description"),
    (b'{"amount_sats":1000,"metadata":{"\xe2\x82":1}}', 400, "invalid_json", "metadata"),
    (b'{"amount_sats":1000,"metadata":{"k":"\\ud800"}}', 400, "invalid_json", "metadata"),
    (b'{"amount_sats":1000,"refund_destination":"\xe2\x82"}', 400, "invalid_json",
     "refund_destination"),
    # amounts out of range, judged from the digits
    (b'{"amount_sats":2100000000000001}', 400, "invalid_amount", "amount_sats"),
    (b'{"amount_sats":99999999999999999999999}', 400, "invalid_amount", "amount_sats"),
    # numbers PostgreSQL's numeric cannot hold
    (b'{"amount_sats":1000,"metadata":{"x":1e-20000}}', 400, "invalid_field", "metadata"),
    (b'{"amount_sats":1000,"metadata":{"x":[1E+400]}}', 400, "invalid_field", "metadata"),
]


def test_hostile_invoice_bodies(api, cluster, dbname):
    for raw, status, code, text in INVOICE_CASES:
        expect(api, INVOICES, raw, status, code, API, field=text)
    assert count(cluster, dbname, "invoices") == 0
    assert api.request("GET", "/healthz")[0] == 200


def test_text_that_is_valid_is_kept(api, cluster, dbname):
    raw = ('{"amount_sats":1000,"description":"caf\u00e9 \\ud83d\\ude00 \U0001F600",'
           '"metadata":{"k":"\\u00e9\u20ac","big":12345678901234567890,"x":1e308}}').encode()
    status, inv = send(api, "POST", INVOICES, raw, token=API)
    assert status == 201, inv
    assert inv["description"] == "caf\u00e9 \U0001F600 \U0001F600"
    assert inv["metadata"]["k"] == "\u00e9\u20ac"
    assert inv["metadata"]["big"] == 12345678901234567890
    assert count(cluster, dbname, "invoices") == 1


def test_hostile_refund_bodies(api, cluster, dbname):
    inv = paid_invoice(api, 10000)["id"]
    path = f"{INVOICES}/{inv}/refunds"
    dest = MAINNET_ADDR.encode()
    cases = [
        (b'{"amount_sats":1000,"destination":"%s"}\x00garbage' % dest, 400, "invalid_json",
         "after the JSON value"),
        (b'{"amount_sats":1.5,"destination":"%s"} x' % dest, 400, "invalid_json",
         "after the JSON value"),
        (b'\xef\xbb\xbf{"amount_sats":1000,"destination":"%s"}' % dest, 400, "invalid_json",
         "byte order mark"),
        (b'{"amount_sats":1000,"destination":"%s","reason":"a\x00"}' % dest, 400,
         "invalid_json", "reason"),
        (b'{"amount_sats":1000,"destination":"%s","reason":"a\\u0000"}' % dest, 400,
         "invalid_json", "reason"),
        (b'{"amount_sats":1000,"destination":"%s","reason":"\xc3"}' % dest, 400,
         "invalid_json", "reason"),
        (b'{"amount_sats":1000,"destination":"%s\xff"}' % dest, 400, "invalid_json",
         "destination"),
        (b'{"amount_sats":2100000000000001,"destination":"%s"}' % dest, 400,
         "invalid_amount", "amount_sats"),
        # as much as anyone could ever have paid, on an invoice paid 10000
        (b'{"amount_sats":2100000000000000,"destination":"%s"}' % dest, 422,
         "insufficient_refundable_balance", "amount_sats"),
    ]
    for raw, status, code, text in cases:
        expect(api, path, raw, status, code, PAYOUT, field=text)
    assert count(cluster, dbname, "refunds") == 0
    # with a refund already committed, the sum passes 21e14: the invoice's
    # range CHECK refuses it, and that is the same 422
    assert create_refund(api, inv, 2000)[0] == 201
    raw = b'{"amount_sats":2100000000000000,"destination":"%s"}' % dest
    expect(api, path, raw, 422, "insufficient_refundable_balance", PAYOUT, field="amount_sats")
    assert count(cluster, dbname, "refunds") == 1
    # the transitions read bodies the same way
    rf = api.request("GET", f"{INVOICES}/{inv}/refunds", token=PAYOUT)[2]["data"][0]["id"]
    expect(api, f"/v1/stores/main/refunds/{rf}/fail", b'{"failure_reason":"x\\u0000"}', 400,
           "invalid_json", PAYOUT, field="failure_reason")
    expect(api, f"/v1/stores/main/refunds/{rf}/fail", b'{"failure_reason":"x"}\x00', 400,
           "invalid_json", PAYOUT)
    assert api.request("GET", f"/v1/stores/main/refunds/{rf}", token=PAYOUT)[2]["status"] == \
        "pending"
    # mark-paid too
    expect(api, f"{INVOICES}/{inv}/mark-paid", b'{"amount_sats":5}\x00x', 400, "invalid_json",
           ADMIN)
    assert count(cluster, dbname, "invoice_payments") == 1
    assert api.request("GET", "/healthz")[0] == 200


def test_repeated_idempotency_key_header(api, cluster, dbname):
    inv = paid_invoice(api, 10000)["id"]
    path = f"{INVOICES}/{inv}/refunds"
    raw = b'{"amount_sats":1000,"destination":"%s"}' % MAINNET_ADDR.encode()
    for headers in ([("Idempotency-Key", "k1"), ("Idempotency-Key", "k2")],
                    [("Idempotency-Key", "k1"), ("Idempotency-Key", "k1")],
                    [("Idempotency-Key", "k1"), ("idempotency-key", "k2")],
                    [("IDEMPOTENCY-KEY", "k1"), ("X-Other", "y"), ("Idempotency-key", "")]):
        expect(api, path, raw, 400, "invalid_idempotency_key", PAYOUT,
               field="Idempotency-Key", headers=headers)
    assert count(cluster, dbname, "refunds") == 0
    assert count(cluster, dbname, "idempotency_keys") == 0
    # one key, in any case, is fine
    status, body = send(api, "POST", path, raw, headers=[("idempotency-KEY", "k1")],
                        token=PAYOUT)
    assert status == 201, body
    assert body["idempotency_key"] == "k1"
    assert count(cluster, dbname, "refunds") == 1


def test_mark_paid_past_21e14(api, cluster, dbname):
    status, _, inv = api.request("POST", INVOICES, {"amount_sats": 1000}, token=API)
    assert status == 201
    path = f"{INVOICES}/{inv['id']}/mark-paid"
    raw = b'{"amount_sats":2100000000000000}'
    status, body = send(api, "POST", path, raw, token=ADMIN)
    assert status == 200, body
    # each payment is in range; their sum past 21e14 is the client's mistake
    expect(api, path, b'{"amount_sats":1}', 400, "invalid_amount", ADMIN, field="amount_sats")
    assert count(cluster, dbname, "invoice_payments") == 1
    assert api.request("GET", f"{INVOICES}/{inv['id']}", token=API)[2]["amount_paid_sats"] == \
        2100000000000000


def test_unknown_field_named_in_valid_utf8(api):
    # 71 bytes: byte 64 falls inside a 2-byte character, which goes whole
    name = "x" + "\u00e9" * 35
    raw = ('{"amount_sats":1000,"%s":1}' % name).encode()
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    try:
        conn.request("POST", INVOICES, raw, {"Authorization": f"Bearer {API}",
                                             "Content-Type": "application/json"})
        resp = conn.getresponse()
        text = resp.read()
    finally:
        conn.close()
    assert resp.status == 400
    body = json.loads(text.decode("utf-8"))  # strict: raises on invalid UTF-8
    assert body["error"]["code"] == "invalid_field"
    assert "'x" + "\u00e9" * 31 + "'" in body["error"]["message"]
