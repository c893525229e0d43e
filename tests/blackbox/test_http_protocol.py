"""qpayd serve speaks HTTP/1.1 (RFC 9112) as a client may rely on: keep-alive,
pipelining, a request split anywhere, HTTP/1.0, Connection: close, HEAD,
Expect: 100-continue, chunked request bodies, malformed requests refused
with a JSON 400 and a close, header limits, Date, exact Content-Length
framing, a half-closed client. Raw sockets against one daemon for the
whole module; a small response reader splits pipelined answers exactly."""
import email.utils
import json
import re
import socket
from datetime import datetime, timezone

import pytest

from conftest import TEST_ENV, Server, assert_no_sanitizer, raw_answer

API = TEST_ENV["QPAYD_API_TOKEN"]
MAX_BODY = 4096  # max_body_bytes of conftest.server_config

# The error code each refusal's JSON body names: one place to adjust.
ERROR_CODES = {
    400: "bad_request",
    413: "payload_too_large",
    417: "expectation_failed",
    431: "request_header_fields_too_large",
    501: "not_implemented",
    505: "http_version_not_supported",
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory, cluster):
    tmp = tmp_path_factory.mktemp("http")
    s = Server(tmp, cluster.url(cluster.new_database()))
    yield s
    s.daemon.stop()
    assert_no_sanitizer(s.daemon.text(), "qpayd")


@pytest.fixture(autouse=True)
def still_up(srv, request):
    """After every test the daemon is alive and a fresh connection is served."""
    yield
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    alive = srv.daemon.proc.poll() is None
    if failed or not alive:
        print(f"\n----- qpayd log (tail) -----\n{srv.daemon.text()[-6000:]}")
    assert alive, "qpayd died"
    assert healthz_status(srv) == 200


class Answer:
    def __init__(self, version, status, reason, headers, body, head):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers  # [(name, value)] in order
        self.body = body
        self.head = head

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name):
        values = self.all(name)
        return values[0] if values else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.head!r} {self.body[:300]!r}>"


