"""Refund create fields a shop reconciles with (issue 15): reference, metadata,
buyer_pays_fee, the one_refund_in_flight store option, and the waiting
refund's last_error / next_attempt_at."""
import concurrent.futures
import json
import urllib.request

import psycopg2

from conftest import Server
from apiutil import (ADMIN, API, LN_ADDRESS, MAINNET_ADDR, PAYOUT, api,  # noqa: F401
                     create_refund, paid_invoice, stores)


def one_in_flight_stores(extra=""):
    return stores().replace("refund_window_days = 90\n",
                            "refund_window_days = 90\none_refund_in_flight = true\n" + extra, 1)


def refunds_url(invoice_id):
    return f"/v1/stores/main/invoices/{invoice_id}/refunds"


def post_refund(server, invoice_id, body, key=None):
    """POSTs body (a dict, or bytes sent as they are); returns (status, headers, JSON)."""
    headers = {"Idempotency-Key": key} if key else {}
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
    return server.request("POST", refunds_url(invoice_id), body, headers=headers, token=PAYOUT)


def raw_get(server, path):
    """The response body as bytes, to check numbers exactly as sent."""
    req = urllib.request.Request(server.base + path,
                                 headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read()


def test_reference_round_trip(api):
    inv = paid_invoice(api, 10000)
    ref = "Order #1234 / ticket 77 \u2014 caf\u00e9 \u2713"
    status, _, rf = post_refund(api, inv["id"], {"amount_sats": 2000,
                                                 "destination": MAINNET_ADDR,
                                                 "reference": ref})
    assert status == 201, rf
    assert rf["reference"] == ref
    _, _, got = api.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)
    assert got["reference"] == ref and got == rf
    _, _, of_inv = api.request("GET", refunds_url(inv["id"]), token=ADMIN)
    assert [r["reference"] for r in of_inv["data"]] == [ref]
    _, _, listed = api.request("GET", "/v1/stores/main/refunds", token=ADMIN)
    assert [r["reference"] for r in listed["data"] if r["id"] == rf["id"]] == [ref]
    # absent and null are both "no reference"
    _, _, plain = post_refund(api, inv["id"], {"amount_sats": 1, "destination": MAINNET_ADDR})
    _, _, null = post_refund(api, inv["id"], {"amount_sats": 1, "destination": MAINNET_ADDR,
                                              "reference": None})
    assert plain["reference"] is None and null["reference"] is None
    # keys in refund_json's order: reference right after invoice_id
    assert list(rf)[:4] == ["id", "store_id", "invoice_id", "reference"]


def test_reference_limits(api):
    inv = paid_invoice(api, 100000)
    ok = ["x" * 100, "\u00e9" * 100, "\U0001F600" * 100, " ", "a\u00a0b"]
    for ref in ok:
        status, _, rf = post_refund(api, inv["id"], {"amount_sats": 1,
                                                     "destination": MAINNET_ADDR,
                                                     "reference": ref})
        assert status == 201 and rf["reference"] == ref, (ref, rf)
    bad = ["", "x" * 101, "\u00e9" * 101, "tab\there", "line\nbreak", "bell\u0007",
           "del\u007f", "c1\u0085", "c1\u009f", 5, True, ["a"], {"a": 1}]
    for ref in bad:
        status, _, err = post_refund(api, inv["id"], {"amount_sats": 1,
                                                      "destination": MAINNET_ADDR,
                                                      "reference": ref})
        assert status == 400, (ref, err)
        assert err["error"]["code"] == "invalid_field", (ref, err)
        assert "reference" in err["error"]["message"], (ref, err)
    _, _, of_inv = api.request("GET", refunds_url(inv["id"]), token=ADMIN)
    assert len(of_inv["data"]) == len(ok)


