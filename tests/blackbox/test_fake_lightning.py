"""Tests of the phoenixd and barkd fakes (tests/fakes/): each fake runs as a
subprocess on a free port with its own ledger, and is checked against the
interface of docs/BACKENDS.md: auth, paths, bodies, error texts, payments
that happen exactly once, and every injected fault."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlencode

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.join(HERE, "..", "fakes")
sys.path.insert(0, HERE)
sys.path.insert(0, FAKES)
import fakeutil  # noqa: E402
import lnutil  # noqa: E402

PYTHON = "/usr/bin/python3"
FULL, LIMITED, SECRET, TOKEN = "full-pw-1", "limited-pw-2", "3f1c0e5a", "bark-token-3"
UNAUTHORIZED = b"Invalid authentication (use basic auth with the http password set in phoenix.conf)"
PAYOUT_ENDPOINTS = ("payinvoice", "payoffer", "paylnaddress", "lnurlpay", "lnurlauth",
                    "sendtoaddress", "bumpfee", "closechannel")


class Fake:
    """One fake daemon as a subprocess; reads `listening 127.0.0.1:PORT`."""

    def __init__(self, tmp_path, kind, *args):
        self.ledger = str(tmp_path / f"{kind}-ledger.jsonl")
        self.logpath = str(tmp_path / f"{kind}.log")
        argv = [PYTHON, os.path.join(FAKES, f"{kind}.py"), "--port", "0",
                "--ledger", self.ledger, "--log", self.logpath] + list(args)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        r, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if r else ""
        assert line.startswith("listening 127.0.0.1:"), f"{kind} did not start: {line!r}"
        self.port = int(line.strip().rsplit(":", 1)[1])

    def request(self, method, path, body=None, headers=None, timeout=5):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.msg, resp.read()
        finally:
            conn.close()

    def control(self, name, obj=None, method="POST", expect=200):
        status, _, body = self.request(method, "/_fake/" + name,
                                       json.dumps(obj or {}) if method == "POST" else None,
                                       {"Content-Type": "application/json"})
        assert status == expect, body
        return json.loads(body)

    def ledger_lines(self):
        """Read the file itself: what was written before any answer."""
        with open(self.ledger) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class Phoenix(Fake):
    def __init__(self, tmp_path, *args):
        super().__init__(tmp_path, "phoenixd", "--password", FULL, "--limited-password",
                         LIMITED, "--webhook-secret", SECRET, *args)

    @staticmethod
    def auth(pw, user=""):
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}

    def get(self, path, pw=FULL, **kw):
        return self.request("GET", path, headers=self.auth(pw) if pw else {}, **kw)

    def post(self, path, params, pw=FULL, **kw):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if pw:
            h.update(self.auth(pw))
        return self.request("POST", path, urlencode(params), h, **kw)

    def post_json(self, path, params, pw=FULL, **kw):
        status, _, body = self.post(path, params, pw, **kw)
        assert status == 200, body
        return json.loads(body)

    def get_json(self, path, pw=FULL, expect=200):
        status, _, body = self.get(path, pw)
        assert status == expect, body
        return json.loads(body)


class Bark(Fake):
    def __init__(self, tmp_path, *args):
        super().__init__(tmp_path, "barkd", "--token", TOKEN, *args)

    def call(self, method, path, obj=None, token=TOKEN, **kw):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        status, _, body = self.request(method, path, json.dumps(obj) if obj is not None else None,
                                       h, **kw)
        return status, json.loads(body) if body else None

    def pay(self, obj, expect=200, **kw):
        status, body = self.call("POST", "/api/v1/lightning/pay", obj, **kw)
        assert status == expect, body
        return body

    def send(self, ident):
        status, body = self.call("GET", "/api/v1/lightning/sends/" + quote(ident))
        assert status == 200, body
        return body


@pytest.fixture
def phoenix(tmp_path):
    f = Phoenix(tmp_path)
    yield f
    f.stop()


@pytest.fixture
def bark(tmp_path):
    f = Bark(tmp_path)
    yield f
    f.stop()


def sha256_hex(h):
    return hashlib.sha256(bytes.fromhex(h)).hexdigest()


def pays(fake):
    return [e for e in fake.ledger_lines() if e["kind"] != "settle"]


# ---------------------------------------------------------------- shared pieces


def test_webhook_signature_test_vector():
    body = b'{"type":"payment_received","timestamp":1712150400000,"amountSat":1000,"paymentHash":"00"}'
    assert fakeutil.webhook_signature("3f1c0e5a", body) == \
        "748e4c4f2ebc5ee19e5a95a8099747d18b08ffe905a185cf8615cab1bbbe0a8f"
    # keyed with the secret's bytes as written, not hex-decoded
    assert fakeutil.webhook_signature("3f1c0e5a", body) != \
        hmac.new(bytes.fromhex("3f1c0e5a"), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("network,msat", [("regtest", 1_234_000), ("mainnet", None),
                                          ("testnet", 10), ("signet", 2_500_000_000)])
def test_bolt11_decode_roundtrip(network, msat):
    inv, h, _ = lnutil.make_bolt11(network, msat, expiry=600)
    d = fakeutil.bolt11_decode(inv)
    assert (d["network"], d["amount_msat"], d["payment_hash"], d["expiry"]) == \
        (network, msat, h, 600)
    assert fakeutil.bolt11_decode(inv[:-1] + ("q" if inv[-1] != "q" else "p")) is None


def test_offer_roundtrip():
    o = fakeutil.make_offer("regtest", 5_000_000)
    d = fakeutil.offer_decode(o)
    assert d["amount_msat"] == 5_000_000 and d["chains"] == [fakeutil.CHAIN_HASHES["regtest"]]
    assert fakeutil.offer_decode("lno1zcss9mk8y3wkklfvevcrszlmu23kfrxh49px20665dqwmn4p72pksese")
    assert fakeutil.offer_decode("lno1") is None and fakeutil.offer_decode("lnbc1xyz") is None


def test_fault_control_validation(phoenix, bark):
    phoenix.control("fault", {"endpoint": "payinvoice", "fault": "explode"}, expect=400)
    phoenix.control("fault", {"endpoint": "nowhere", "fault": "http_500"}, expect=400)
    phoenix.control("fault", {"endpoint": "getinfo", "fault": "reject"}, expect=400)
    bark.control("fault", {"endpoint": "pay", "fault": "delay:x"}, expect=400)
    phoenix.control("fault", {"endpoint": "payinvoice", "fault": "reject", "count": 2})
    assert phoenix.control("faults", method="GET") == {"payinvoice": ["reject", "reject"]}
    phoenix.control("reset-faults")
    assert phoenix.control("faults", method="GET") == {}


# ---------------------------------------------------------------- phoenixd


def test_phoenixd_auth(phoenix):
    inv = phoenix.control("invoice", {"amount_sat": 10})["invoice"]
    status, hdrs, body = phoenix.get("/getinfo", pw=None)
    assert (status, body) == (401, UNAUTHORIZED)
    assert hdrs["Content-Type"].startswith("text/plain")
    assert phoenix.get("/getinfo", pw="wrong")[:3:2] == (401, UNAUTHORIZED)
    assert phoenix.get("/getinfo")[0] == 200                      # ":" + full password
    assert phoenix.get("/getinfo", pw=LIMITED)[0] == 200
    assert phoenix.post("/createinvoice", {"description": "x"}, pw=LIMITED)[0] == 200
    zero = "0" * 64
    assert phoenix.get(f"/payments/outgoingbyhash/{zero}", pw=LIMITED)[::2] == (404, b"Not found")
    for ep in PAYOUT_ENDPOINTS:
        status, _, body = phoenix.post("/" + ep, {"invoice": inv}, pw=LIMITED)
        assert (ep, status, body) == (ep, 401, UNAUTHORIZED)
    assert phoenix.post("/payinvoice", {"invoice": inv}, pw="wrong")[::2] == (401, UNAUTHORIZED)
    assert phoenix.ledger_lines() == []
    # "Basic" is case-insensitive; a password-less credential is refused
    h = {"Authorization": "basic " + base64.b64encode(f":{FULL}".encode()).decode()}
    assert phoenix.request("GET", "/getbalance", headers=h)[0] == 200
    h = {"Authorization": "Basic " + base64.b64encode(FULL.encode()).decode()}
    assert phoenix.request("GET", "/getbalance", headers=h)[0] == 401


def test_phoenixd_pay_bolt11_exactly_once(phoenix):
    before = phoenix.get_json("/getbalance")
    assert before == {"balanceSat": 1_000_000, "feeCreditSat": 0}
    made = phoenix.control("invoice", {"amount_sat": 1234})
    status, hdrs, raw = phoenix.post("/payinvoice", {"invoice": made["invoice"]})
    assert status == 200 and hdrs["Content-Type"].startswith("application/json")
    assert raw.startswith(b'{\n    "recipientAmountSat": 1234,\n')   # kotlinx prettyPrint
    sent = json.loads(raw)
    assert list(sent) == ["recipientAmountSat", "routingFeeSat", "paymentId", "paymentHash",
                          "paymentPreimage"]
    assert sent["paymentHash"] == made["payment_hash"]
    assert sha256_hex(sent["paymentPreimage"]) == sent["paymentHash"]
    assert fakeutil.is_uuid(sent["paymentId"])
    fee_msat = 4000 + 1_234_000 * 4000 // 1_000_000            # the default fee schedule
    assert sent["routingFeeSat"] == fee_msat // 1000 == 8

    [entry] = phoenix.ledger_lines()
    assert entry["kind"] == "payinvoice" and entry["request"] == {"invoice": made["invoice"]}
    assert (entry["payment_hash"], entry["preimage"], entry["amount_sat"], entry["fee_msat"]) == \
        (made["payment_hash"], made["preimage"], 1234, fee_msat)

    again = phoenix.post_json("/payinvoice", {"invoice": made["invoice"]})
    assert again == {"paymentHash": made["payment_hash"],
                     "reason": "this invoice has already been paid"}
    assert len(phoenix.ledger_lines()) == 1
    after = phoenix.get_json("/getbalance")["balanceSat"]
    assert after == (1_000_000_000 - 1_234_000 - fee_msat) // 1000

    # lookups by hash and by id; fees in millisatoshis; null fields left out
    for path in (f"/payments/outgoingbyhash/{made['payment_hash']}",
                 f"/payments/outgoing/{sent['paymentId']}"):
        status, _, raw = phoenix.get(path, pw=LIMITED)
        assert status == 200 and b"null" not in raw and b"txId" not in raw
        out = json.loads(raw)
        assert out["type"] == "outgoing_payment" and out["subType"] == "lightning"
        assert (out["paymentId"], out["paymentHash"], out["preimage"], out["isPaid"]) == \
            (sent["paymentId"], made["payment_hash"], made["preimage"], True)
        assert out["fees"] == fee_msat and out["sent"] == (1_234_000 + fee_msat) // 1000
        assert out["invoice"] == made["invoice"] and out["completedAt"] >= out["createdAt"]


def test_phoenixd_unknown_preimage_fails_then_registered_pays(phoenix):
    inv, h, pre = lnutil.make_bolt11("regtest", 50_000)
    failed = phoenix.post_json("/payinvoice", {"invoice": inv})
    assert failed["paymentHash"] == h and "paymentPreimage" not in failed and failed["reason"]
    assert phoenix.ledger_lines() == []
    out = phoenix.get_json(f"/payments/outgoingbyhash/{h}")
    assert out["isPaid"] is False and "preimage" not in out and "completedAt" in out
    assert phoenix.control("preimage", {"preimage": pre})["payment_hash"] == h
    sent = phoenix.post_json("/payinvoice", {"invoice": inv})
    assert sent["paymentPreimage"] == pre
    out = phoenix.get_json(f"/payments/outgoingbyhash/{h}")   # succeeded beats failed
    assert out["isPaid"] is True and out["preimage"] == pre
    assert [e["payment_hash"] for e in phoenix.ledger_lines()] == [h]


def test_phoenixd_amountless_invoice_needs_amount(phoenix):
    made = phoenix.control("invoice", {})
    status, _, body = phoenix.post("/payinvoice", {"invoice": made["invoice"]})
    assert (status, body) == (400, b"Request parameter amountSat is missing")
    assert phoenix.ledger_lines() == []
    sent = phoenix.post_json("/payinvoice", {"invoice": made["invoice"], "amountSat": 500})
    assert sent["recipientAmountSat"] == 500
    assert [e["amount_sat"] for e in phoenix.ledger_lines()] == [500]


def test_phoenixd_error_bodies(phoenix):
    cases = [
        (phoenix.post("/payinvoice", {}), 400, b"Request parameter invoice is missing"),
        (phoenix.post("/payinvoice", {"invoice": "lnbc1nonsense"}), 400,
         b"Request parameter invoice couldn't be parsed/converted to bolt11invoice"),
        (phoenix.post("/payinvoice", {"invoice": "x", "amountSat": "12a"}), 400,
         b"Request parameter amountSat couldn't be parsed/converted to integer"),
        (phoenix.post("/payoffer", {"offer": "lno1!!"}), 400,
         b"Request parameter offer couldn't be parsed/converted to offer"),
        (phoenix.post("/paylnaddress", {"address": "nobody", "amountSat": 5}), 400,
         b"Request parameter address couldn't be parsed/converted to username@domain"),
        (phoenix.get("/payments/outgoingbyhash/abc"), 400,
         b"Request parameter paymentHash couldn't be parsed/converted to hex32"),
        (phoenix.get("/payments/outgoing/not-a-uuid"), 400,
         b"Request parameter uuid couldn't be parsed/converted to uuid"),
        (phoenix.get("/payments/outgoing/0b7e1c3a-1111-4222-8333-444455556666"), 404,
         b"Not found"),
        (phoenix.get("/payments/incoming/" + "ab" * 32), 404, b"Not found"),
        (phoenix.get("/payments/outgoing?limit=ten"), 400,
         b"Request parameter limit couldn't be parsed/converted to integer"),
        (phoenix.get("/nosuchthing"), 404, b"Unknown endpoint (check api doc)"),
        (phoenix.get("/nosuchthing", pw=None), 404, b"Unknown endpoint (check api doc)"),
        (phoenix.get("/payinvoice"), 405, b"Invalid http method (use the correct GET/POST)"),
        (phoenix.post("/getinfo", {}), 405, b"Invalid http method (use the correct GET/POST)"),
        (phoenix.post("/createinvoice", {"description": "a", "descriptionHash": "00" * 32}),
         400, b"Must provide either a description or descriptionHash"),
        (phoenix.post("/createinvoice", {"description": "d" * 129}), 400,
         b"Request parameter description is too long (max 128 characters)"),
    ]
    for (status, hdrs, body), want_status, want_body in cases:
        assert (status, body) == (want_status, want_body)
        assert hdrs["Content-Type"] == "text/plain; charset=UTF-8"
    status, _, body = phoenix.request("POST", "/payinvoice", json.dumps({"invoice": "x"}),
                                      {**Phoenix.auth(FULL), "Content-Type": "application/json"})
    assert status == 415
    status, hdrs, body = phoenix.post("/createoffer", {"description": "tip", "amountSat": 5})
    assert status == 200 and hdrs["Content-Type"].startswith("text/plain")
    assert fakeutil.offer_decode(body.decode())["amount_msat"] == 5000
    # POST parameters are read from the form body only, never the query string
    inv = phoenix.control("invoice", {"amount_sat": 1})["invoice"]
    status, _, body = phoenix.request("POST", "/payinvoice?" + urlencode({"invoice": inv}), "",
                                      {**Phoenix.auth(FULL), "Content-Type":
                                       "application/x-www-form-urlencoded"})
    assert (status, body) == (400, b"Request parameter invoice is missing")
    assert phoenix.ledger_lines() == []


def test_phoenixd_offers_and_addresses(phoenix):
    offer = fakeutil.make_offer("regtest", 2_000_000)
    a = phoenix.post_json("/payoffer", {"offer": offer, "message": "refund"})
    b = phoenix.post_json("/payoffer", {"offer": offer})
    assert a["recipientAmountSat"] == b["recipientAmountSat"] == 2000
    assert a["paymentHash"] != b["paymentHash"]                       # a fresh invoice each
    for s in (a, b):
        assert sha256_hex(s["paymentPreimage"]) == s["paymentHash"]
    status, _, body = phoenix.post("/payoffer", {"offer": fakeutil.make_offer("regtest")})
    assert (status, body) == (400, b"Request parameter amountSat is missing")
    wrong_chain = phoenix.post_json("/payoffer", {"offer": fakeutil.make_offer("mainnet", 1000)})
    assert set(wrong_chain) == {"offerId", "reason"}

    status, _, body = phoenix.post("/paylnaddress", {"address": "alice@example.com"})
    assert (status, body) == (400, b"Request parameter amountSat is missing")
    c = phoenix.post_json("/paylnaddress", {"address": "alice@example.com", "amountSat": 321,
                                            "message": "hi"})
    assert c["recipientAmountSat"] == 321 and sha256_hex(c["paymentPreimage"]) == c["paymentHash"]
    status, _, body = phoenix.post("/paylnaddress", {"address": "bob@nowhere.invalid",
                                                     "amountSat": 5})
    assert status == 500 and body.startswith(b"cannot resolve address: ")
    led = phoenix.ledger_lines()
    assert [e["kind"] for e in led] == ["payoffer", "payoffer", "paylnaddress"]
    assert [e["payment_hash"] for e in led] == [a["paymentHash"], b["paymentHash"],
                                                c["paymentHash"]]
    assert led[2]["request"] == {"address": "alice@example.com", "amountSat": "321",
                                 "message": "hi"}
    # reconcile by listing: default lists succeeded payments only, newest first
    listed = phoenix.get_json("/payments/outgoing?from=0&limit=2", pw=LIMITED)
    assert [o["paymentHash"] for o in listed] == [c["paymentHash"], b["paymentHash"]]
    assert "invoice" not in listed[1]               # offers pay a BOLT12 invoice: no bolt11


@pytest.mark.parametrize("fault,reason", [
    ("reject", "the recipient was offline or did not have enough liquidity to receive the payment"),
    ("insufficient_funds", "not enough funds in wallet to afford payment"),
    ("http_500", None),
    ("balance", "not enough funds in wallet to afford payment"),
])
def test_phoenixd_definite_failures(phoenix, fault, reason):
    made = phoenix.control("invoice", {"amount_sat": 2000})
    if fault == "balance":
        phoenix.control("balance", {"sat": 2000})                  # amount + fee > balance
    else:
        phoenix.control("fault", {"endpoint": "payinvoice", "fault": fault})
    status, _, body = phoenix.post("/payinvoice", {"invoice": made["invoice"]})
    if reason is None:
        assert status == 500
    else:
        assert status == 200 and json.loads(body) == {"paymentHash": made["payment_hash"],
                                                      "reason": reason}
    assert phoenix.ledger_lines() == []
    # the fault was used up: the next try pays, once
    if fault == "balance":
        phoenix.control("balance", {"sat": 100_000})
    sent = phoenix.post_json("/payinvoice", {"invoice": made["invoice"]})
    assert sent["paymentPreimage"] == made["preimage"]
    assert len(phoenix.ledger_lines()) == 1


def test_phoenixd_offer_reject_answers_offer_id(phoenix):
    offer = fakeutil.make_offer("regtest", 1_000_000)
    phoenix.control("fault", {"endpoint": "payoffer", "fault": "reject"})
    failed = phoenix.post_json("/payoffer", {"offer": offer})
    assert failed["offerId"] == fakeutil.offer_decode(offer)["offer_id"]
    assert set(failed) == {"offerId", "reason"} and phoenix.ledger_lines() == []


def test_phoenixd_delay_pays_after_client_timeout(phoenix):
    made = phoenix.control("invoice", {"amount_sat": 700})
    phoenix.control("fault", {"endpoint": "payinvoice", "fault": "delay:1.0"})
    with pytest.raises((TimeoutError, socket.timeout)):
        phoenix.post("/payinvoice", {"invoice": made["invoice"]}, timeout=0.3)
    pending = phoenix.get_json(f"/payments/outgoingbyhash/{made['payment_hash']}")
    assert pending["isPaid"] is False and "completedAt" not in pending
    retry = phoenix.post_json("/payinvoice", {"invoice": made["invoice"]})
    assert retry["reason"] == "another payment is in progress for that invoice"
    deadline = time.time() + 5
    while not phoenix.ledger_lines() and time.time() < deadline:
        time.sleep(0.05)
    assert [e["payment_hash"] for e in phoenix.ledger_lines()] == [made["payment_hash"]]
    done = phoenix.get_json(f"/payments/outgoingbyhash/{made['payment_hash']}")
    assert done["isPaid"] is True and done["preimage"] == made["preimage"]


def test_phoenixd_hang_pays_nothing(phoenix):
    made = phoenix.control("invoice", {"amount_sat": 700})
    phoenix.control("fault", {"endpoint": "payinvoice", "fault": "hang"})
    t0 = time.time()
    with pytest.raises((TimeoutError, socket.timeout)):
        phoenix.post("/payinvoice", {"invoice": made["invoice"]}, timeout=0.5)
    assert time.time() - t0 < 3
    assert phoenix.ledger_lines() == []
    assert phoenix.get(f"/payments/outgoingbyhash/{made['payment_hash']}")[0] == 404
    assert phoenix.post_json("/payinvoice", {"invoice": made["invoice"]})["paymentPreimage"]


def test_phoenixd_pay_then_drop(phoenix):
    made = phoenix.control("invoice", {"amount_sat": 900})
    phoenix.control("fault", {"endpoint": "payinvoice", "fault": "pay_then_drop"})
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        phoenix.post("/payinvoice", {"invoice": made["invoice"]})
    [entry] = phoenix.ledger_lines()
    assert entry["payment_hash"] == made["payment_hash"]
    out = phoenix.get_json(f"/payments/outgoingbyhash/{made['payment_hash']}")
    assert out["isPaid"] is True
    again = phoenix.post_json("/payinvoice", {"invoice": made["invoice"]})
    assert again["reason"] == "this invoice has already been paid"
    assert len(phoenix.ledger_lines()) == 1


def test_phoenixd_lookup_faults(phoenix):
    phoenix.control("fault", {"endpoint": "getbalance", "fault": "http_500"})
    assert phoenix.get("/getbalance")[0] == 500
    assert phoenix.get("/getbalance")[0] == 200
    phoenix.control("fault", {"endpoint": "payments/outgoingbyhash/{paymentHash}",
                              "fault": "pay_then_drop"})
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        phoenix.get("/payments/outgoingbyhash/" + "00" * 32)


class Catcher(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.got.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


def test_phoenixd_receive_and_webhook(phoenix):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Catcher)
    srv.got = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        hook = f"http://127.0.0.1:{srv.server_address[1]}/hook"
        made = phoenix.post_json("/createinvoice", {"description": "order 7", "amountSat": 4200,
                                                    "externalId": "inv-7", "webhookUrl": hook},
                                 pw=LIMITED)
        assert list(made) == ["amountSat", "paymentHash", "serialized"]
        dec = fakeutil.bolt11_decode(made["serialized"])
        assert (dec["payment_hash"], dec["amount_msat"], dec["expiry"]) == \
            (made["paymentHash"], 4_200_000, 3600)
        nohint = phoenix.post_json("/createinvoice", {"descriptionHash": "11" * 32,
                                                      "expirySeconds": 60}, pw=LIMITED)
        assert "amountSat" not in nohint

        inc = phoenix.get_json(f"/payments/incoming/{made['paymentHash']}", pw=LIMITED)
        assert inc["type"] == "incoming_payment" and inc["isPaid"] is False
        assert "completedAt" not in inc and inc["receivedSat"] == 0
        assert (inc["externalId"], inc["requestedSat"], inc["description"]) == \
            ("inv-7", 4200, "order 7")
        assert sha256_hex(inc["preimage"]) == made["paymentHash"]
        assert phoenix.get_json("/payments/incoming?externalId=inv-7", pw=LIMITED) == []
        assert len(phoenix.get_json("/payments/incoming?externalId=inv-7&all=true",
                                    pw=LIMITED)) == 1

        res = phoenix.control("receive", {"paymentHash": made["paymentHash"], "webhook": True})
        assert [w["status"] for w in res["webhooks"]] == [200]
        [(headers, body)] = srv.got
        assert headers["X-Phoenix-Signature"] == \
            hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        event = json.loads(body)
        assert list(event) == ["type", "timestamp", "amountSat", "paymentHash", "externalId",
                               "payerNote", "payerKey"]
        assert (event["type"], event["amountSat"], event["paymentHash"], event["externalId"]) == \
            ("payment_received", 4200, made["paymentHash"], "inv-7")
        inc = phoenix.get_json(f"/payments/incoming/{made['paymentHash']}", pw=LIMITED)
        assert inc["isPaid"] is True and inc["receivedSat"] == 4200 and "completedAt" in inc
        [listed] = phoenix.get_json("/payments/incoming?externalId=inv-7", pw=LIMITED)
        assert listed["paymentHash"] == made["paymentHash"]
        phoenix.control("receive", {"paymentHash": made["paymentHash"]}, expect=409)
        # without "webhook": true nothing is posted
        other = phoenix.post_json("/createinvoice", {"description": "x", "amountSat": 1,
                                                     "webhookUrl": hook}, pw=LIMITED)
        phoenix.control("receive", {"paymentHash": other["paymentHash"]})
        assert len(srv.got) == 1
        assert phoenix.ledger_lines() == []                         # receiving pays nothing
    finally:
        srv.shutdown()
        srv.server_close()


def test_phoenixd_getinfo_and_restart_keeps_paid_hashes(tmp_path):
    ph = Phoenix(tmp_path, "--network", "testnet")
    try:
        info = ph.get_json("/getinfo", pw=LIMITED)
        assert list(info) == ["nodeId", "channels", "chain", "blockHeight", "version"]
        assert info["chain"] == "testnet3" and len(info["nodeId"]) == 66
        made = ph.control("invoice", {"amount_sat": 100})
        assert made["invoice"].startswith("lntb1u")
        ph.post_json("/payinvoice", {"invoice": made["invoice"]})
        regtest = ph.control("invoice", {"amount_sat": 100, "network": "regtest"})
        wrong = ph.post_json("/payinvoice", {"invoice": regtest["invoice"]})
        assert "paymentPreimage" not in wrong
    finally:
        ph.stop()
    ph = Phoenix(tmp_path, "--network", "testnet")                  # same ledger file
    try:
        ph.control("preimage", {"preimage": made["preimage"]})
        again = ph.post_json("/payinvoice", {"invoice": made["invoice"]})
        assert again["reason"] == "this invoice has already been paid"
        assert len(ph.ledger_lines()) == 1
    finally:
        ph.stop()


# ---------------------------------------------------------------- barkd


def test_barkd_auth_ping_and_unknown_path(bark):
    status, hdrs, body = bark.request("GET", "/ping")
    assert (status, body) == (200, b"pong")
    assert bark.call("GET", "/api/v1/wallet/balance", token=None) == \
        (401, {"message": "missing auth token"})
    assert bark.call("GET", "/api/v1/wallet/balance", token="nope") == \
        (401, {"message": "invalid auth token"})
    h = {"Authorization": "Basic " + base64.b64encode(b":" + TOKEN.encode()).decode()}
    status, _, body = bark.request("GET", "/api/v1/wallet/balance", headers=h)
    assert (status, json.loads(body)) == (401, {"message": "missing auth token"})
    status, bal = bark.call("GET", "/api/v1/wallet/balance")
    assert status == 200 and list(bal) == [
        "spendable_sat", "pending_lightning_send_sat", "claimable_lightning_receive_sat",
        "pending_in_round_sat", "pending_board_sat", "pending_exit_sat"]
    status, hdrs, body = bark.request("GET", "/api/v1/nothing")
    assert (status, json.loads(body)) == (404, "path not found: /api/v1/nothing")
    assert hdrs["Content-Type"] == "application/json"
    assert bark.call("GET", "/api/v1/lightning/pay")[0] == 405


def test_barkd_async_pay_settle(bark):
    made = bark.control("invoice", {"amount_sat": 1000})
    inv, h = made["invoice"], made["payment_hash"]
    assert bark.send(h) == {"payment_hash": h, "state": "unknown", "invoice": None,
                            "preimage": None}                       # nulls are emitted
    ok = bark.pay({"destination": inv})
    assert ok == {"message": "Payment initiated successfully", "payment_hash": h}
    [entry] = pays(bark)                                            # recorded at initiation
    assert entry["kind"] == "lightning_pay" and entry["request"] == {"destination": inv}
    assert (entry["payment_hash"], entry["amount_sat"], entry["fee_sat"]) == (h, 1000, 3)

    pending = bark.send(h)
    assert pending == {"payment_hash": h, "state": "payment-initiated", "invoice": inv,
                       "preimage": None}
    assert bark.send(inv) == pending                                # by bolt11 too
    _, bal = bark.call("GET", "/api/v1/wallet/balance")
    assert (bal["spendable_sat"], bal["pending_lightning_send_sat"]) == (1_000_000 - 1003, 1003)
    _, [mv] = bark.call("GET", "/api/v1/history?" + urlencode({"type": "invoice", "value": inv}))
    assert mv["status"] == "pending" and mv["subsystem"] == {"name": "bark.lightning_send",
                                                             "kind": "send"}
    assert mv["metadata"]["payment_hash"] == h and "payment_preimage" not in mv["metadata"]
    assert mv["sent_to"] == [{"destination": {"type": "invoice", "value": inv}, "amount_sat": 1000}]
    assert "completed_at" not in mv["time"]

    status, again = bark.call("POST", "/api/v1/lightning/pay", {"destination": inv})
    assert status == 500 and "message" in again
    bark.control("settle", {"payment_hash": h, "state": "paid"})
    paid = bark.send(h)
    assert (paid["state"], paid["invoice"]) == ("paid", None)
    assert paid["preimage"] == made["preimage"] and sha256_hex(paid["preimage"]) == h
    _, [mv] = bark.call("GET", "/api/v1/history?" + urlencode({"type": "invoice", "value": inv}))
    assert mv["status"] == "successful" and mv["metadata"]["payment_preimage"] == made["preimage"]
    assert mv["effective_balance_sat"] == -1003 and "completed_at" in mv["time"]
    status, again = bark.call("POST", "/api/v1/lightning/pay", {"destination": inv})
    assert status == 500
    assert len(pays(bark)) == 1
    bark.control("settle", {"payment_hash": h, "state": "paid"}, expect=409)


def test_barkd_settle_after_delay(tmp_path):
    b = Bark(tmp_path, "--settle-after", "0.2")
    try:
        made = b.control("invoice", {"amount_sat": 10})
        b.pay({"destination": made["invoice"]})
        assert b.send(made["payment_hash"])["state"] == "payment-initiated"
        deadline = time.time() + 5
        while b.send(made["payment_hash"])["state"] != "paid" and time.time() < deadline:
            time.sleep(0.05)
        assert b.send(made["payment_hash"])["preimage"] == made["preimage"]
        # an invoice whose preimage the fake does not know fails on its own
        inv, h, _ = lnutil.make_bolt11("regtest", 10_000)
        b.pay({"destination": inv})
        time.sleep(0.5)
        assert b.send(h)["state"] == "unknown"
        _, [mv] = b.call("GET", "/api/v1/history?" + urlencode({"type": "invoice",
                                                                "value": inv}))
        assert mv["status"] == "failed"
    finally:
        b.stop()


def test_barkd_failed_send_can_be_retried(bark):
    made = bark.control("invoice", {"amount_sat": 500})
    bark.pay({"destination": made["invoice"]})
    bark.control("settle", {"payment_hash": made["payment_hash"], "state": "failed"})
    assert bark.send(made["payment_hash"])["state"] == "unknown"
    _, bal = bark.call("GET", "/api/v1/wallet/balance")
    assert (bal["spendable_sat"], bal["pending_lightning_send_sat"]) == (1_000_000, 0)
    bark.pay({"destination": made["invoice"]})
    bark.control("settle", {"payment_hash": made["payment_hash"], "state": "paid"})
    assert bark.send(made["payment_hash"])["state"] == "paid"
    _, movements = bark.call("GET", "/api/v1/history")
    assert [m["status"] for m in movements] == ["successful", "failed"]   # newest first
    assert [(e["kind"], e.get("state")) for e in bark.ledger_lines()] == [
        ("lightning_pay", None), ("settle", "failed"), ("lightning_pay", None), ("settle", "paid")]


def test_barkd_destinations_and_bad_bodies(bark):
    inv = bark.control("invoice", {"amount_sat": 5})["invoice"]
    offer = fakeutil.make_offer("regtest", 7000)
    cases = [
        ({"destination": inv, "comment": "hi"}, 400,
         {"message": "comment is not supported for BOLT-11 invoices"}),
        ({"destination": offer, "comment": ""}, 400,
         {"message": "comment is not supported for BOLT-12 offers"}),
        ({"destination": "alice@example.com"}, 400,
         {"message": "amount is required for Lightning addresses"}),
        ({"destination": "not a destination"}, 400,
         {"message": "argument is not a valid BOLT-11 invoice, BOLT-12 offer, "
                     "Lightning address or LNURL"}),
    ]
    for obj, status, body in cases:
        assert bark.call("POST", "/api/v1/lightning/pay", obj) == (status, body)
    assert pays(bark) == []
    status, _, body = bark.request("POST", "/api/v1/lightning/pay", json.dumps({"destination": inv}),
                                   {"Authorization": "Bearer " + TOKEN})
    assert status == 415
    status, _, body = bark.request("POST", "/api/v1/lightning/pay", json.dumps({"amount_sat": 1}),
                                   {"Authorization": "Bearer " + TOKEN,
                                    "Content-Type": "application/json"})
    assert status == 422 and b"missing field `destination`" in body
    status, _, body = bark.request("POST", "/api/v1/lightning/pay", "{oops",
                                   {"Authorization": "Bearer " + TOKEN,
                                    "Content-Type": "application/json"})
    assert status == 400
    assert pays(bark) == []

    a = bark.pay({"destination": offer, "comment": None})
    b = bark.pay({"destination": offer})
    c = bark.pay({"destination": "alice@example.com", "amount_sat": 42, "comment": "thanks"})
    assert len({a["payment_hash"], b["payment_hash"], c["payment_hash"]}) == 3
    led = pays(bark)
    assert [(e["destination_type"], e["amount_sat"]) for e in led] == [
        ("offer", 7), ("offer", 7), ("lightning-address", 42)]
    assert led[2]["request"] == {"destination": "alice@example.com", "amount_sat": 42,
                                 "comment": "thanks"}
    _, mvs = bark.call("GET", "/api/v1/history?" + urlencode(
        {"type": "lightning-address", "value": "alice@example.com"}))
    assert [m["metadata"]["payment_hash"] for m in mvs] == [c["payment_hash"]]


@pytest.mark.parametrize("fault", ["insufficient_funds", "http_500", "balance", "reject"])
def test_barkd_definite_failures(bark, fault):
    made = bark.control("invoice", {"amount_sat": 3000})
    if fault == "balance":
        bark.control("balance", {"sat": 3000})                    # amount + fee > spendable
    else:
        bark.control("fault", {"endpoint": "pay", "fault": fault})
    status, body = bark.call("POST", "/api/v1/lightning/pay", {"destination": made["invoice"]})
    if fault == "reject":
        assert status == 200 and body["payment_hash"] == made["payment_hash"]
        assert bark.send(made["payment_hash"])["state"] == "unknown"
        _, [mv] = bark.call("GET", "/api/v1/history")
        assert mv["status"] == "failed"
    else:
        assert status == 500 and set(body) == {"message"}
        if fault != "http_500":
            assert body["message"].startswith("Insufficient money available")
        assert bark.call("GET", "/api/v1/history") == (200, [])
    assert pays(bark) == []
    if fault == "balance":
        bark.control("balance", {"sat": 100_000})
    bark.pay({"destination": made["invoice"]})
    assert len(pays(bark)) == 1


def test_barkd_pay_then_drop_hang_delay(bark):
    a = bark.control("invoice", {"amount_sat": 100})
    bark.control("fault", {"endpoint": "pay", "fault": "pay_then_drop"})
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        bark.call("POST", "/api/v1/lightning/pay", {"destination": a["invoice"]})
    assert [e["payment_hash"] for e in pays(bark)] == [a["payment_hash"]]
    assert bark.send(a["payment_hash"])["state"] == "payment-initiated"

    b = bark.control("invoice", {"amount_sat": 100})
    bark.control("fault", {"endpoint": "pay", "fault": "hang"})
    with pytest.raises((TimeoutError, socket.timeout)):
        bark.call("POST", "/api/v1/lightning/pay", {"destination": b["invoice"]}, timeout=0.5)
    assert len(pays(bark)) == 1 and bark.send(b["payment_hash"])["state"] == "unknown"

    bark.control("fault", {"endpoint": "pay", "fault": "delay:0.8"})
    with pytest.raises((TimeoutError, socket.timeout)):
        bark.call("POST", "/api/v1/lightning/pay", {"destination": b["invoice"]}, timeout=0.2)
    deadline = time.time() + 5
    while len(pays(bark)) < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert [e["payment_hash"] for e in pays(bark)] == [a["payment_hash"], b["payment_hash"]]
    assert bark.send(b["payment_hash"])["state"] == "payment-initiated"


def test_barkd_fees_and_history_errors(bark):
    status, fee = bark.call("GET", "/api/v1/fees/lightning/pay?amount_sat=10000")
    assert status == 200 and fee == {"gross_amount_sat": 10021, "fee_sat": 21,
                                     "net_amount_sat": 10000, "vtxos_spent": []}
    status, _, body = bark.request("GET", "/api/v1/fees/lightning/pay",
                                   headers={"Authorization": "Bearer " + TOKEN})
    assert status == 400 and b"missing field `amount_sat`" in body
    assert bark.call("GET", "/api/v1/history?type=invoice") == \
        (400, {"message": "`type` and `value` must be supplied together"})
    assert bark.call("GET", "/api/v1/history?type=invoice&value=garbage") == \
        (400, {"message": "invalid payment method"})
    assert bark.call("GET", "/api/v1/lightning/sends/garbage") == \
        (400, {"message": "identifier is not a valid payment hash or invoice"})
    bark.control("fault", {"endpoint": "sends", "fault": "http_500"})
    assert bark.call("GET", "/api/v1/lightning/sends/" + "00" * 32)[0] == 500
