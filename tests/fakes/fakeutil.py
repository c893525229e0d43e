"""Shared pieces of the phoenixd and barkd fakes: the payment ledger, fault
injection, a threading HTTP server with a control API under /_fake/, and the
decoders the fakes need (bech32, bolt11, BOLT12 offers, LNURL, Lightning
addresses). Standard library only; bolt11 invoices are made by
tests/blackbox/lnutil.py, which this module imports rather than copies."""
import email.parser
import hashlib
import hmac
import http.client
import json
import os
import re
import select
import socket
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "blackbox"))
import lnutil  # noqa: E402

NETWORKS = ("mainnet", "testnet", "signet", "regtest")

# ---------------------------------------------------------------- bech32


def bech32_decode(s):
    """(hrp, data words without checksum, "bech32"|"bech32m") or None. No
    length limit: bolt11 invoices and LNURLs are longer than 90 characters."""
    return lnutil.bech32_decode(s)


def words_to_bytes(words):
    """5-bit words to bytes; None when the padding is not zero or too long."""
    acc = bits = 0
    out = bytearray()
    for w in words:
        acc = (acc << 5) | w
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc & ((1 << bits) - 1)):
        return None
    return bytes(out)


def _words_int(words):
    v = 0
    for w in words:
        v = (v << 5) | w
    return v


# ---------------------------------------------------------------- bolt11

BOLT11_PREFIXES = (("lnbcrt", "regtest"), ("lntbs", "signet"), ("lntb", "testnet"),
                   ("lnbc", "mainnet"))
_MULT_MSAT_X10 = {"m": 10**9, "u": 10**6, "n": 10**3, "p": 1}  # in tenths of msat


def bolt11_decode(s):
    """Decodes what qpayd and the fakes need from a bolt11 invoice: network,
    amount (msat or None), payment hash, timestamp, expiry, description.
    Returns None when the string is not a well-formed invoice. The signature
    is not verified (lnutil invoices carry a plausible one only)."""
    if not isinstance(s, str):
        return None
    s = s.strip()
    dec = bech32_decode(s)
    if dec is None or dec[2] != "bech32":
        return None
    hrp, data, _ = dec
    for prefix, net in BOLT11_PREFIXES:
        if hrp.startswith(prefix):
            break
    else:
        return None
    amount = hrp[len(prefix):]
    amount_msat = None
    if amount:
        m = re.fullmatch(r"([1-9][0-9]*|0)([munp]?)", amount)
        if not m:
            return None
        digits, mult = int(m.group(1)), m.group(2)
        if not mult:
            amount_msat = digits * 10**11
        else:
            tenths = digits * _MULT_MSAT_X10[mult]
            if tenths % 10:
                return None
            amount_msat = tenths // 10
    if len(data) < 7 + 104:
        return None
    fields, pos, end = {}, 7, len(data) - 104
    while pos < end:
        if pos + 3 > end:
            return None
        tag = lnutil.CHARSET[data[pos]]
        n = data[pos + 1] * 32 + data[pos + 2]
        body = data[pos + 3:pos + 3 + n]
        if len(body) != n:
            return None
        fields.setdefault(tag, body)
        pos += 3 + n
    out = {"network": net, "amount_msat": amount_msat, "timestamp": _words_int(data[:7]),
           "expiry": 3600, "description": None, "payment_hash": None, "invoice": s.lower()}
    if "p" in fields and len(fields["p"]) == 52:
        h = words_to_bytes(fields["p"])
        if h is not None and len(h) == 32:
            out["payment_hash"] = h.hex()
    if out["payment_hash"] is None:
        return None
    if "x" in fields:
        out["expiry"] = _words_int(fields["x"])
    if "d" in fields:
        d = words_to_bytes(fields["d"])
        out["description"] = d.decode("utf-8", "replace") if d is not None else None
    return out


def bolt11_expired(inv, now=None):
    return (now or time.time()) > inv["timestamp"] + inv["expiry"]


# ---------------------------------------------------------------- BOLT12 offers