def test_metadata_round_trip_keeps_big_integers(api):
    inv = paid_invoice(api, 10000)
    body = (b'{"amount_sats": 2000, "destination": "' + MAINNET_ADDR.encode() + b'", '
            b'"metadata": {"order": 12345678901234567890123, "neg": -9007199254740993, '
            b'"nested": {"list": [1, 2.5, "three", null, true]}, "k": "\\u00e9\xe2\x82\xac"}}')
    status, _, rf = post_refund(api, inv["id"], body)
    assert status == 201, rf
    meta = rf["metadata"]
    assert meta["order"] == 12345678901234567890123
    assert meta["neg"] == -9007199254740993
    assert meta["nested"] == {"list": [1, 2.5, "three", None, True]}
    assert meta["k"] == "\u00e9\u20ac"
    raw = raw_get(api, f"/v1/stores/main/refunds/{rf['id']}")
    assert b"12345678901234567890123" in raw and b"-9007199254740993" in raw
    _, _, of_inv = api.request("GET", refunds_url(inv["id"]), token=ADMIN)
    assert of_inv["data"][0]["metadata"] == meta
    _, _, plain = post_refund(api, inv["id"], {"amount_sats": 1, "destination": MAINNET_ADDR})
    assert plain["metadata"] is None


def test_bad_metadata(api):
    inv = paid_invoice(api, 10000)
    addr = MAINNET_ADDR.encode()
    cases = [
        b'[1]', b'"x"', b'5', b'true',
        b'{"x": 1e-20000}', b'{"x": [1E+400]}',       # beyond jsonb's numeric
        # small as sent (the tests' max_body_bytes is 4096, below the 8 KiB
        # limit), but jsonb writes 1e300 out in full: 60 * 301 bytes
        b'{"x": [' + b",".join([b"1e300"] * 60) + b']}',
    ]
    for meta in cases:
        body = b'{"amount_sats": 1, "destination": "' + addr + b'", "metadata": ' + meta + b'}'
        status, _, err = post_refund(api, inv["id"], body)
        assert status == 400, (meta[:40], err)
        assert err["error"]["code"] == "invalid_field", (meta[:40], err)
        assert "metadata" in err["error"]["message"], (meta[:40], err)
    # the same strict body rules as everywhere: invalid JSON inside metadata
    body = b'{"amount_sats": 1, "destination": "' + addr + b'", "metadata": {"k": "a\\u0000b"}}'
    status, _, err = post_refund(api, inv["id"], body)
    assert status == 400 and err["error"]["code"] == "invalid_json"
    _, _, of_inv = api.request("GET", refunds_url(inv["id"]), token=ADMIN)
    assert of_inv["data"] == []


def test_buyer_pays_fee(api):
    inv = paid_invoice(api, 10000)
    status, _, rf = post_refund(api, inv["id"], {"amount_sats": 2000,
                                                 "destination": MAINNET_ADDR,
                                                 "buyer_pays_fee": True})
    assert status == 201, rf
    assert rf["buyer_pays_fee"] is True and rf["payout_backend"] == "bitcoin"
    _, _, got = api.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)
    assert got["buyer_pays_fee"] is True
    for value in (False, None):
        status, _, rf = post_refund(api, inv["id"], {"amount_sats": 1,
                                                     "destination": MAINNET_ADDR,
                                                     "buyer_pays_fee": value})
        assert status == 201 and rf["buyer_pays_fee"] is False
    for value in ("yes", 1, 0, "true", [True]):
        status, _, err = post_refund(api, inv["id"], {"amount_sats": 1,
                                                      "destination": MAINNET_ADDR,
                                                      "buyer_pays_fee": value})
        assert status == 400 and err["error"]["code"] == "invalid_field", (value, err)
        assert "buyer_pays_fee" in err["error"]["message"]
    # Lightning cannot take the fee from the amount
    status, _, err = post_refund(api, inv["id"], {"amount_sats": 1000,
                                                  "destination": LN_ADDRESS,
                                                  "buyer_pays_fee": True})
    assert status == 422, err
    assert err["error"]["code"] == "buyer_pays_fee_unsupported"
    assert "buyer_pays_fee" in err["error"]["message"]
    status, _, rf = post_refund(api, inv["id"], {"amount_sats": 1000,
                                                 "destination": LN_ADDRESS,
                                                 "buyer_pays_fee": False})
    assert status == 201 and rf["buyer_pays_fee"] is False
    _, _, of_inv = api.request("GET", refunds_url(inv["id"]), token=ADMIN)
    assert sorted(r["buyer_pays_fee"] for r in of_inv["data"]) == [False, False, False, True]


