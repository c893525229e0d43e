"""Bodies that are not JSON, too deep, too large or of the wrong types: 400
with a JSON error, or 413 (libevent's own answer, from the Content-Length,
before the body is read), and the server stays up."""
from apiutil import API, MAINNET_ADDR, PAYOUT, api, paid_invoice  # noqa: F401


def post(api, path, raw, token=PAYOUT):
    return api.request("POST", path, raw, headers={"Content-Type": "application/json"},
                       token=token)


def test_bad_bodies(api):
    inv = paid_invoice(api, 10000)["id"]
    path = f"/v1/stores/main/invoices/{inv}/refunds"
    cases = [
        (b"", 400, "invalid_json"),
        (b"not json", 400, "invalid_json"),
        (b'{"amount_sats": 1,', 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (b'"string"', 400, "invalid_json"),
        (b"[" * 50 + b"]" * 50, 400, "invalid_json"),
        (b'{"a":' * 20 + b"1" + b"}" * 20, 400, "invalid_json"),
        (b'{"amount_sats": 1, "destination": 5}', 400, "invalid_field"),
        (b'{"amount_sats": 1, "destination": ["x"]}', 400, "invalid_field"),
        (b'{"amount_sats": {"v": 1}, "destination": "x"}', 400, "invalid_amount"),
        (b'{"amount_sats": 1, "destination": "x", "tip": 1}', 400, "invalid_field"),
        (b'{"amount_sats": 1, "amount_sats": 2, "destination": "x"}', 400, "invalid_field"),
        (b'{"destination": "%s"}' % MAINNET_ADDR.encode(), 400, "missing_field"),
        (b'{"amount_sats": 1}', 400, "missing_field"),
        (b'{"amount_sats": 1, "destination": "x", "reason": 7}', 400, "invalid_field"),
        (b'{"amount_sats": 1, "destination": "\xff\xfe"}', 400, None),
        (b'{"amount_sats": 1, "destination": "' + b"a" * 5000 + b'"}', 413, None),
    ]
    for raw, status, code in cases:
        got, _, body = post(api, path, raw)
        assert got == status, (raw[:60], body)
        if status == 413:
            continue
        assert isinstance(body, dict) and "error" in body, (raw[:60], body)
        if code:
            assert body["error"]["code"] == code, (raw[:60], body)
    assert api.request("GET", "/healthz")[0] == 200
    # nothing was created by any of them
    _, _, listing = api.request("GET", "/v1/stores/main/refunds", token=PAYOUT)
    assert listing["data"] == []


def test_invoice_create_validation(api):
    path = "/v1/stores/main/invoices"
    for raw in (b'{"amount_sats": 0}', b'{"amount_sats": 1, "metadata": [1]}',
                b'{"amount_sats": 1, "expiry_seconds": 5}',
                b'{"amount_sats": 1, "expiry_seconds": 1.5}',
                b'{"amount_sats": 1, "description": "' + b"d" * 1001 + b'"}'):
        status, _, body = post(api, path, raw, token=API)
        assert status == 400, (raw, body)
    status, _, inv = api.request("POST", path, {"amount_sats": 2100000000000000,
                                                "metadata": {"order": 12345678901234567,
                                                             "x": [1, 2]}},
                                 token=API)
    assert status == 201
    assert inv["amount_sats"] == 2100000000000000
    assert inv["metadata"] == {"order": 12345678901234567, "x": [1, 2]}
    assert inv["status"] == "unpaid"


def test_large_amounts_are_exact_in_json(api):
    raw = api.request("POST", "/v1/stores/main/invoices",
                      b'{"amount_sats": 2100000000000000}',
                      headers={"Content-Type": "application/json"}, token=API)
    # read the raw text: no exponent form, no decimals
    import json
    import urllib.request
    req = urllib.request.Request(f"{api.base}/v1/stores/main/invoices/{raw[2]['id']}",
                                 headers={"Authorization": f"Bearer {API}"})
    text = urllib.request.urlopen(req).read().decode()
    import re
    assert re.search(r'"amount_sats"\s*:\s*2100000000000000[,}\s]', text), text
    assert json.loads(text)["amount_sats"] == 2100000000000000
