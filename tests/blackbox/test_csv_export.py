"""The CSV exports (issue 15, docs/api.md "CSV exports"): 100,000 refunds
streamed with flat memory, read slowly; the documented columns with exact BTC
decimals, RFC 4180 quoting and neutralised formulas; Accept: text/csv and the
.csv suffix; filters; errors before the first byte are plain JSON errors; a
client that leaves mid-stream costs nothing."""
import csv
import io
import os
import socket
import time
import urllib.error
import urllib.request

import pytest

from apiutil import ADMIN, API, GLOBAL_ADMIN, stores
from conftest import Server
from listutil import connect, insert_invoice, insert_refunds

REFUND_HEADER = ["id", "invoice_id", "reference", "status", "payout_backend", "destination_type",
                 "destination", "amount_sats", "amount_btc", "fee_sats", "fee_btc",
                 "received_sats", "received_btc", "buyer_pays_fee", "tx_id", "payment_proof",
                 "tx_status", "confirmations", "reason", "failure_reason", "created_at_utc",
                 "completed_at_utc", "confirmed_at_utc"]
INVOICE_HEADER = ["id", "status", "amount_sats", "amount_btc", "amount_paid_sats",
                  "amount_paid_btc", "amount_refunded_sats", "amount_refunded_btc", "description",
                  "metadata", "payment_hash", "onchain_address", "created_at_utc",
                  "expires_at_utc", "paid_at_utc"]
PAYMENT_HEADER = ["invoice_id", "method", "reference", "state", "amount_sats", "amount_btc",
                  "confirmations", "late", "first_seen_at_utc", "credited_at_utc"]


@pytest.fixture
def api(tmp_path, dburl, daemons):
    # A small ASan quarantine, so that RSS shows what qpayd holds rather than
    # what the sanitizer keeps of what it freed.
    asan = os.environ.get("ASAN_OPTIONS", "")
    s = Server(tmp_path, dburl, workers=2, stores=stores(),
               env_extra={"ASAN_OPTIONS": (asan + ":" if asan else "") +
                          "quarantine_size_mb=4:thread_local_quarantine_size_kb=64"})
    daemons.append(s)
    return s