def test_buyer_pays_fee_to_the_invoices_lightning_destination_is_422(api):
    status, _, inv = api.request("POST", "/v1/stores/main/invoices",
                                 {"amount_sats": 5000, "refund_destination": LN_ADDRESS},
                                 token=API)
    assert status == 201
    api.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                {"amount_sats": 5000}, token=ADMIN)
    status, _, err = post_refund(api, inv["id"], {"amount_sats": 1000, "buyer_pays_fee": True})
    assert status == 422 and err["error"]["code"] == "buyer_pays_fee_unsupported"
    status, _, rf = post_refund(api, inv["id"], {"amount_sats": 1000})
    assert status == 201 and rf["destination"] == LN_ADDRESS


def test_shop_fields_never_change(api, cluster, dbname):
    """What the shop gave (and the executor pays by) is written once (sql/012)."""
    inv = paid_invoice(api, 10000)
    _, _, rf = post_refund(api, inv["id"], {"amount_sats": 2000, "destination": MAINNET_ADDR,
                                            "reference": "R-7", "metadata": {"a": 1}})
    conn = cluster.connect(dbname)
    for col, value in (("reference", "'R-8'"), ("reference", "NULL"),
                       ("metadata", "'{\"a\": 2}'"), ("buyer_pays_fee", "true")):
        with conn.cursor() as cur:
            try:
                cur.execute(f"UPDATE refunds SET {col} = {value} WHERE id = %s", (rf["id"],))
                raise AssertionError(f"{col} changed")
            except psycopg2.Error as e:
                assert (e.pgcode, e.diag.constraint_name) == ("23514", "refunds_immutable"), e
                assert f"refunds.{col} cannot change" in e.diag.message_primary
    # what the executor writes still may change
    with conn.cursor() as cur:
        cur.execute("UPDATE refunds SET last_error = 'x' WHERE id = %s", (rf["id"],))
    _, _, got = api.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)
    assert (got["reference"], got["metadata"], got["last_error"]) == ("R-7", {"a": 1}, "x")


def test_waiting_refund_shows_last_error_and_next_attempt(api, cluster, dbname):
    """The executor writes them when it defers (the chain helper's side); the
    API shows them on every read."""
    inv = paid_invoice(api, 10000)
    _, _, rf = create_refund(api, inv["id"], 2000)
    assert rf["last_error"] is None and rf["next_attempt_at"] is None
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("UPDATE refunds SET last_error = 'Insufficient funds', "
                    "next_attempt_at = '2030-01-02T03:04:05.678Z' WHERE id = %s", (rf["id"],))
    _, _, got = api.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)
    assert got["status"] == "pending"
    assert got["last_error"] == "Insufficient funds"
    assert got["next_attempt_at"] == "2030-01-02T03:04:05.678Z"
    _, _, of_inv = api.request("GET", refunds_url(inv["id"]), token=ADMIN)
    assert of_inv["data"][0]["last_error"] == "Insufficient funds"


def test_one_refund_in_flight(tmp_path, dburl, daemons, cluster, dbname):
    s = Server(tmp_path, dburl, workers=2, stores=one_in_flight_stores())
    daemons.append(s)
    inv = paid_invoice(s, 400000)
    iid = inv["id"]
    status, _, first = create_refund(s, iid, 1000)
    assert status == 201
    status, _, err = create_refund(s, iid, 1000)
    assert status == 409 and err["error"]["code"] == "refund_in_flight", err
    assert iid in err["error"]["message"]
    # canceled: the next one may go
    s.request("POST", f"/v1/stores/main/refunds/{first['id']}/cancel", token=PAYOUT)
    status, _, second = create_refund(s, iid, 1000)
    assert status == 201
    # processing blocks too
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("UPDATE refunds SET status = 'processing', processing_started_at = now() "
                    "WHERE id = %s", (second["id"],))
    assert create_refund(s, iid, 1000)[0] == 409
    s.request("POST", f"/v1/stores/main/refunds/{second['id']}/finalize",
              {"tx_id": "ab" * 32}, token=PAYOUT)
    # succeeded is not in flight; one waiting for approval is
    status, _, big = create_refund(s, iid, 300000, destination=LN_ADDRESS)
    assert status == 201 and big["approval_status"] == "required"
    assert create_refund(s, iid, 1000)[0] == 409
    s.request("POST", f"/v1/stores/main/refunds/{big['id']}/fail",
              {"failure_reason": "customer withdrew"}, token=PAYOUT)
    # the rule is per invoice: another invoice is free
    other = paid_invoice(s, 5000)
    assert create_refund(s, other["id"], 1000)[0] == 201
    status, _, last = create_refund(s, iid, 1000, key="one-at-a-time")
    assert status == 201
    # its own retry replays it rather than refuse it ...
    status, hdrs, again = create_refund(s, iid, 1000, key="one-at-a-time")
    assert status == 201 and again == last and hdrs["Idempotent-Replayed"] == "true"
    # ... also once the stored response is pruned (the refund keeps its key)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM idempotency_keys")
    status, _, again = create_refund(s, iid, 1000, key="one-at-a-time")
    assert status == 200 and again["id"] == last["id"]
    # while another key, or none, is refused
    assert create_refund(s, iid, 1000, key="another")[0] == 409
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM refunds WHERE invoice_id = %s "
                    "AND status IN ('pending', 'processing')", (iid,))
        assert cur.fetchone()[0] == 1


