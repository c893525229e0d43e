"""The refund workflow over HTTP, as the reference documentation's curl
commands drive it, plus every error path."""
import concurrent.futures
import json
import select
import subprocess

import psycopg2

from apiutil import (ADMIN, API, LN_ADDRESS, MAINNET_ADDR, PAYOUT, api, create_refund,  # noqa: F401
                     paid_invoice, stores)
from lnutil import make_bolt11


def test_reference_curl_commands(api):
    """The commands of the reference documentation, with curl, exactly."""
    inv = paid_invoice(api, 10000)
    base = api.base
    sh = lambda cmd: json.loads(subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                               check=True, env={**api.env, "BASE": base,
                                                                "INVOICE_ID": inv["id"],
                                                                "PATH": "/usr/bin:/bin"}).stdout)
    summary = sh('curl -sS $BASE/v1/stores/main/invoices/$INVOICE_ID/refund-summary '
                 '-H "Authorization: Bearer $QPAYD_MAIN_ADMIN_TOKEN"')
    assert summary["refundable_sats"] == 10000
    created = sh('curl -sS $BASE/v1/stores/main/invoices/$INVOICE_ID/refunds '
                 '-H "Authorization: Bearer $QPAYD_MAIN_PAYOUT_TOKEN" '
                 '-H "Idempotency-Key: refund_order_123" -H "Content-Type: application/json" '
                 f'-d \'{{"amount_sats": 2000, "destination": "{MAINNET_ADDR}", '
                 '"reason": "overpayment"}\'')
    assert created["status"] == "pending"
    assert created["approval_status"] == "not_required"
    assert created["idempotency_key"] == "refund_order_123"
    assert created["destination_type"] == "bitcoin_address"
    rid = created["id"]
    got = sh(f'curl -sS $BASE/v1/stores/main/refunds/{rid} '
             '-H "Authorization: Bearer $QPAYD_MAIN_ADMIN_TOKEN"')
    assert got == created
    txid = "ab" * 32
    done = sh(f'curl -sS -X POST $BASE/v1/stores/main/refunds/{rid}/finalize '
              '-H "Authorization: Bearer $QPAYD_MAIN_PAYOUT_TOKEN" '
              f'-H "Content-Type: application/json" -d \'{{ "tx_id": "{txid}", '
              '"payment_proof": "sent by hand" }\'')
    assert done["status"] == "succeeded" and done["tx_id"] == txid
    second = create_refund(api, inv["id"], 1000)[2]["id"]
    failed = sh(f'curl -sS -X POST $BASE/v1/stores/main/refunds/{second}/fail '
                '-H "Authorization: Bearer $QPAYD_MAIN_PAYOUT_TOKEN" '
                '-H "Content-Type: application/json" '
                '-d \'{ "failure_reason": "expired lightning invoice" }\'')
    assert failed["status"] == "failed"
    assert failed["failure_reason"] == "expired lightning invoice"
    third = create_refund(api, inv["id"], 1000)[2]["id"]
    canceled = sh(f'curl -sS -X POST $BASE/v1/stores/main/refunds/{third}/cancel '
                  '-H "Authorization: Bearer $QPAYD_MAIN_PAYOUT_TOKEN"')
    assert canceled["status"] == "canceled"


def test_approval_walkthrough(api):
    """300,000 sat over a 250,000 threshold: required, approved, finalized."""
    inv = paid_invoice(api, 400000)
    status, _, rf = create_refund(api, inv["id"], 300000, destination=LN_ADDRESS)
    assert status == 201, rf
    assert rf["approval_status"] == "required"
    # over max_refund_sats (100000): accepted, but never paid by the executor
    assert rf["execution"] == "manual"
    assert "max_refund_sats" in rf["execution_reason"]
    status, _, body = api.request("POST", f"/v1/stores/main/refunds/{rf['id']}/finalize",
                                  {"payment_proof": "00" * 32}, token=PAYOUT)
    assert status == 409 and body["error"]["code"] == "approval_required"
    status, _, body = api.request("POST", f"/v1/stores/main/refunds/{rf['id']}/approve",
                                  token=PAYOUT)
    assert status == 401
    status, _, body = api.request("POST", f"/v1/stores/main/refunds/{rf['id']}/approve",
                                  token=ADMIN)
    assert status == 200 and body["approval_status"] == "approved"
    status, _, body = api.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)
    assert body["approval_status"] == "approved"
    status, _, body = api.request("POST", f"/v1/stores/main/refunds/{rf['id']}/approve",
                                  token=ADMIN)
    assert status == 409 and body["error"]["code"] == "invalid_state"
    status, _, body = api.request("POST", f"/v1/stores/main/refunds/{rf['id']}/finalize",
                                  {"payment_proof": "11" * 32, "fee_sats": 12}, token=PAYOUT)
    assert status == 200
    assert body["status"] == "succeeded" and body["fee_sats"] == 12


