"""GET /v1/stores/{store}/invoices and the refunds list's filters (issue 15,
docs/api.md "Listings and exports"): cursor pages visit every row exactly
once, newest first, even with rows created in the same microsecond; each
filter keeps exactly the rows it names; every bad filter is a 400 that names
the parameter."""
import urllib.parse

from apiutil import ADMIN, API, api, paid_invoice  # noqa: F401 (fixture)
from listutil import connect, insert_invoice, insert_refunds


def walk(server, path, token, limit):
    """Every page of a list: the ids in order, and the number of pages."""
    seen, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in path else "?"
        q = f"{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = server.request("GET", path + q, token=token)
        assert status == 200, page
        assert list(page) == ["data", "has_more", "next_cursor"]
        pages += 1
        seen += [r["id"] for r in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return seen, pages
        assert isinstance(page["next_cursor"], str) and page["next_cursor"]
        cursor = page["next_cursor"]


def ids_newest_first(cur, table, where="store_id = 'main'"):
    cur.execute(f"SELECT id FROM {table} WHERE {where} ORDER BY created_at DESC, id DESC")
    return [r[0] for r in cur.fetchall()]


def test_invoice_pages_visit_every_row_once(api, cluster, dbname):
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        for k in range(40):
            insert_invoice(cur, created_at=f"'2026-03-01T00:00:00Z'::timestamptz + {k // 4} "
                                           "* interval '1 minute'")  # ties of four
        insert_invoice(cur, store="other")
        want = ids_newest_first(cur, "invoices")
    made = [api.request("POST", "/v1/stores/main/invoices", {"amount_sats": 500}, token=API)[2]
            for _ in range(3)]
    want = [m["id"] for m in reversed(made)] + want
    for limit in (1, 7, 10, 43, 100):
        seen, pages = walk(api, "/v1/stores/main/invoices", API, limit)
        assert seen == want, limit
        assert pages == -(-len(want) // limit), limit
    status, _, page = api.request("GET", "/v1/stores/main/invoices", token=API)
    assert status == 200 and len(page["data"]) == 20 and page["has_more"]
    assert page["data"][0] == api.request("GET", f"/v1/stores/main/invoices/{want[0]}",
                                          token=API)[2]
    # Other stores' rows never appear.
    seen, _ = walk(api, "/v1/stores/other/invoices", API, 5)
    assert len(seen) == 1 and seen[0] not in want


def test_invoice_filters(api, cluster, dbname):
    conn = connect(cluster, dbname)
    t = "'2026-04-10T12:00:00Z'::timestamptz"
    with conn.cursor() as cur:
        a = insert_invoice(cur, status="paid", created_at=f"{t} - interval '2 days'",
                           paid_at=f"{t} - interval '1 day'", metadata={"order": "A-1", "n": 1})
        b = insert_invoice(cur, status="paid", created_at=f"{t} - interval '1 day'",
                           paid_at=f"{t} + interval '1 hour'",
                           metadata={"order": "B-2", "tag": "x y&z"})
        c = insert_invoice(cur, status="unpaid", created_at=t,
                           expires_at="now() - interval '1 minute'")  # shown as expired
        d = insert_invoice(cur, status="unpaid", created_at=f"{t} + interval '1 day'",
                           expires_at="now() + interval '1 hour'", metadata={"order": "A-1"})
        e = insert_invoice(cur, status="underpaid", created_at=f"{t} + interval '2 days'",
                           paid_at=f"{t} + interval '2 days'", paid=10)

    def ids(q):
        status, _, page = api.request("GET", "/v1/stores/main/invoices?" + q, token=API)
        assert status == 200, (q, page)
        return [r["id"] for r in page["data"]]

    assert ids("") == [e, d, c, b, a]
    assert ids("status=paid") == [b, a]
    assert ids("status=expired") == [c]
    assert ids("status=unpaid") == [d]
    assert ids("status=underpaid") == [e]
    # Date bounds are half open: after is inclusive, before exclusive.
    assert ids("created_after=2026-04-10T12:00:00Z") == [e, d, c]
    assert ids("created_before=2026-04-10T12:00:00Z") == [b, a]
    assert ids("created_after=2026-04-09&created_before=2026-04-11") == [c, b]
    assert ids("created_after=" + urllib.parse.quote("2026-04-10T14:00:00+02:00")) == [e, d, c]
    assert ids("created_after=2026-04-10T12:00:00.000001Z") == [e, d]
    assert ids("paid_after=2026-04-10T00:00:00Z") == [e, b]
    assert ids("paid_before=2026-04-10T00:00:00Z") == [a]
    assert ids("paid_after=2026-04-09T00:00:00Z&paid_before=2026-04-11") == [b, a]
    # metadata[key]=value: the invoice's metadata contains the pair, the
    # value a JSON string (jsonb containment); several pairs must all match.
    assert ids("metadata[order]=A-1") == [d, a]
    assert ids("metadata%5Border%5D=A-1") == [d, a]
    assert ids("metadata[order]=A-1&metadata[n]=1") == []  # n is the number 1, not "1"
    assert ids("metadata[tag]=" + urllib.parse.quote("x y&z")) == [b]
    assert ids("metadata[order]=A-1&status=unpaid") == [d]
    assert ids("metadata[missing]=A-1") == []


def test_refund_list_filters(api, cluster, dbname):
    inv1 = paid_invoice(api, 50000)["id"]
    inv2 = paid_invoice(api, 50000)["id"]
    conn = connect(cluster, dbname)
    t = "'2026-05-01T00:00:00Z'"
    with conn.cursor() as cur:
        r1 = insert_refunds(cur, inv1, 3, created_at=t, step="1 day", reference="order-17")
        r2 = insert_refunds(cur, inv2, 2, created_at=f"{t}::timestamptz + interval '10 days'",
                            step="1 day", status="failed", reference="Order 18, \"b\"")
        r3 = insert_refunds(cur, inv2, 25, created_at="'2026-06-01T00:00:00Z'",
                            step="0 seconds")  # all in one microsecond: ties by id

    def ids(q):
        status, _, page = api.request("GET", "/v1/stores/main/refunds?limit=100&" + q,
                                      token=ADMIN)
        assert status == 200, (q, page)
        return [r["id"] for r in page["data"]]

    everything = ids("")
    assert sorted(everything) == sorted(r1 + r2 + r3)
    assert ids("invoice_id=" + inv1) == list(reversed(r1))
    assert ids("reference=order-17") == list(reversed(r1))
    assert ids("reference=" + urllib.parse.quote('Order 18, "b"')) == list(reversed(r2))
    assert ids("reference=order") == []  # exact, not a prefix
    assert ids("status=failed") == list(reversed(r2))
    # r2 at May 11 and 12: before is exclusive.
    assert ids("created_after=2026-05-02&created_before=2026-05-12") == [r2[0], r1[2], r1[1]]
    assert ids("created_before=2026-05-02T00:00:00Z") == [r1[0]]
    assert ids(f"invoice_id={inv2}&status=canceled") == sorted(r3, reverse=True)
    # Pages by cursor, and still by starting_after=<refund id>, across ties.
    seen, _ = walk(api, "/v1/stores/main/refunds", ADMIN, 4)
    assert seen == everything and len(set(seen)) == 30
    seen, _ = walk(api, f"/v1/stores/main/refunds?invoice_id={inv2}", ADMIN, 6)
    assert seen == sorted(r3, reverse=True) + list(reversed(r2))
    older = []
    cursor = None
    while True:
        q = "?limit=7" + (f"&starting_after={cursor}" if cursor else "")
        page = api.request("GET", "/v1/stores/main/refunds" + q, token=ADMIN)[2]
        older += [r["id"] for r in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    assert older == everything


def test_refund_metadata_filter(api, cluster, dbname):
    inv1 = paid_invoice(api, 50000)["id"]
    inv2 = paid_invoice(api, 50000)["id"]
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        a = insert_refunds(cur, inv1, 1, extra={"metadata": "'{\"ticket\": \"T-9\"}'"})[0]
        b = insert_refunds(cur, inv2, 1, created_at="now() + interval '1 second'",
                           extra={"metadata": "'{\"ticket\": \"T-9\", \"n\": 2}'"})[0]
        insert_refunds(cur, inv2, 2, extra={"metadata": "'{\"ticket\": \"T-10\"}'"})
        insert_refunds(cur, inv2, 2)

    def ids(q):
        status, _, page = api.request("GET", "/v1/stores/main/refunds?" + q, token=ADMIN)
        assert status == 200, (q, page)
        return [r["id"] for r in page["data"]]

    assert ids("metadata[ticket]=T-9") == [b, a]
    assert ids(f"metadata[ticket]=T-9&invoice_id={inv1}") == [a]
    assert ids("metadata[ticket]=T-9&metadata[n]=2") == []  # n is the number 2
    assert ids("metadata[ticket]=T") == []  # whole values only


def test_bad_filters_name_the_parameter(api):
    bad = {
        "/v1/stores/main/invoices": [
            ("status", "status=lost"), ("status", "status=pending"),
            ("created_after", "created_after=yesterday"),
            ("created_after", "created_after=2026-02-30"),
            ("created_before", "created_before=2026-01-01T25:00:00Z"),
            ("created_before", "created_before=2026-01-01T10:00:00"),  # no zone
            ("paid_after", "paid_after=2026-13-01"), ("paid_before", "paid_before="),
            ("limit", "limit=0"), ("limit", "limit=101"), ("limit", "limit=ten"),
            ("cursor", "cursor=zz"), ("cursor", "cursor=" + "41" * 20),
            ("metadata[]", "metadata[]=x"), ("metadata[a", "metadata[a=x"),
            ("metadata[a]", "metadata[a]=1&metadata[a]=2"),
            ("invoice_id", "invoice_id=inv_x"),  # not a filter of invoices
            ("reference", "reference=x"), ("colour", "colour=red"),
            ("status", "status=paid&status=unpaid"),
        ],
        "/v1/stores/main/refunds": [
            ("status", "status=paid"), ("invoice_id", "invoice_id=rf_123"),
            ("reference", "reference=" + "r" * 101), ("reference", "reference=a%0Ab"),
            ("created_after", "created_after=2026-1-1"), ("paid_after", "paid_after=2026-01-01"),
            ("cursor", "cursor=abc"), ("starting_after", "starting_after=inv_1"),
            ("cursor", "cursor=" + "00" * 10 + "&starting_after=rf_" + "0" * 26),
        ],
    }
    for path, cases in bad.items():
        token = API if "invoices" in path else ADMIN
        for name, q in cases:
            status, _, err = api.request("GET", f"{path}?{q}", token=token)
            assert status == 400, (path, q, err)
            assert err["error"]["code"] == "invalid_query", (q, err)
            assert err["error"]["message"].startswith(name), (q, err)


def test_invoice_list_takes_the_token_that_reads_invoices(api):
    """The api token, as GET …/invoices/{id}; refunds stay the admin's."""
    for token, want in ((None, 401), (ADMIN, 401), (API, 200)):
        status, _, page = api.request("GET", "/v1/stores/main/invoices", token=token)
        assert status == want, (token, page)
    assert page == {"data": [], "has_more": False, "next_cursor": None}
    status, _, _ = api.request("GET", "/v1/stores/nowhere/invoices", token=API)
    assert status == 404
    status, _, _ = api.request("GET", "/v1/stores/main/refunds", token=API)
    assert status == 401


def test_rows_created_during_a_walk_neither_skip_nor_repeat(api, cluster, dbname):
    """Newest first by keyset: rows created meanwhile are newer than the
    cursor, so the walk goes on through exactly the rows it started with."""
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        for k in range(30):
            insert_invoice(cur, created_at=f"now() - interval '{k} minutes'")
        before = ids_newest_first(cur, "invoices")
    seen, cursor = [], None
    while True:
        q = "?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = api.request("GET", "/v1/stores/main/invoices" + q, token=API)[2]
        seen += [r["id"] for r in page["data"]]
        with conn.cursor() as cur:
            insert_invoice(cur)  # a new invoice between every two pages
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert seen == before
    status, _, page = api.request("GET", "/v1/stores/main/invoices?limit=100", token=API)
    assert len(page["data"]) == 30 + 8