# Genesis block hashes in internal byte order (offer_chains).
CHAIN_HASHES = {
    "mainnet": "6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000",
    "testnet": "43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000",
    "signet": "f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000",
    "regtest": "06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f",
}


def _bigsize(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "big")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "big")
    return b"\xff" + n.to_bytes(8, "big")


def _read_bigsize(b, i):
    if i >= len(b):
        return None, i
    first = b[i]
    if first < 0xFD:
        return first, i + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    if i + 1 + size > len(b):
        return None, i
    return int.from_bytes(b[i + 1:i + 1 + size], "big"), i + 1 + size


def _tu64(n):
    return n.to_bytes(8, "big").lstrip(b"\x00")


def random_pubkey():
    """A compressed public key whose x is on secp256k1 (what offer parsers check)."""
    while True:
        x = int.from_bytes(os.urandom(32), "big")
        if 0 < x < lnutil.SECP_P and pow((x**3 + 7) % lnutil.SECP_P,
                                         (lnutil.SECP_P - 1) // 2, lnutil.SECP_P) == 1:
            return b"\x02" + x.to_bytes(32, "big")


def make_offer(network="regtest", amount_msat=None, description="qpayd test offer"):
    """A minimal BOLT12 offer: offer_chains (not for mainnet), offer_amount,
    offer_description and offer_issuer_id; bech32 words without checksum."""
    tlv = b""
    if network != "mainnet":
        chain = bytes.fromhex(CHAIN_HASHES[network])
        tlv += _bigsize(2) + _bigsize(32) + chain
    if amount_msat is not None:
        v = _tu64(amount_msat)
        tlv += _bigsize(8) + _bigsize(len(v)) + v
    if description is not None:
        d = description.encode()
        tlv += _bigsize(10) + _bigsize(len(d)) + d
    key = random_pubkey()
    tlv += _bigsize(22) + _bigsize(33) + key
    words = lnutil.convertbits(list(tlv), 8, 5)
    return "lno1" + "".join(lnutil.CHARSET[w] for w in words)


def offer_decode(s):
    """{offer_id, amount_msat, description, chains, network} or None. The
    offer id is sha256 of the TLV stream (the real one is a merkle root)."""
    if not isinstance(s, str):
        return None
    s = re.sub(r"\+\s*", "", s.strip())
    if s.lower() != s and s.upper() != s:
        return None
    s = s.lower()
    if not s.startswith("lno1") or len(s) == 4:
        return None
    words = [lnutil.CHARSET.find(c) for c in s[4:]]
    if -1 in words:
        return None
    raw = words_to_bytes(words)
    if raw is None or not raw:
        return None
    out = {"offer_id": hashlib.sha256(raw).hexdigest(), "amount_msat": None,
           "description": None, "chains": [], "offer": s}
    i, last = 0, -1
    while i < len(raw):
        t, i = _read_bigsize(raw, i)
        if t is None or t <= last:
            return None
        n, i = _read_bigsize(raw, i)
        if n is None or i + n > len(raw):
            return None
        v = raw[i:i + n]
        i += n
        last = t
        if t == 2:
            if n % 32:
                return None
            out["chains"] = [v[k:k + 32].hex() for k in range(0, n, 32)]
        elif t == 8:
            out["amount_msat"] = int.from_bytes(v, "big") if v else 0
        elif t == 10:
            out["description"] = v.decode("utf-8", "replace")
        elif t % 2 == 0 and t not in (4, 6, 12, 14, 16, 18, 20, 22):
            return None
    return out


# ---------------------------------------------------------------- LNURL, addresses

def lnurl_decode(s):
    dec = bech32_decode(s.strip()) if isinstance(s, str) else None
    if dec is None or dec[0] != "lnurl" or dec[2] != "bech32":
        return None
    raw = words_to_bytes(dec[1])
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


_LNADDR = re.compile(r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def lightning_address(s, strip_bitcoin_sign=False):
    """(user, domain) or None."""
    if not isinstance(s, str):
        return None
    s = s.strip()
    if strip_bitcoin_sign and s.startswith("\u20bf"):
        s = s[1:]
    if not _LNADDR.fullmatch(s):
        return None
    user, domain = s.split("@")
    return user.lower(), domain.lower()


# ---------------------------------------------------------------- misc helpers

def webhook_signature(secret, body):
    """phoenixd's X-Phoenix-Signature: hex HMAC-SHA256 over the exact body
    bytes, keyed with the bytes of the secret string as written."""
    if isinstance(body, str):
        body = body.encode()
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def now_ms():
    return int(time.time() * 1000)


def new_preimage():
    p = os.urandom(32)
    return p.hex(), hashlib.sha256(p).hexdigest()


def is_hex32(s):
    return isinstance(s, str) and re.fullmatch(r"[0-9a-fA-F]{64}", s) is not None


def is_uuid(s):
    return isinstance(s, str) and re.fullmatch(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", s) is not None


def new_uuid():
    return str(uuid.uuid4())


def compact_json(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _drop_nulls(obj):
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


def kotlin_json(obj, explicit_nulls=False):
    """kotlinx.serialization with prettyPrint: 4-space indent, "key": value,
    [] and {} when empty; with explicitNulls = false null fields are left out."""
    return json.dumps(obj if explicit_nulls else _drop_nulls(obj), indent=4,
                      ensure_ascii=False)


# ---------------------------------------------------------------- ledger

class Ledger:
    """Append-only JSON lines. Each line is written and flushed to the OS
    before the caller answers, so a payment followed by a dropped connection
    or a killed fake (what tests do) is in the file. Not fsynced: the file
    only has to outlive the fake process, not the machine, and an fsync per
    payment cost more than the rest of the payment."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8")

    def append(self, entry):
        line = compact_json(entry) + "\n"
        with self.lock:
            self.file.write(line)
            self.file.flush()

    def entries(self):
        with self.lock:
            with open(self.path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------- faults

PAY_ONLY_FAULTS = ("reject", "insufficient_funds")
ANY_FAULTS = ("http_500", "hang", "pay_then_drop")


def parse_fault(text):
    """("delay", seconds) | (name, None) | None when unknown."""
    if not isinstance(text, str):
        return None
    if text.startswith("delay:"):
        try:
            secs = float(text[6:])
        except ValueError:
            return None
        return ("delay", secs) if 0 <= secs <= 3600 else None
    if text in PAY_ONLY_FAULTS or text in ANY_FAULTS:
        return (text, None)
    return None


class Faults:
    """Per-endpoint FIFO of faults for the next N calls of that endpoint."""

    def __init__(self, endpoints, pay_endpoints):
        self.endpoints = tuple(endpoints)
        self.pay_endpoints = tuple(pay_endpoints)
        self.queues = {}
        self.lock = threading.Lock()

    def add(self, endpoint, fault, count=1):
        """None on success, else an error message."""
        if endpoint not in self.endpoints:
            return f"unknown endpoint {endpoint!r}; one of {', '.join(self.endpoints)}"
        f = parse_fault(fault)
        if f is None:
            return (f"unknown fault {fault!r}; one of reject, insufficient_funds, http_500, "
                    "delay:<seconds>, hang, pay_then_drop")
        if f[0] in PAY_ONLY_FAULTS and endpoint not in self.pay_endpoints:
            return f"fault {f[0]} applies to payment endpoints only ({', '.join(self.pay_endpoints)})"
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return "count must be a positive integer"
        with self.lock:
            self.queues.setdefault(endpoint, []).extend([f] * count)
        return None

    def take(self, endpoint):
        with self.lock:
            q = self.queues.get(endpoint)
            return q.pop(0) if q else None

    def reset(self):
        with self.lock:
            self.queues.clear()

    def snapshot(self):
        with self.lock:
            return {k: [f"{n}:{a:g}" if n == "delay" else n for n, a in v]
                    for k, v in self.queues.items() if v}


# ---------------------------------------------------------------- latency

class Latency:
    """How long each payment takes before the fake answers (bench/executor's
    latency mode): `seconds` each, and every `slow_every`-th payment
    `slow_seconds` instead. 0 seconds and no slow ones: instant. Counted
    across threads: the fakes serve concurrent requests."""

    def __init__(self, seconds=0.0, slow_every=0, slow_seconds=30.0):
        self.seconds = max(0.0, float(seconds))
        self.slow_every = max(0, int(slow_every))
        self.slow_seconds = max(0.0, float(slow_seconds))
        self.count = 0
        self.lock = threading.Lock()

    def next(self):
        """Seconds the next payment waits."""
        with self.lock:
            self.count += 1
            n = self.count
        if self.slow_every and n % self.slow_every == 0:
            return self.slow_seconds
        return self.seconds


def add_latency_args(ap):
    """--latency, --slow-every, --slow-latency; the environment's
    QPAYD_FAKE_LATENCY, QPAYD_FAKE_SLOW_EVERY, QPAYD_FAKE_SLOW_LATENCY are
    their defaults."""
    env = os.environ.get
    ap.add_argument("--latency", type=float, default=float(env("QPAYD_FAKE_LATENCY", "0")),
                    help="seconds before each payment is made and answered (default 0)")
    ap.add_argument("--slow-every", type=int, default=int(env("QPAYD_FAKE_SLOW_EVERY", "0")),
                    help="every Nth payment takes --slow-latency instead (0: none)")
    ap.add_argument("--slow-latency", type=float,
                    default=float(env("QPAYD_FAKE_SLOW_LATENCY", "30")),
                    help="seconds of a slow payment (default 30)")


def latency_of(args):
    return Latency(args.latency, args.slow_every, args.slow_latency)


# ---------------------------------------------------------------- HTTP plumbing

# "Name: value" with a token name and a printable ASCII value: what the email
# package would read as (name, value with leading blanks dropped).
_HEADER_LINE = re.compile(rb"([!-9;-~]+):[ \t]*([\t -~]*)\r?\n")


class Headers:
    """What the handlers use of the email.message.Message the stdlib makes:
    get() (the first value) and get_all(), with case-insensitive names."""

    __slots__ = ("_values",)

    def __init__(self, values):
        self._values = values  # lowercased name -> [values in request order]

    def get(self, name, failobj=None):
        v = self._values.get(name.lower())
        return v[0] if v else failobj

    def get_all(self, name, failobj=None):
        v = self._values.get(name.lower())
        return list(v) if v else failobj


class FastRequestParsing:
    """BaseHTTPRequestHandler.parse_request of Python 3.11 with a plain
    parser for ordinary header blocks: the email package the stdlib parses
    headers with cost more than a fake's whole payment. The request line
    checks, the 400/505/431 answers, the header limits, keep-alive and
    Expect: 100-continue are the stdlib's. A header block with anything the
    plain parser does not cover (folded lines, bytes outside printable ASCII,
    no final empty line...) still goes through the email package."""

    def parse_request(self):
        self.command = None  # set in case of error on the first line
        self.request_version = version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1")
        requestline = requestline.rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if len(words) == 0:
            return False
        if len(words) >= 3:  # Enough to determine protocol version
            version = words[-1]
            try:
                if not version.startswith("HTTP/"):
                    raise ValueError
                base_version_number = version.split("/", 1)[1]
                version_number = base_version_number.split(".")
                if len(version_number) != 2:
                    raise ValueError
                version_number = int(version_number[0]), int(version_number[1])
            except (ValueError, IndexError):
                self.send_error(HTTPStatus.BAD_REQUEST, "Bad request version (%r)" % version)
                return False
            if version_number >= (1, 1) and self.protocol_version >= "HTTP/1.1":
                self.close_connection = False
            if version_number >= (2, 0):
                self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED,
                                "Invalid HTTP version (%s)" % base_version_number)
                return False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request syntax (%r)" % requestline)
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(HTTPStatus.BAD_REQUEST, "Bad HTTP/0.9 request type (%r)" % command)
                return False
        self.command, self.path = command, path
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # Reduce to a single /
        try:
            self.headers = self._parse_headers()
        except http.client.LineTooLong as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", str(err))
            return False
        except http.client.HTTPException as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers",
                            str(err))
            return False
        conntype = self.headers.get("Connection", "")
        if conntype.lower() == "close":
            self.close_connection = True
        elif conntype.lower() == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        expect = self.headers.get("Expect", "")
        if (expect.lower() == "100-continue" and self.protocol_version >= "HTTP/1.1" and
                self.request_version >= "HTTP/1.1"):
            if not self.handle_expect_100():
                return False
        return True

    def _parse_headers(self):
        # http.client.parse_headers: the same line and count limits
        lines = []
        while True:
            line = self.rfile.readline(65537)
            if len(line) > 65536:
                raise http.client.LineTooLong("header line")
            lines.append(line)
            if len(lines) > 100:
                raise http.client.HTTPException("got more than 100 headers")
            if line in (b"\r\n", b"\n", b""):
                break
        values = {}
        if lines[-1]:
            match = _HEADER_LINE.fullmatch
            for line in lines[:-1]:
                m = match(line)
                if m is None:
                    break
                name, value = m.groups()
                values.setdefault(name.decode().lower(), []).append(value.decode())
            else:
                return Headers(values)
        return email.parser.Parser(_class=self.MessageClass).parsestr(
            b"".join(lines).decode("iso-8859-1"))

    def end_headers_and_write(self, body):
        """end_headers() and the body in one write: a second small write
        would wait for the client's delayed ACK (Nagle), and costs a syscall."""
        if body and self.request_version != "HTTP/0.9":
            self._headers_buffer.append(b"\r\n")
            self._headers_buffer.append(body)
            self.flush_headers()
        else:
            self.end_headers()
            if body:
                self.wfile.write(body)


class Handled(Exception):
    """The response was written (or deliberately not written); stop."""


class FakeState:
    """What both fakes share: ledger, faults, known preimages, network."""

    def __init__(self, ledger_path, network, endpoints, pay_endpoints):
        self.lock = threading.RLock()
        self.ledger = Ledger(ledger_path)
        self.faults = Faults(endpoints, pay_endpoints)
        self.network = network
        self.preimages = {}  # payment hash -> preimage: what a recipient would reveal
        self.calls = []  # [time, client, path] of requests to a /@CLIENT/ URL prefix

    def register_preimage(self, preimage_hex):
        h = hashlib.sha256(bytes.fromhex(preimage_hex)).hexdigest()
        with self.lock:
            self.preimages[h] = preimage_hex.lower()
        return h

    def make_invoice(self, amount_msat=None, expiry=3600, network=None, timestamp=None):
        inv, h, p = lnutil.make_bolt11(network or self.network, amount_msat, expiry,
                                       timestamp=timestamp)
        with self.lock:
            self.preimages[h] = p
        return inv, h, p


class FakeHandler(FastRequestParsing, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake"

    def version_string(self):
        return self.server_version

    # -- plumbing

    def log_message(self, fmt, *args):
        log = self.server.log
        if log is not None:
            log.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
            log.flush()

    def read_body(self):
        if getattr(self, "_body", None) is not None:
            return self._body
        body = b""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n > 0 else b""
        self._body = body
        return body

    def reply(self, status, body=b"", ctype=None, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers_and_write(body if self.command != "HEAD" else b"")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
        raise Handled()

    def reply_json(self, status, obj):
        self.reply(status, compact_json(obj), "application/json")

    def drop(self):
        """Close the socket without writing any response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Handled()

    def hang(self, limit=3600):
        """Answer nothing until the client goes away (or the limit passes)."""
        self.close_connection = True
        deadline = time.time() + limit
        conn = self.connection
        while time.time() < deadline:
            try:
                r, _, _ = select.select([conn], [], [], 0.2)
                if r and conn.recv(1, socket.MSG_PEEK) == b"":
                    break
            except OSError:
                break
        raise Handled()

    def generic_fault(self, fault, text_500):
        """Faults on endpoints that do not pay: http_500, delay, hang and
        pay_then_drop (which here just drops the connection after the work)."""
        if fault is None:
            return None
        kind, arg = fault
        if kind == "http_500":
            text_500()
        if kind == "hang":
            self.hang()
        if kind == "delay":
            time.sleep(arg)
        return fault

    def handle_one_request(self):
        self._body = None
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _dispatch(self):
        self._body = None
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/@"):
            # A client told apart by its URL (http://fake/@NAME): which
            # process called what, when (GET /_fake/calls).
            client, _, rest = path[2:].partition("/")
            path = "/" + rest
            with self.server.fake.lock:
                self.server.fake.calls.append([time.time(), client, path])
        try:
            if path.startswith("/_fake/"):
                self.control(path[len("/_fake/"):], query)
            self.route(self.command, path, query)
        except Handled:
            pass

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

    # -- control API shared by both fakes

    def control_body(self):
        raw = self.read_body()
        if not raw:
            return {}
        try:
            obj = json.loads(raw)
        except ValueError:
            self.reply_json(400, {"error": "body is not JSON"})
        if not isinstance(obj, dict):
            self.reply_json(400, {"error": "body must be a JSON object"})
        return obj

    def control(self, name, query):
        fake = self.server.fake
        m = self.command
        if name == "ledger" and m == "GET":
            self.reply_json(200, fake.ledger.entries())
        if name == "faults" and m == "GET":
            self.reply_json(200, fake.faults.snapshot())
        if name == "calls" and m == "GET":
            with fake.lock:
                self.reply_json(200, list(fake.calls))
        if m != "POST":
            if name in ("fault", "reset-faults", "balance", "preimage", "invoice") or \
                    name in self.extra_controls:
                self.reply_json(405, {"error": "use POST"})
            self.reply_json(404, {"error": f"unknown control /_fake/{name}"})
        body = self.control_body()
        if name == "fault":
            err = fake.faults.add(body.get("endpoint"), body.get("fault"), body.get("count", 1))
            if err:
                self.reply_json(400, {"error": err})
            self.reply_json(200, {"ok": True, "faults": fake.faults.snapshot()})
        if name == "reset-faults":
            fake.faults.reset()
            self.reply_json(200, {"ok": True})
        if name == "preimage":
            p = body.get("preimage")
            if not is_hex32(p):
                self.reply_json(400, {"error": "preimage must be 64 hex characters"})
            self.reply_json(200, {"ok": True, "payment_hash": fake.register_preimage(p)})
        if name == "invoice":
            amount_msat = body.get("amount_msat")
            if body.get("amount_sat") is not None:
                amount_msat = int(body["amount_sat"]) * 1000
            net = body.get("network", fake.network)
            if net not in NETWORKS:
                self.reply_json(400, {"error": f"network must be one of {NETWORKS}"})
            inv, h, p = fake.make_invoice(amount_msat, int(body.get("expiry", 3600)), net)
            self.reply_json(200, {"invoice": inv, "payment_hash": h, "preimage": p})
        if name == "balance":
            sat = body.get("sat")
            if not isinstance(sat, int) or isinstance(sat, bool) or sat < 0:
                self.reply_json(400, {"error": "sat must be a non-negative integer"})
            fake.set_balance(sat)
            self.reply_json(200, {"ok": True})
        if name in self.extra_controls:
            getattr(self, self.extra_controls[name])(body)
        self.reply_json(404, {"error": f"unknown control /_fake/{name}"})

    extra_controls = {}

    def route(self, method, path, query):
        raise NotImplementedError


def first_values(qs):
    return {k: v[0] for k, v in qs.items()}


class Server(ThreadingHTTPServer):
    # Room for an executor's payouts in flight (max_in_flight, up to 256)
    # connecting at once: the default backlog of 5 would drop their SYNs.
    request_queue_size = 256


def serve(handler_cls, fake, host, port, log_path=None):
    """Bind, print `listening HOST:PORT` (flushed), serve until SIGTERM/SIGINT."""
    import signal

    server = Server((host, port), handler_cls)
    server.daemon_threads = True
    server.fake = fake
    if log_path == "-":
        server.log = sys.stderr
    elif log_path:
        server.log = open(log_path, "a", encoding="utf-8")
    else:
        server.log = None
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    h, p = server.server_address[:2]
    print(f"listening {h}:{p}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


def path_unquote(segment):
    return unquote(segment)