def test_small_refund_is_automatic(api):
    inv = paid_invoice(api, 5000)
    status, _, rf = create_refund(api, inv["id"], 2000)
    assert status == 201
    assert rf["execution"] == "auto" and rf["execution_reason"] is None
    assert rf["approval_status"] == "not_required"


def test_disabled_backend_is_manual(tmp_path, dburl, daemons):
    from conftest import Server
    s = Server(tmp_path, dburl, stores=stores(btc_enabled="false"))
    daemons.append(s)
    inv = paid_invoice(s, 5000)
    status, _, rf = create_refund(s, inv["id"], 2000)
    assert status == 201
    assert rf["execution"] == "manual" and "disabled" in rf["execution_reason"]


def test_balance_rules(api):
    inv = paid_invoice(api, 10000)
    iid = inv["id"]
    assert create_refund(api, iid, 6000)[0] == 201
    status, _, body = create_refund(api, iid, 4001)
    assert status == 422 and body["error"]["code"] == "insufficient_refundable_balance"
    second = create_refund(api, iid, 4000)[2]
    status, _, body = create_refund(api, iid, 1)
    assert status == 422 and body["error"]["code"] == "already_fully_refunded"
    # canceling releases the balance
    api.request("POST", f"/v1/stores/main/refunds/{second['id']}/cancel", token=PAYOUT)
    assert create_refund(api, iid, 4000)[0] == 201
    _, _, summary = api.request("GET", f"/v1/stores/main/invoices/{iid}/refund-summary",
                                token=ADMIN)
    assert summary["amount_paid_sats"] == 10000
    assert summary["pending_sats"] == 10000
    assert summary["refundable_sats"] == 0
    assert summary["counts"] == {"pending": 2, "processing": 0, "succeeded": 0, "failed": 0,
                                 "canceled": 1, "awaiting_destination": 0}


def test_unpaid_invoice_cannot_be_refunded(api):
    _, _, inv = api.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000}, token=API)
    status, _, body = create_refund(api, inv["id"], 100)
    assert status == 422 and body["error"]["code"] == "invoice_not_paid"


def test_refund_window(api, cluster, dbname):
    inv = paid_invoice(api, 10000)
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("UPDATE invoices SET paid_at = now() - interval '91 days' WHERE id = %s",
                    (inv["id"],))
    status, _, body = create_refund(api, inv["id"], 100)
    assert status == 422 and body["error"]["code"] == "refund_window_expired"
    _, _, summary = api.request("GET", f"/v1/stores/main/invoices/{inv['id']}/refund-summary",
                                token=ADMIN)
    assert summary["refund_window_open"] is False and summary["refundable_sats"] == 0


def test_invoice_becomes_refunded(api):
    inv = paid_invoice(api, 3000)
    r1 = create_refund(api, inv["id"], 1000)[2]
    r2 = create_refund(api, inv["id"], 2000)[2]
    for r in (r1, r2):
        status, _, _ = api.request("POST", f"/v1/stores/main/refunds/{r['id']}/finalize",
                                   {"tx_id": "cd" * 32}, token=PAYOUT)
        assert status == 200
    _, _, got = api.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)
    assert got["status"] == "refunded"
    assert got["amount_refunded_sats"] == 3000