def test_default_allows_refunds_side_by_side(api):
    inv = paid_invoice(api, 10000)
    assert create_refund(api, inv["id"], 1000)[0] == 201
    assert create_refund(api, inv["id"], 1000)[0] == 201


def test_one_refund_in_flight_concurrent_creates(tmp_path, dburl, daemons, cluster, dbname):
    """Of many simultaneous creates for one invoice exactly one is made."""
    s = Server(tmp_path, dburl, workers=4, stores=one_in_flight_stores())
    daemons.append(s)
    conn = cluster.connect(dbname)
    for round_ in range(4):
        inv = paid_invoice(s, 100000)
        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            results = list(pool.map(lambda i: create_refund(s, inv["id"], 1000 + i),
                                    range(24)))
        statuses = sorted(r[0] for r in results)
        assert statuses == [201] + [409] * 23, (round_, statuses,
                                                [r[2] for r in results if r[0] not in (201, 409)])
        assert all(r[2]["error"]["code"] == "refund_in_flight" for r in results if r[0] == 409)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM refunds WHERE invoice_id = %s", (inv["id"],))
            assert cur.fetchone()[0] == 1


def test_automatic_overpayment_refund_is_not_held_back(tmp_path, dburl, daemons):
    s = Server(tmp_path, dburl, workers=2,
               stores=one_in_flight_stores("auto_refund_overpayment = true\n"))
    daemons.append(s)
    status, _, inv = s.request("POST", "/v1/stores/main/invoices",
                               {"amount_sats": 10000, "refund_destination": MAINNET_ADDR},
                               token=API)
    assert status == 201
    iid = inv["id"]
    s.request("POST", f"/v1/stores/main/invoices/{iid}/mark-paid", {"amount_sats": 6000},
              token=ADMIN)
    assert create_refund(s, iid, 1000)[0] == 201
    status, _, paid = s.request("POST", f"/v1/stores/main/invoices/{iid}/mark-paid",
                                {"amount_sats": 9000}, token=ADMIN)
    assert status == 200 and paid["status"] == "overpaid"
    _, _, of_inv = s.request("GET", refunds_url(iid), token=ADMIN)
    assert sorted((r["reason"], r["amount_sats"]) for r in of_inv["data"]) == [
        ("overpayment", 1000), ("overpayment", 5000)]
    assert sum(1 for r in of_inv["data"] if r["idempotency_key"] == f"auto_overpayment:{iid}") == 1


def test_all_three_fields_with_a_key(api):
    """reference, metadata and buyer_pays_fee together, with a key, replayed."""
    inv = paid_invoice(api, 10000)
    body = json.dumps({"amount_sats": 2000, "destination": MAINNET_ADDR,
                       "reason": "customer return", "reference": "RMA-2026-0042",
                       "metadata": {"order_id": 98765, "lines": [1, 3]},
                       "buyer_pays_fee": True}).encode()
    status, _, rf = post_refund(api, inv["id"], body, key="rma-42")
    assert status == 201, rf
    assert (rf["reference"], rf["metadata"], rf["buyer_pays_fee"]) == (
        "RMA-2026-0042", {"lines": [1, 3], "order_id": 98765}, True)
    status, hdrs, again = post_refund(api, inv["id"], body, key="rma-42")
    assert status == 201 and again == rf and hdrs["Idempotent-Replayed"] == "true"