def get_csv(server, path, token, headers=None):
    """(status, headers, text) of a GET, without JSON parsing."""
    h = {"Authorization": f"Bearer {token}"}
    h.update(headers or {})
    req = urllib.request.Request(server.base + path, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def rows(text):
    assert text.endswith("\r\n") or text == ""
    return list(csv.reader(io.StringIO(text, newline="")))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


REF = 'order-x, "quoted" ' + "x" * 80  # a long reference: a 35 MB export


def test_100000_refunds_stream_with_flat_memory(api, cluster, dbname):
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        inv = insert_invoice(cur, status="paid", amount=100000)
        made = insert_refunds(cur, inv, 100000, created_at="'2025-01-01T00:00:00Z'",
                              step="300 seconds", reference=REF)
    pid = api.daemon.proc.pid
    # Warm up: the statements prepared, the pools and arenas of a small export.
    status, _, text = get_csv(api, "/v1/stores/main/refunds.csv?created_before=2025-01-02",
                              ADMIN)
    assert status == 200 and len(rows(text)) == 1 + 288
    base = rss_kib(pid)
    # A slow reader: a raw socket that reads nothing for a while, then a
    # little at a time. qpayd must wait for it, not buffer the export.
    sock = socket.create_connection(("127.0.0.1", api.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(f"GET /v1/stores/main/refunds HTTP/1.1\r\nHost: x\r\n"
                 f"Authorization: Bearer {ADMIN}\r\nAccept: text/csv\r\n\r\n".encode())
    peak = base
    time.sleep(2)
    peak = max(peak, rss_kib(pid))
    chunks, got, last_sample = [], 0, 0
    sock.settimeout(30)
    while True:
        data = sock.recv(65536)
        if not data:
            break
        chunks.append(data)
        got += len(data)
        if got - last_sample > 1 << 20:
            last_sample = got
            peak = max(peak, rss_kib(pid))
            if got < 8 << 20:
                time.sleep(0.05)  # slow for the first megabytes
    sock.close()
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"Transfer-Encoding: chunked" in head and b"Content-Type: text/csv" in head
    # De-chunk.
    out, pos = [], 0
    while True:
        eol = body.index(b"\r\n", pos)
        size = int(body[pos:eol], 16)
        if size == 0:
            break
        out.append(body[eol + 2:eol + 2 + size])
        pos = eol + 2 + size + 2
    table = rows(b"".join(out).decode())
    assert table[0] == REFUND_HEADER
    assert [r[0] for r in table[1:]] == made  # oldest first, every row once
    assert all(r[2] == REF for r in table[1:])
    growth = (peak - base) / 1024
    print(f"RSS base {base / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, "
          f"growth {growth:.1f} MiB for {len(raw) / 1e6:.1f} MB")
    assert growth < 30, f"qpayd grew {growth:.1f} MiB while streaming {len(raw)} bytes"
    assert len(raw) > 30e6  # the export is much larger than the bound
    api.daemon.wait_for_log("msg=\"export sent\"")


def test_columns_exact_btc_quoting_and_formulas(api, cluster, dbname):
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        big = insert_invoice(cur, status="paid", amount=2100000000000000,
                             created_at="'2026-01-02T03:04:05.678Z'",
                             paid_at="'2026-01-02T05:00:00+02:00'",
                             description="=HYPERLINK(\"http://evil\")",
                             metadata={"order": "A,1", "q": "say \"hi\""})
        one = insert_invoice(cur, status="paid", amount=150000000,
                             created_at="'2026-01-03T00:00:00Z'",
                             description="line one\nline two")
        small = insert_invoice(cur, status="underpaid", amount=100, paid=1,
                               created_at="'2026-01-04T00:00:00Z'",
                               paid_at="'2026-01-04T00:00:00Z'", description="-5 +3 @x")
        r_ok = insert_refunds(cur, one, 1, status="succeeded", amount=149990000,
                              created_at="'2026-01-05T00:00:00Z'", reference="+SUM(A1:A9)",
                              extra={"fee_sats": "10000", "received_sats": "149980000",
                                     "buyer_pays_fee": "true", "tx_status": "'confirmed'",
                                     "confirmations": "6",
                                     "confirmed_at": "'2026-01-05T01:00:00Z'",
                                     "reason": "'@admin please'"})[0]
        r_ln = insert_refunds(cur, small, 1, status="failed", amount=1, backend="lightning",
                              created_at="'2026-01-06T00:00:00Z'", reference="plain")[0]
    status, hdrs, text = get_csv(api, "/v1/stores/main/invoices.csv", API)
    assert status == 200
    assert hdrs["Content-Type"] == "text/csv; charset=utf-8"
    assert hdrs["Content-Disposition"] == 'attachment; filename="main-invoices.csv"'
    table = rows(text)
    assert table[0] == INVOICE_HEADER
    by_id = {r[0]: dict(zip(INVOICE_HEADER, r)) for r in table[1:]}
    assert [r[0] for r in table[1:]] == [big, one, small]  # oldest first
    b = by_id[big]
    assert (b["amount_sats"], b["amount_btc"]) == ("2100000000000000", "21000000.00000000")
    assert b["amount_paid_btc"] == "21000000.00000000" and b["amount_refunded_btc"] == "0.00000000"
    assert b["description"] == "'=HYPERLINK(\"http://evil\")"  # neutralised, then quoted
    assert b["metadata"] in ('{"q": "say \\"hi\\"", "order": "A,1"}',
                             '{"order": "A,1", "q": "say \\"hi\\""}')
    assert b["created_at_utc"] == "2026-01-02 03:04:05"
    assert b["paid_at_utc"] == "2026-01-02 03:00:00"  # +02:00 shown in UTC
    assert b["expires_at_utc"] == "" and b["payment_hash"] == ""
    o = by_id[one]
    assert (o["amount_btc"], o["amount_paid_btc"]) == ("1.50000000", "1.50000000")
    assert o["description"] == "line one\nline two"
    s = by_id[small]
    assert (s["amount_btc"], s["amount_paid_sats"], s["amount_paid_btc"]) == \
        ("0.00000100", "1", "0.00000001")
    assert s["description"] == "'-5 +3 @x" and s["status"] == "underpaid"
    # Quoting on the wire: RFC 4180, CRLF line ends, quotes doubled.
    assert '"\'=HYPERLINK(""http://evil"")"' in text
    assert '"line one\nline two"' in text

    status, hdrs, text = get_csv(api, "/v1/stores/main/refunds", ADMIN,
                                 {"Accept": "application/json;q=0.5, text/csv"})
    assert status == 200 and hdrs["Content-Type"].startswith("text/csv")
    table = rows(text)
    assert table[0] == REFUND_HEADER
    ok = dict(zip(REFUND_HEADER, table[1]))
    assert ok["id"] == r_ok and ok["reference"] == "'+SUM(A1:A9)" and ok["status"] == "succeeded"
    assert (ok["amount_sats"], ok["amount_btc"]) == ("149990000", "1.49990000")
    assert (ok["fee_sats"], ok["fee_btc"]) == ("10000", "0.00010000")
    assert (ok["received_sats"], ok["received_btc"]) == ("149980000", "1.49980000")
    assert ok["buyer_pays_fee"] == "true" and ok["tx_id"] == "ab" * 32
    assert (ok["tx_status"], ok["confirmations"]) == ("confirmed", "6")
    assert ok["reason"] == "'@admin please"
    assert ok["created_at_utc"] == "2026-01-05 00:00:00"
    assert ok["confirmed_at_utc"] == "2026-01-05 01:00:00"
    ln = dict(zip(REFUND_HEADER, table[2]))
    assert ln["id"] == r_ln and ln["payout_backend"] == "lightning"
    assert (ln["amount_btc"], ln["fee_sats"], ln["fee_btc"]) == ("0.00000001", "", "")
    assert ln["failure_reason"] == "no route" and ln["buyer_pays_fee"] == "false"
    assert ln["destination"] == "alice@example.com" and ln["confirmed_at_utc"] == ""
    assert len(table) == 3


def test_routes_filters_and_errors(api, cluster, dbname):
    status, _, inv = api.request("POST", "/v1/stores/main/invoices", {"amount_sats": 5000},
                                 token=API)
    assert status == 201
    status, _, _ = api.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                               {"amount_sats": 5000}, token=ADMIN)
    assert status == 200
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        old = insert_invoice(cur, status="paid", created_at="'2025-06-30T23:59:59.999999Z'")
        in_range = [insert_invoice(cur, status="paid",
                                   created_at=f"'2025-07-01T00:00:00Z'::timestamptz + "
                                              f"interval '{k} days'")
                    for k in range(3)]
        insert_refunds(cur, old, 3, created_at="'2025-07-01T00:00:00Z'")
    # The suffix and Accept give the same file; JSON stays the default.
    a = get_csv(api, "/v1/stores/main/invoices.csv?created_after=2025-07-01"
                     "&created_before=2025-08-01", API)
    b = get_csv(api, "/v1/stores/main/invoices?created_after=2025-07-01"
                     "&created_before=2025-08-01", API, {"Accept": "text/csv"})
    assert a[0] == b[0] == 200 and a[2] == b[2]
    assert [r[0] for r in rows(a[2])[1:]] == in_range
    for accept in (None, "*/*", "application/json", "text/csv;q=0.4, application/json",
                   "text/*"):
        status, hdrs, _ = get_csv(api, "/v1/stores/main/invoices", API,
                                  {"Accept": accept} if accept else {})
        assert status == 200 and hdrs["Content-Type"] == "application/json", accept
    # Payments: CSV only.
    status, _, text = get_csv(api, "/v1/stores/main/payments.csv", API)
    assert status == 200
    table = rows(text)
    assert table[0] == PAYMENT_HEADER and len(table) == 2
    p = dict(zip(PAYMENT_HEADER, table[1]))
    assert (p["invoice_id"], p["method"], p["state"]) == (inv["id"], "manual", "credited")
    assert (p["amount_sats"], p["amount_btc"], p["late"]) == ("5000", "0.00005000", "false")
    status, _, text2 = get_csv(api, "/v1/stores/main/payments?method=manual", API,
                               {"Accept": "text/csv"})
    assert status == 200 and text2 == text
    assert len(rows(get_csv(api, "/v1/stores/main/payments.csv?method=onchain", API)[2])) == 1
    status, _, err = api.request("GET", "/v1/stores/main/payments", token=API)
    assert status == 406 and err["error"]["code"] == "not_acceptable"
    # Errors come before the first byte: plain JSON errors.
    for path, token, want, name in (
            ("/v1/stores/main/refunds.csv?limit=5", ADMIN, 400, "limit"),
            ("/v1/stores/main/refunds.csv?cursor=00", ADMIN, 400, "cursor"),
            ("/v1/stores/main/invoices.csv?created_after=July", API, 400, "created_after"),
            ("/v1/stores/main/payments.csv?state=lost", API, 400, "state"),
            ("/v1/stores/main/payments.csv?status=paid", API, 400, "status"),
            ("/v1/stores/main/refunds.csv", API, 401, None),
            ("/v1/stores/main/invoices.csv", ADMIN, 401, None),
            ("/v1/stores/nowhere/invoices.csv", API, 404, None)):
        status, hdrs, err = api.request("GET", path, token=token)
        assert status == want, (path, err)
        assert hdrs["Content-Type"] == "application/json"
        if name:
            assert err["error"]["message"].startswith(name), err
    # An empty export is the header line alone.
    status, _, text = get_csv(api, "/v1/stores/main/refunds.csv?status=succeeded", ADMIN)
    assert status == 200 and text == ",".join(REFUND_HEADER) + "\r\n"
    status, _, text = get_csv(api, "/v1/stores/other/refunds.csv", GLOBAL_ADMIN)
    assert status == 200 and rows(text) == [REFUND_HEADER]


def test_client_that_leaves_mid_stream(api, cluster, dbname):
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        inv = insert_invoice(cur, status="paid")
        insert_refunds(cur, inv, 20000)
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", api.port))
        sock.sendall(f"GET /v1/stores/main/refunds.csv HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {ADMIN}\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()  # a reset, mid-stream
    api.daemon.wait_for_log("msg=\"export cut short\"")
    # The worker still answers, and a whole export still works.
    status, _, text = get_csv(api, "/v1/stores/main/refunds.csv", ADMIN)
    assert status == 200 and len(rows(text)) == 20001
    status, _, _ = api.request("GET", "/healthz")
    assert status == 200


def test_a_long_download_outlasts_the_timeouts_but_a_stalled_one_is_cut(api, cluster, dbname):
    """timeout_seconds is 5 in the tests: a download that takes 7 s but
    keeps reading finishes; a client that stops reading for 8 s is cut."""
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        inv = insert_invoice(cur, status="paid")
        insert_refunds(cur, inv, 20000, reference=REF)

    def start():
        sock = socket.create_connection(("127.0.0.1", api.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        sock.sendall(f"GET /v1/stores/main/refunds.csv HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {ADMIN}\r\n\r\n".encode())
        sock.settimeout(20)
        return sock

    sock, got, t0 = start(), b"", time.monotonic()
    while True:
        data = sock.recv(32768)
        if not data:
            break
        got += data
        # About 1 MB/s: the 6.6 MB take some 7 s, never a pause of 1 s.
        time.sleep(max(0.0, min(0.5, len(got) / 1e6 - (time.monotonic() - t0))))
    sock.close()
    took = time.monotonic() - t0
    assert got.endswith(b"\r\n0\r\n\r\n"), got[-100:]  # the last chunk: whole
    assert took > 5, f"the download took only {took:.1f} s: slow the reader down"

    sock = start()
    got = sock.recv(32768)
    time.sleep(8)
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        got += data
    sock.close()
    assert got.startswith(b"HTTP/1.1 200") and not got.endswith(b"\r\n0\r\n\r\n")
    api.daemon.wait_for_log("msg=\"export cut short\"")


def test_shutdown_during_exports(api, cluster, dbname):
    """SIGTERM while two exports stream (one stalled, one reading): qpayd
    cuts them and exits 0, with nothing leaked (LeakSanitizer)."""
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        inv = insert_invoice(cur, status="paid")
        insert_refunds(cur, inv, 20000, reference=REF)
    socks = []
    for _ in range(2):
        sock = socket.create_connection(("127.0.0.1", api.port))
        sock.sendall(f"GET /v1/stores/main/refunds.csv HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {ADMIN}\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        socks.append(sock)
    assert api.daemon.stop() == 0
    for sock in socks:
        sock.settimeout(10)
        try:
            while sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        sock.close()
    assert "export cut short" in api.daemon.text()