def test_invalid_transitions_are_409(api):
    inv = paid_invoice(api, 10000)
    ids = {}
    for final in ("succeeded", "failed", "canceled"):
        rid = create_refund(api, inv["id"], 1000)[2]["id"]
        action = {"succeeded": ("finalize", {"tx_id": "ef" * 32}),
                  "failed": ("fail", {"failure_reason": "x"}),
                  "canceled": ("cancel", None)}[final]
        status, _, _ = api.request("POST", f"/v1/stores/main/refunds/{rid}/{action[0]}",
                                   action[1], token=PAYOUT)
        assert status == 200
        ids[final] = rid
    moves = [("finalize", {"tx_id": "ef" * 32}), ("fail", {"failure_reason": "again"}),
             ("cancel", None)]
    for final, rid in ids.items():
        for action, body in moves:
            status, _, err = api.request("POST", f"/v1/stores/main/refunds/{rid}/{action}", body,
                                         token=PAYOUT)
            assert status == 409, (final, action, err)
            assert err["error"]["code"] == "invalid_state"
            assert final in err["error"]["message"]
        status, _, err = api.request("POST", f"/v1/stores/main/refunds/{rid}/approve",
                                     token=ADMIN)
        assert status == 409
    # approve of a refund that needs no approval
    rid = create_refund(api, inv["id"], 1000)[2]["id"]
    status, _, err = api.request("POST", f"/v1/stores/main/refunds/{rid}/approve", token=ADMIN)
    assert status == 409 and "not_required" in err["error"]["message"]


def test_processing_can_be_finalized_but_not_canceled_or_failed(api, cluster, dbname):
    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 1000)[2]["id"]
    rid2 = create_refund(api, inv["id"], 1000)[2]["id"]
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("UPDATE refunds SET status = 'processing', processing_started_at = now() "
                    "WHERE id IN (%s, %s)", (rid, rid2))
    status, _, err = api.request("POST", f"/v1/stores/main/refunds/{rid}/cancel", token=PAYOUT)
    assert status == 409 and "processing" in err["error"]["message"]
    status, _, body = api.request("POST", f"/v1/stores/main/refunds/{rid}/finalize",
                                  {"payment_proof": "aa" * 32}, token=PAYOUT)
    assert status == 200 and body["status"] == "succeeded"
    # Only the wallet host can tell whether a processing payout went out.
    status, _, err = api.request("POST", f"/v1/stores/main/refunds/{rid2}/fail",
                                 {"failure_reason": "operator checked: never sent"},
                                 token=PAYOUT)
    assert status == 409 and err["error"]["code"] == "invalid_state"
    assert "processing" in err["error"]["message"]
    assert "qpayd-executor reconcile" in err["error"]["message"]
    status, _, body = api.request("GET", f"/v1/stores/main/refunds/{rid2}", token=PAYOUT)
    assert status == 200 and body["status"] == "processing"


def test_transition_bodies_are_checked(api):
    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 1000)[2]["id"]
    cases = [("finalize", {}, "missing_field"), ("finalize", {"tx_id": "xyz"}, "invalid_field"),
             ("finalize", {"tx_id": 5}, "invalid_field"),
             ("finalize", {"payment_proof": "p", "fee_sats": -1}, "invalid_amount"),
             ("finalize", {"payment_proof": "p", "extra": 1}, "invalid_field"),
             ("fail", {}, "missing_field"), ("fail", {"failure_reason": ""}, "missing_field"),
             ("cancel", {"why": "x"}, "invalid_field")]
    for action, body, code in cases:
        status, _, err = api.request("POST", f"/v1/stores/main/refunds/{rid}/{action}", body,
                                     token=PAYOUT)
        assert status == 400 and err["error"]["code"] == code, (action, body, err)
    _, _, still = api.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)
    assert still["status"] == "pending"