class Client:
    """One raw connection; answer() reads exactly one response off it."""

    def __init__(self, port, timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError(f"server closed; unparsed: {self.buf[:300]!r}")
        self.buf += chunk

    def _until(self, sep):
        while sep not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(sep)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _chunked(self):
        body = b""
        while True:
            size_line = self._until(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while self._until(b"\r\n"):  # trailer fields, up to the blank line
                    pass
                return body
            body += self._take(size)
            assert self._take(2) == b"\r\n", "chunk data not followed by CRLF"

    def answer(self, method="GET"):
        self.sock.settimeout(self.timeout)
        head = self._until(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        m = re.fullmatch(rb"(HTTP/1\.[01]) (\d{3}) ?(.*)", lines[0])
        assert m, f"bad status line {lines[0]!r}"
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            assert colon and name == name.strip(), f"bad header line {line!r}"
            headers.append((name.decode(), value.strip().decode("latin-1")))
        status = int(m.group(2))
        a = Answer(m.group(1).decode(), status, m.group(3).decode("latin-1"), headers, b"", head)
        if method == "HEAD" or 100 <= status < 200 or status in (204, 304):
            return a
        te = a.header("Transfer-Encoding")
        cl = a.all("Content-Length")
        if te is not None:
            assert te.lower().split(",")[-1].strip() == "chunked", te
            a.body = self._chunked()
        elif cl:
            assert len(set(cl)) == 1 and cl[0].isdigit(), cl
            a.body = self._take(int(cl[0]))
        else:  # delimited by the close
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            a.body, self.buf = self.buf, b""
        return a

    def arriving(self, timeout):
        """Bytes that arrive within timeout (b"" when none, or at a close)."""
        data, self.buf = self.buf, b""
        return data + raw_answer(self.sock, timeout)

    def closed(self, timeout=2):
        """True when the server closes the connection within timeout (well
        before the idle timeout_seconds = 5), with nothing more sent."""
        assert self.buf == b"", f"unexpected bytes {self.buf[:300]!r}"
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        assert data == b"", f"unexpected bytes {data[:300]!r}"
        return True


def get(path="/healthz", extra=b""):
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n"


def post_invoice(body, extra=b""):
    return (b"POST /v1/stores/main/invoices HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + API.encode() + b"\r\n"
            b"Content-Type: application/json\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def chunked_invoice(chunks, extra=b""):
    """A POST of an invoice whose body is given as raw chunked framing."""
    return (b"POST /v1/stores/main/invoices HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + API.encode() + b"\r\n"
            b"Content-Type: application/json\r\n" + extra +
            b"Transfer-Encoding: chunked\r\n\r\n" + chunks)


def healthz_status(srv):
    with Client(srv.port) as c:
        c.send(get())
        return c.answer().status


def exchange(srv, raw, method="GET"):
    with Client(srv.port) as c:
        c.send(raw)
        return c.answer(method)


def assert_error(a, status, code=None):
    """A refusal: the status, and a JSON body {"error":{"code","message"}}."""
    assert a.status == status, a
    assert (a.header("Content-Type") or "").split(";")[0] == "application/json", a
    err = a.json()["error"]
    assert err["code"] == (code or ERROR_CODES[status]), a
    assert isinstance(err["message"], str) and err["message"], a


def assert_refused_and_closed(srv, raw, status=400):
    with Client(srv.port) as c:
        c.send(raw)
        a = c.answer()
        assert_error(a, status)
        assert c.closed(), "the connection stays open after a malformed request"


# 1. keep-alive


def test_keep_alive_answers_three_requests_in_order(srv):
    with Client(srv.port) as c:
        for path, status in (("/healthz", 200), ("/readyz", 200), ("/healthz", 200)):
            c.send(get(path))
            a = c.answer()
            assert a.status == status, a
            assert a.header("Content-Length") == str(len(a.body)), a
            assert a.json()["status"] in ("ok", "ready"), a


# 2-3. pipelining


def test_pipelined_requests_answered_in_order(srv):
    with Client(srv.port) as c:
        c.send(get() * 3 + get("/nope") + get("/readyz"))
        answers = [c.answer() for _ in range(5)]
        assert [a.status for a in answers[:4]] == [200, 200, 200, 404], answers
        assert answers[4].status in (200, 503), answers[4]
        assert answers[3].json()["error"]["code"] == "not_found"
        ids = [a.header("X-Request-Id") for a in answers]
        assert all(ids) and len(set(ids)) == 5, ids
        assert c.arriving(0.2) == b""  # nothing more than five answers


def test_pipelined_post_body_then_get(srv):
    with Client(srv.port) as c:
        c.send(post_invoice(b'{"amount_sats": 1234}') + get())
        created, health = c.answer(), c.answer()
        assert created.status == 201, created
        assert created.json()["amount_sats"] == 1234
        assert health.status == 200 and health.json()["status"] == "ok", health


# 4. a request split byte by byte


def test_request_sent_one_byte_at_a_time(srv):
    with Client(srv.port) as c:
        for b in get():
            c.send(bytes([b]))
        assert c.answer().status == 200


# 5-6. HTTP/1.0 and Connection: close


def test_http10_without_connection_header_is_closed(srv):
    with Client(srv.port) as c:
        c.send(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
        a = c.answer()
        assert a.version.startswith("HTTP/1.") and a.status == 200, a
        assert c.closed()


def test_http10_keep_alive_keeps_the_connection(srv):
    with Client(srv.port) as c:
        c.send(b"GET /healthz HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        a = c.answer()
        assert a.status == 200, a
        assert (a.header("Connection") or "").lower() == "keep-alive", a
        c.send(b"GET /healthz HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        assert c.answer().status == 200


def test_connection_close_is_honoured(srv):
    with Client(srv.port) as c:
        c.send(get(extra=b"Connection: close\r\n"))
        a = c.answer()
        assert a.status == 200, a
        assert (a.header("Connection") or "").lower() == "close", a
        assert c.closed()


# 7. HEAD


def test_head_on_a_get_route_is_405_without_a_body(srv):
    with Client(srv.port) as c:
        c.send(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        a = c.answer("HEAD")
        assert a.status == 405, a
        assert a.header("Allow") == "GET", a
        assert c.arriving(0.5) == b"", "a body after the head of a HEAD answer"


# 8. Expect: 100-continue


def test_expect_100_continue_before_the_body(srv):
    body = b'{"amount_sats": 777}'
    head, _, _ = post_invoice(body, b"Expect: 100-continue\r\n").partition(b"\r\n\r\n")
    with Client(srv.port) as c:
        c.send(head + b"\r\n\r\n")
        interim = c.answer()
        assert interim.status == 100 and interim.head == b"HTTP/1.1 100 Continue", interim
        c.send(body)
        a = c.answer()
        assert a.status == 201, a
        assert a.json()["amount_sats"] == 777


def test_expect_100_continue_with_too_large_a_body_is_413_at_once(srv):
    with Client(srv.port) as c:
        c.send(b"POST /v1/stores/main/invoices HTTP/1.1\r\nHost: x\r\n"
               b"Authorization: Bearer " + API.encode() + b"\r\n"
               b"Expect: 100-continue\r\nContent-Length: " + str(MAX_BODY + 1).encode() +
               b"\r\n\r\n")
        assert_error(c.answer(), 413)  # the first answer: no 100 Continue before it


def test_unknown_expectation_is_417(srv):
    a = exchange(srv, post_invoice(b'{"amount_sats": 1}', b"Expect: something-else\r\n"))
    assert_error(a, 417)


# 9. chunked request bodies


def test_chunked_body_with_extension_and_trailer(srv):
    body = b'{"amount_sats": 4321, "description": "chunked"}'
    parts = [body[:10], body[10:30], body[30:]]
    framing = (b"%x\r\n%s\r\n" % (len(parts[0]), parts[0]) +
               b"%x;name=value\r\n%s\r\n" % (len(parts[1]), parts[1]) +
               b"%X\r\n%s\r\n" % (len(parts[2]), parts[2]) +
               b"0\r\nX-Trailer: yes\r\n\r\n")
    with Client(srv.port) as c:
        c.send(chunked_invoice(framing) + get())
        a = c.answer()
        assert a.status == 201, a
        inv = a.json()
        assert inv["amount_sats"] == 4321 and inv["description"] == "chunked", inv
        assert c.answer().status == 200  # the pipelined request after the trailer
    st, _, got = srv.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)
    assert st == 200 and got["id"] == inv["id"] and got["amount_sats"] == 4321, got


def test_chunked_body_over_max_body_bytes_is_413(srv):
    chunk = b"x" * 1000
    framing = b"".join(b"3e8\r\n" + chunk + b"\r\n" for _ in range(MAX_BODY // 1000 + 1))
    with Client(srv.port) as c:
        c.send(chunked_invoice(framing + b"0\r\n\r\n"))
        assert_error(c.answer(), 413)


@pytest.mark.parametrize("framing", [
    b"zz\r\n{}\r\n0\r\n\r\n",          # size not hex
    b"2\r\n{}XX0\r\n\r\n",             # chunk data not followed by CRLF
    b"2 2\r\n{}\r\n0\r\n\r\n",         # junk in the size line
    b"-2\r\n{}\r\n0\r\n\r\n",          # a signed size
], ids=["size-not-hex", "no-crlf-after-data", "junk-in-size", "negative-size"])
def test_bad_chunk_framing_is_400(srv, framing):
    assert_refused_and_closed(srv, chunked_invoice(framing))


def test_transfer_coding_other_than_chunked_is_501(srv):
    # RFC 9112 6.1: a transfer coding the server does not understand: 501
    raw = chunked_invoice(b"2\r\n{}\r\n0\r\n\r\n").replace(
        b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip, chunked")
    with Client(srv.port) as c:
        c.send(raw)
        assert_error(c.answer(), 501)
        assert c.closed()  # the body cannot be read past an unknown coding


def test_transfer_encoding_gzip_alone_is_refused(srv):
    # gzip without a final chunked: 501 (unknown coding, RFC 9112 6.1), or
    # 400 (length undeterminable, RFC 9112 6.3); either way then a close.
    raw = chunked_invoice(b"").replace(b"Transfer-Encoding: chunked", b"Transfer-Encoding: gzip")
    with Client(srv.port) as c:
        c.send(raw)
        a = c.answer()
        assert a.status in (400, 501), a
        assert_error(a, a.status)
        assert c.closed()


def test_content_length_with_transfer_encoding_is_400(srv):
    raw = chunked_invoice(b"2\r\n{}\r\n0\r\n\r\n", b"Content-Length: 7\r\n")
    assert_refused_and_closed(srv, raw)


# 10. malformed requests


MALFORMED = {
    "no-version": b"GET /healthz\r\n\r\n",
    "garbage-request-line": b"}{ not a request line\r\nHost: x\r\n\r\n",
    "header-without-colon": b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "space-before-colon": b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n",
    "obs-fold": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    "bare-cr-in-value": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
    "nul-in-request-line": b"GET /heal\x00thz HTTP/1.1\r\nHost: x\r\n\r\n",
    "two-content-lengths": b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                           b"Content-Length: 2\r\n\r\n",
    "asterisk-target": b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
    "content-length-not-digits": b"POST /healthz HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 1x\r\n\r\n",
    # RFC 9112 3.2: an HTTP/1.1 request names exactly one host
    "no-host": b"GET /healthz HTTP/1.1\r\nX-A: a\r\n\r\n",
    "two-hosts": b"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
}


def test_http10_needs_no_host(srv):
    a = exchange(srv, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert a.status == 200, a


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_request_is_400_and_closed(srv, name):
    assert_refused_and_closed(srv, MALFORMED[name])


def test_http2_version_is_505(srv):
    assert_error(exchange(srv, b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"), 505)


# 11-12. request targets


def test_absolute_form_target(srv):
    a = exchange(srv, get(f"http://127.0.0.1:{srv.port}/healthz"))
    assert a.status == 200 and a.json()["status"] == "ok", a


@pytest.mark.parametrize("target", ["/healthz?x=1", "/healthz?x=1&y=%20z", "/healthz?x=1#frag"])
def test_query_and_fragment_are_not_the_path(srv, target):
    a = exchange(srv, get(target))
    assert a.status == 200 and a.json()["status"] == "ok", a


# 13. header limits


def many_headers(n):
    return b"".join(b"X-H-%02d: v\r\n" % i for i in range(n))


def test_sixty_headers_are_served(srv):
    assert exchange(srv, get(extra=many_headers(60))).status == 200


def test_seventy_headers_are_431(srv):
    assert_error(exchange(srv, get(extra=many_headers(70))), 431)
    assert healthz_status(srv) == 200


def test_a_20k_header_is_431(srv):
    # the head is capped at 16 KiB
    assert_error(exchange(srv, get(extra=b"X-Big: " + b"a" * 20480 + b"\r\n")), 431)
    assert healthz_status(srv) == 200


# 14. Date

IMF_FIXDATE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug"
                         r"|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT")


def test_date_header_is_an_imf_fixdate_of_now(srv):
    a = exchange(srv, get())
    date = a.header("Date")
    assert date and IMF_FIXDATE.fullmatch(date), a
    when = email.utils.parsedate_to_datetime(date)
    assert abs((when - datetime.now(timezone.utc)).total_seconds()) < 5, date


# 15. framing of every answer


FRAMED = [
    ("healthz", get()),
    ("readyz", get("/readyz")),
    ("404", get("/nope")),
    ("405", b"DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("401", b"GET /v1/stores/main/invoices HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("201", post_invoice(b'{"amount_sats": 99}')),
    ("400-json", post_invoice(b'{"amount_sats": ')),
    ("413", post_invoice(b"x" * (MAX_BODY + 1))),
    ("400-malformed", MALFORMED["header-without-colon"]),
]


@pytest.mark.parametrize("raw", [r for _, r in FRAMED], ids=[n for n, _ in FRAMED])
def test_content_length_is_the_body_length(srv, raw):
    """Read to the close, so that the body is what was sent, not what the
    Content-Length announced."""
    head, _, rest = raw.partition(b"\r\n")
    with Client(srv.port) as c:
        c.send(head + b"\r\nConnection: close\r\n" + rest)
        data = c.arriving(3)
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, data
    lines = head.split(b"\r\n")
    assert re.fullmatch(rb"HTTP/1\.1 \d{3} .*", lines[0]), lines[0]
    fields = [line.split(b":", 1) for line in lines[1:]]
    names = [n.strip().lower() for n, _ in fields]
    assert b"transfer-encoding" not in names, head
    cl = [v.strip() for n, v in fields if n.strip().lower() == b"content-length"]
    assert cl == [str(len(body)).encode()], (head, body[:200])


def test_csv_export_is_chunked(srv):
    with Client(srv.port) as c:
        c.send(get("/v1/stores/main/invoices.csv",
                   b"Authorization: Bearer " + API.encode() + b"\r\n"))
        a = c.answer()
        assert a.status == 200, a
        assert a.header("Transfer-Encoding") == "chunked" and a.header("Content-Length") is None
        assert a.header("Content-Type").startswith("text/csv"), a
        assert a.body.startswith(b"id,status,"), a.body[:200]
        # the last chunk ended the answer: nothing after it, then a close
        # (exports close) or the next request served
        if (a.header("Connection") or "").lower() == "close":
            assert c.closed()
        else:
            c.send(get())
            assert c.answer().status == 200


# 16. repeated Idempotency-Key


def test_two_idempotency_keys_are_400(srv):
    a = exchange(srv, post_invoice(b'{"amount_sats": 5}',
                                   b"Idempotency-Key: k1\r\nIdempotency-Key: k2\r\n"))
    assert_error(a, 400, "invalid_idempotency_key")


# 17. a half-closed client


def test_half_closed_client_still_gets_its_answer(srv):
    with Client(srv.port) as c:
        c.send(get())
        c.sock.shutdown(socket.SHUT_WR)
        a = c.answer()
        assert a.status == 200 and a.json()["status"] == "ok", a
        assert c.closed()