def test_events_are_the_audit_trail(api):
    inv = paid_invoice(api, 400000)
    rid = create_refund(api, inv["id"], 300000, destination=LN_ADDRESS)[2]["id"]
    api.request("POST", f"/v1/stores/main/refunds/{rid}/approve", token=ADMIN)
    api.request("POST", f"/v1/stores/main/refunds/{rid}/fail", {"failure_reason": "no route"},
                token=PAYOUT)
    status, _, ev = api.request("GET", f"/v1/stores/main/refunds/{rid}/events", token=ADMIN)
    assert status == 200
    seq = [(e["actor"], e["event"], e["from_status"], e["to_status"]) for e in ev["data"]]
    assert seq == [("payout", "created", None, "pending"),
                   ("admin", "approved", "pending", "pending"),
                   ("payout", "failed", "pending", "failed")]
    assert ev["data"][2]["detail"]["failure_reason"] == "no route"
    assert all(e["created_at"].endswith("Z") for e in ev["data"])


def test_create_and_approve_notify_the_executor(api, cluster, dbname):
    conn = psycopg2.connect(cluster.url(dbname))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("LISTEN qpayd_refunds")
    inv = paid_invoice(api, 400000)
    create_refund(api, inv["id"], 1000)

    def wait():
        if select.select([conn], [], [], 5) == ([], [], []):
            return None
        conn.poll()
        return conn.notifies.pop(0).payload if conn.notifies else None

    assert wait() == "main"
    big = create_refund(api, inv["id"], 300000, destination=LN_ADDRESS)[2]["id"]
    conn.poll()
    assert not conn.notifies  # not payable until approved
    api.request("POST", f"/v1/stores/main/refunds/{big}/approve", token=ADMIN)
    assert wait() == "main"


def test_scoping_by_store(api):
    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 1000)[2]["id"]
    from apiutil import GLOBAL_ADMIN, GLOBAL_PAYOUT
    for method, path, body, tok in [
            ("GET", f"/v1/stores/other/refunds/{rid}", None, GLOBAL_ADMIN),
            ("GET", f"/v1/stores/other/refunds/{rid}/events", None, GLOBAL_ADMIN),
            ("POST", f"/v1/stores/other/refunds/{rid}/cancel", None, GLOBAL_PAYOUT),
            ("POST", f"/v1/stores/other/refunds/{rid}/finalize", {"tx_id": "ab" * 32},
             GLOBAL_PAYOUT),
            ("GET", f"/v1/stores/other/invoices/{inv['id']}", None, API),
            ("GET", f"/v1/stores/other/invoices/{inv['id']}/refunds", None, GLOBAL_ADMIN),
            ("GET", f"/v1/stores/other/invoices/{inv['id']}/refund-summary", None, GLOBAL_ADMIN),
            ("POST", f"/v1/stores/other/invoices/{inv['id']}/refunds",
             {"amount_sats": 1, "destination": "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"},
             GLOBAL_PAYOUT)]:
        status, _, err = api.request(method, path, body, token=tok)
        assert status == 404, (path, err)
    _, _, still = api.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)
    assert still["status"] == "pending"
    status, _, err = api.request("GET", "/v1/stores/nope/refunds", token=ADMIN)
    assert status == 404 and err["error"]["code"] == "store_not_found"
    status, _, err = api.request("GET", "/v1/stores/main/refunds/rf_notanid", token=ADMIN)
    assert status == 404


def test_listing_and_pagination(api):
    inv = paid_invoice(api, 100000)
    made = [create_refund(api, inv["id"], 100 + i)[2]["id"] for i in range(7)]
    api.request("POST", f"/v1/stores/main/refunds/{made[0]}/cancel", token=PAYOUT)
    seen, cursor = [], None
    while True:
        q = "?limit=3" + (f"&starting_after={cursor}" if cursor else "")
        status, _, page = api.request("GET", "/v1/stores/main/refunds" + q, token=ADMIN)
        assert status == 200
        seen += [r["id"] for r in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    assert seen == list(reversed(made))
    _, _, pend = api.request("GET", "/v1/stores/main/refunds?status=pending&limit=100",
                             token=ADMIN)
    assert len(pend["data"]) == 6
    _, _, canc = api.request("GET", "/v1/stores/main/refunds?status=canceled", token=ADMIN)
    assert [r["id"] for r in canc["data"]] == [made[0]]
    _, _, of_inv = api.request("GET", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                               token=ADMIN)
    assert [r["id"] for r in of_inv["data"]] == made
    for q in ("?limit=0", "?limit=101", "?limit=x", "?status=lost", "?colour=red",
              "?starting_after=rf_0000000000000000000000000"):
        status, _, err = api.request("GET", "/v1/stores/main/refunds" + q, token=ADMIN)
        assert status == 400, (q, err)


def test_idempotent_replay_and_reuse(api):
    inv = paid_invoice(api, 10000)
    s1, h1, b1 = create_refund(api, inv["id"], 2000, key="order-1")
    s2, h2, b2 = create_refund(api, inv["id"], 2000, key="order-1")
    assert s1 == s2 == 201
    assert b1 == b2
    assert h2["Idempotent-Replayed"] == "true"
    _, _, of_inv = api.request("GET", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                               token=ADMIN)
    assert len(of_inv["data"]) == 1
    status, _, err = create_refund(api, inv["id"], 2001, key="order-1")
    assert status == 422 and err["error"]["code"] == "idempotency_key_reused"
    status, _, err = create_refund(api, inv["id"], 1, key="k" * 256)
    assert status == 400 and err["error"]["code"] == "invalid_idempotency_key"


def test_idempotency_survives_pruning(api, cluster, dbname):
    inv = paid_invoice(api, 10000)
    _, _, first = create_refund(api, inv["id"], 2000, key="order-9")
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM idempotency_keys")
    status, _, again = create_refund(api, inv["id"], 2000, key="order-9")
    assert status == 200 and again["id"] == first["id"]
    status, _, err = create_refund(api, inv["id"], 3000, key="order-9")
    assert status == 422
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM refunds")
        assert cur.fetchone()[0] == 1


def test_fifty_identical_concurrent_creates_make_one_refund(api, cluster, dbname):
    inv = paid_invoice(api, 100000)
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda _: create_refund(api, inv["id"], 3000, key="race-1"),
                                range(50)))
    statuses = [r[0] for r in results]
    assert set(statuses) <= {201, 409}, statuses
    ids = {r[2]["id"] for r in results if r[0] == 201}
    assert len(ids) == 1
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM refunds WHERE invoice_id = %s", (inv["id"],))
        assert cur.fetchone()[0] == 1


def test_fifty_distinct_concurrent_creates_never_over_refund(api, cluster, dbname):
    inv = paid_invoice(api, 100000)
    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda i: create_refund(api, inv["id"], 3000 + i),
                                range(50)))
    ok = [r for r in results if r[0] == 201]
    refused = [r for r in results if r[0] != 201]
    assert all(r[0] == 422 for r in refused), [r for r in refused if r[0] != 422][:3]
    assert sum(r[2]["amount_sats"] for r in ok) <= 100000
    assert len(ok) >= 25  # ~31 of the 3000+ sat refunds fit in 100000
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT sum(amount_sats) FROM refunds WHERE invoice_id = %s", (inv["id"],))
        assert cur.fetchone()[0] <= 100000


def test_amount_forms(api):
    inv = paid_invoice(api, 10000)
    status, _, rf = create_refund(api, inv["id"], "1500")
    assert status == 201 and rf["amount_sats"] == 1500
    raw = lambda text: api.request(
        "POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
        ('{"amount_sats": %s, "destination": "%s"}' % (text, MAINNET_ADDR)).encode(),
        headers={"Content-Type": "application/json"}, token=PAYOUT)
    for bad in ("20.5", "1e3", "-5", "0", "2100000000000001", '"1.5"', '"-1"', '"1e3"', '" 1"',
                "true", "null", '""', "[1]", "99999999999999999999"):
        status, _, err = raw(bad)
        assert status == 400, (bad, err)
        assert err["error"]["code"] in ("invalid_amount", "missing_field"), (bad, err)
    status, _, err = create_refund(api, inv["id"], 1, reason="r" * 501)
    assert status == 400


def test_bolt11_destinations(api):
    inv = paid_invoice(api, 10000)
    ok, _, _ = make_bolt11("mainnet", 2000 * 1000)
    status, _, rf = create_refund(api, inv["id"], 2000, destination=ok)
    assert status == 201 and rf["destination_type"] == "bolt11", rf
    amountless, _, _ = make_bolt11("mainnet", None)
    assert create_refund(api, inv["id"], 700, destination=amountless)[0] == 201
    wrong_amount, _, _ = make_bolt11("mainnet", 1999 * 1000)
    status, _, err = create_refund(api, inv["id"], 2000, destination=wrong_amount)
    assert status == 400 and err["error"]["code"] == "destination_amount_mismatch"
    expired, _, _ = make_bolt11("mainnet", 2000 * 1000, expiry=60, timestamp=1_600_000_000)
    status, _, err = create_refund(api, inv["id"], 2000, destination=expired)
    assert status == 400 and err["error"]["code"] == "destination_expired"
    regtest, _, _ = make_bolt11("regtest", 2000 * 1000)
    status, _, err = create_refund(api, inv["id"], 2000, destination=regtest)
    assert status == 400 and err["error"]["code"] == "invalid_destination"


def test_reads_survive_a_lost_database_connection(api, cluster, dbname):
    """GET refund and GET invoice use the worker's pipelined connection: when
    the server drops it they answer 503 (never hang, never crash) and work
    again once it is back."""
    import time

    inv = paid_invoice(api, 10000)
    rid = create_refund(api, inv["id"], 1000)[2]["id"]
    admin = cluster.connect()
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))
    seen = set()
    deadline = time.time() + 10
    ok = 0
    while time.time() < deadline and ok < 20:
        s1, _, b1 = api.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)
        s2, _, b2 = api.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)
        seen |= {s1, s2}
        assert s1 in (200, 503) and s2 in (200, 503), (b1, b2)
        if s1 == 503:
            assert b1["error"]["code"] == "database_unavailable"
        ok = ok + 1 if (s1, s2) == (200, 200) else 0
        time.sleep(0.05)
    assert ok == 20, seen
    assert b1["id"] == rid and b2["id"] == inv["id"]


def test_expired_idempotency_key_can_be_used_again(api, cluster, dbname):
    a = paid_invoice(api, 10000)
    b = paid_invoice(api, 10000)
    status, _, first = create_refund(api, a["id"], 1000, key="order-77")
    assert status == 201
    # within 24 hours the key belongs to that request
    status, _, err = create_refund(api, b["id"], 1000, key="order-77")
    assert status == 422 and err["error"]["code"] == "idempotency_key_reused"
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    status, headers, second = create_refund(api, b["id"], 1000, key="order-77")
    assert status == 201, second
    assert second["id"] != first["id"] and second["invoice_id"] == b["id"]
    assert "Idempotent-Replayed" not in headers
    # and it replays from now on
    status, headers, again = create_refund(api, b["id"], 1000, key="order-77")
    assert status == 201 and again == second and headers["Idempotent-Replayed"] == "true"


def test_payment_after_full_refund_reopens_the_invoice(api):
    inv = paid_invoice(api, 3000)
    rid = create_refund(api, inv["id"], 3000)[2]["id"]
    api.request("POST", f"/v1/stores/main/refunds/{rid}/finalize", {"tx_id": "cd" * 32},
                token=PAYOUT)
    _, _, got = api.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)
    assert got["status"] == "refunded"
    status, _, got = api.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                                 {"amount_sats": 500}, token=ADMIN)
    assert status == 200
    assert got["status"] == "overpaid" and got["amount_paid_sats"] == 3500
    assert create_refund(api, inv["id"], 500)[0] == 201


def test_one_live_refund_per_lightning_invoice(api):
    inv = paid_invoice(api, 10000)
    bolt11, _, _ = make_bolt11("mainnet", None)
    status, _, first = create_refund(api, inv["id"], 1000, destination=bolt11)
    assert status == 201
    status, _, err = create_refund(api, inv["id"], 1000, destination=bolt11)
    assert status == 409 and err["error"]["code"] == "destination_in_use"
    # the invoice may be refunded to again once the first refund failed
    api.request("POST", f"/v1/stores/main/refunds/{first['id']}/fail",
                {"failure_reason": "route not found"}, token=PAYOUT)
    assert create_refund(api, inv["id"], 1000, destination=bolt11)[0] == 201
