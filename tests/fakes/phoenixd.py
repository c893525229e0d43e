#!/usr/bin/python3
"""A fake phoenixd (ACINQ/phoenixd 0.8.0 HTTP API) for qpayd's tests.

Same paths, methods, form-encoded POST bodies, query parameters, Basic auth
with a full and a limited password, pretty-printed JSON with null fields left
out, text error bodies and status codes as the real daemon (see
docs/BACKENDS.md). Payments are simulated: every successful one is appended to
a JSON-lines ledger before the answer is sent. Control API under /_fake/ (no
auth); see tests/fakes/README.md."""
import argparse
import base64
import binascii
import hashlib
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeutil as fu  # noqa: E402
from fakeutil import Handled  # noqa: E402

UNAUTHORIZED = "Invalid authentication (use basic auth with the http password set in phoenix.conf)"
UNKNOWN = "Unknown endpoint (check api doc)"
BAD_METHOD = "Invalid http method (use the correct GET/POST)"
TEXT = "text/plain; charset=UTF-8"
JSON = "application/json; charset=UTF-8"

# lightning-kmp FinalFailure / part failure texts (free text for clients).
ALREADY_PAID = "this invoice has already been paid"
IN_PROGRESS = "another payment is in progress for that invoice"
BAD_AMOUNT = "payment amount must be positive"
NO_FUNDS = "not enough funds in wallet to afford payment"
UNREACHABLE = "the recipient was offline or did not have enough liquidity to receive the payment"
REJECTED = "RecipientRejectedPayment"
OFFER_NOT_PAID = "NoResponse: the offer issuer did not answer the invoice request"

CHAIN_NAMES = {"mainnet": "mainnet", "testnet": "testnet3", "signet": "signet",
               "regtest": "regtest"}

# route -> (method, needs full password). Every route of Api.kt exists so that
# auth, 404 and 405 answers match; those without an api_* method below (lnurl*,
# sendtoaddress, bumpfee, closechannel, decode*, export, websocket, ...) answer 500.
ROUTES = {
    "getinfo": ("GET", False), "getbalance": ("GET", False),
    "estimateliquidityfees": ("GET", False), "listchannels": ("GET", False),
    "createinvoice": ("POST", False), "createoffer": ("POST", False),
    "getoffer": ("GET", False), "getlnaddress": ("GET", False),
    "getswapinaddress": ("GET", False),
    "payments/incoming": ("GET", False), "payments/incoming/{paymentHash}": ("GET", False),
    "payments/outgoing": ("GET", False), "payments/outgoing/{uuid}": ("GET", False),
    "payments/outgoingbyhash/{paymentHash}": ("GET", False),
    "payinvoice": ("POST", True), "payoffer": ("POST", True), "paylnaddress": ("POST", True),
    "decodeinvoice": ("POST", False), "decodeoffer": ("POST", False),
    "lnurlpay": ("POST", True), "lnurlwithdraw": ("POST", False), "lnurlauth": ("POST", True),
    "sendtoaddress": ("POST", True), "bumpfee": ("POST", True), "closechannel": ("POST", True),
    "export": ("POST", False), "websocket": ("GET", False),
}
# Routes without path parameters: looked up directly (no template matches them).
STATIC_ROUTES = frozenset(name for name in ROUTES if "{" not in name)
# Fault endpoint names: the route names above, path parameters dropped.
FAULT_ENDPOINTS = ("payinvoice", "payoffer", "paylnaddress", "createinvoice", "getinfo",
                   "getbalance", "payments/incoming", "payments/incoming/{paymentHash}",
                   "payments/outgoing", "payments/outgoing/{uuid}",
                   "payments/outgoingbyhash/{paymentHash}")
PAY_ENDPOINTS = ("payinvoice", "payoffer", "paylnaddress")
HANDLERS = {"payments/incoming": "incoming_list", "payments/incoming/{paymentHash}": "incoming_get",
            "payments/outgoing": "outgoing_list", "payments/outgoing/{uuid}": "outgoing_get",
            "payments/outgoingbyhash/{paymentHash}": "outgoingbyhash"}


class ApiError(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status, self.text = status, text


def missing(name):
    return ApiError(400, f"Request parameter {name} is missing")


def invalid(name, typ):
    return ApiError(400, f"Request parameter {name} couldn't be parsed/converted to {typ}")


def bad_request(text):
    return ApiError(400, text)


def opt_long(p, name):
    v = p.get(name)
    if v is None:
        return None
    try:
        if not re.fullmatch(r"[+-]?[0-9]+", v):
            raise ValueError
        n = int(v)
        if not -2**63 <= n < 2**63:
            raise ValueError
        return n
    except ValueError:
        raise invalid(name, "integer")


def req_hex32(p, name):
    v = p.get(name)
    if v is None:
        raise missing(name)
    if not fu.is_hex32(v):
        raise invalid(name, "hex32")
    return v.lower()


class Phoenix(fu.FakeState):
    def __init__(self, args):
        super().__init__(args.ledger, args.network, FAULT_ENDPOINTS, PAY_ENDPOINTS)
        self.full = args.password
        self.limited = args.limited_password
        self.webhook_secret = args.webhook_secret or os.urandom(32).hex()
        self.webhook_urls = list(args.webhook_url or [])
        self.fee_base_msat = args.fee_base_msat
        self.fee_ppm = args.fee_ppm
        self.latency = fu.latency_of(args)
        self.balance_msat = args.balance_sat * 1000
        self.node_id = (b"\x03" + hashlib.sha256(b"fake-phoenixd" + os.urandom(8)).digest()).hex()
        self.channel_id = os.urandom(32).hex()
        self.funding_txid = os.urandom(32).hex()
        self.outgoing = {}  # paymentId -> record
        self.outgoing_by_hash = {}  # paymentHash -> [record]: lookups stay O(1)
        self.incoming = {}  # paymentHash -> record
        self._reload()

    def _reload(self):
        """Rebuild succeeded payments from an existing ledger so that a
        restarted fake still refuses to pay a hash twice."""
        for e in self.ledger.entries():
            if e.get("kind") not in PAY_ENDPOINTS:
                continue
            rec = {"paymentId": e["payment_id"], "paymentHash": e["payment_hash"],
                   "preimage": e["preimage"], "status": "succeeded",
                   "recipient_msat": e["amount_sat"] * 1000, "fees_msat": e["fee_msat"],
                   "invoice": e.get("invoice"), "createdAt": int(e["time"] * 1000),
                   "completedAt": int(e["time"] * 1000)}
            self.add_outgoing(rec)
            self.balance_msat -= rec["recipient_msat"] + rec["fees_msat"]

    def set_balance(self, sat):
        with self.lock:
            self.balance_msat = sat * 1000

    def fee(self, amount_msat, override=None):
        if override is not None:
            base_sat, ppm = override
            return base_sat * 1000 + amount_msat * ppm // 1_000_000
        return self.fee_base_msat + amount_msat * self.fee_ppm // 1_000_000

    def add_outgoing(self, rec):
        self.outgoing[rec["paymentId"]] = rec
        self.outgoing_by_hash.setdefault(rec["paymentHash"], []).append(rec)

    def by_hash(self, h):
        return list(self.outgoing_by_hash.get(h, ()))

    # -- JSON shapes

    @staticmethod
    def outgoing_json(r):
        ok = r["status"] == "succeeded"
        fees = r["fees_msat"] if ok else 0
        return {"type": "outgoing_payment", "subType": "lightning", "paymentId": r["paymentId"],
                "paymentHash": r["paymentHash"], "preimage": r["preimage"] if ok else None,
                "txId": None, "isPaid": ok, "sent": (r["recipient_msat"] + fees) // 1000,
                "fees": fees, "invoice": r["invoice"], "completedAt": r["completedAt"],
                "createdAt": r["createdAt"]}

    @staticmethod
    def incoming_json(r):
        now = fu.now_ms()
        expires = r["createdAt"] + r["expiry"] * 1000
        return {"type": "incoming_payment", "subType": "lightning",
                "paymentHash": r["paymentHash"], "preimage": r["preimage"],
                "externalId": r["externalId"], "description": r["description"],
                "invoice": r["invoice"], "isPaid": r["completedAt"] is not None,
                "isExpired": now > expires, "requestedSat": r["requestedSat"],
                "receivedSat": r["receivedSat"], "fees": r["fees"], "payerNote": r["payerNote"],
                "payerKey": None, "expiresAt": expires, "completedAt": r["completedAt"],
                "createdAt": r["createdAt"]}


class PhoenixHandler(fu.FakeHandler):
    extra_controls = {"receive": "control_receive"}

    # -- answers

    def text(self, status, text, headers=None):
        self.reply(status, text, TEXT, headers)

    def json(self, obj, status=200):
        self.reply(status, fu.kotlin_json(obj), JSON)

    def fail_500(self):
        self.text(500, "fake phoenixd: injected internal error")

    # -- routing

    def match(self, path):
        if path[1:] in STATIC_ROUTES and path[:1] == "/":
            return path[1:], {}
        segs = path.strip("/").split("/") if path.strip("/") else []
        if path != "/" + "/".join(segs):
            return None, {}
        for name in ROUTES:
            tpl = name.split("/")
            if len(tpl) != len(segs):
                continue
            vars_ = {}
            for t, s in zip(tpl, segs):
                if t.startswith("{"):
                    if not s:
                        break
                    vars_[t[1:-1]] = fu.path_unquote(s)
                elif t != s:
                    break
            else:
                return name, vars_
        return None, {}

    def access(self):
        h = self.headers.get("Authorization", "")
        scheme, _, cred = h.strip().partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user_pass = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        if ":" not in user_pass:
            return None
        password = user_pass.split(":", 1)[1]
        fake = self.server.fake
        if password == fake.full:
            return "full"
        if password == fake.limited:
            return "limited"
        return None

    def route(self, method, path, query):
        name, vars_ = self.match(path)
        if name is None:
            self.text(404, UNKNOWN)
        methods, full_only = ROUTES[name]
        if method != methods:
            self.text(405, BAD_METHOD)
        acc = self.access()
        if acc is None or (full_only and acc != "full"):
            self.text(401, UNAUTHORIZED,
                      {"WWW-Authenticate": 'Basic realm="Ktor Server", charset=UTF-8'})
        fn = getattr(self, "api_" + HANDLERS.get(name, name), None)
        try:
            params = self.form() if method == "POST" else fu.first_values(query)
            params.update(vars_)
            if fn is None:
                raise ApiError(500, f"fake phoenixd: {name} is not implemented")
            fn(params)
        except ApiError as e:
            self.text(e.status, e.text)

    def form(self):
        """call.receiveParameters(): the form body only, never the query."""
        body = self.read_body()
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded" or (not body and not ctype):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, "Request body is not valid UTF-8")
            return fu.first_values(parse_qs(text, keep_blank_values=True))
        raise ApiError(415, f"Content type {ctype} is not supported")

    def pre_fault(self, endpoint):
        f = self.server.fake.faults.take(endpoint)
        return self.generic_fault(f, self.fail_500)

    def not_found(self, fault):
        """A lookup miss: 204 inside phoenixd, turned into 404 `Not found`."""
        if fault and fault[0] == "pay_then_drop":
            self.drop()
        self.text(404, "Not found")

    def finish_answer(self, fault, obj):
        if fault and fault[0] == "pay_then_drop":
            self.drop()
        self.json(obj)

    # -- node

    def api_getinfo(self, p):
        fault = self.pre_fault("getinfo")
        fake = self.server.fake
        with fake.lock:
            bal = fake.balance_msat // 1000
        obj = {"nodeId": fake.node_id,
               "channels": [{"state": "Normal", "channelId": fake.channel_id, "balanceSat": bal,
                             "inboundLiquiditySat": 2_000_000, "capacitySat": bal + 2_000_000,
                             "fundingTxId": fake.funding_txid}],
               "chain": CHAIN_NAMES[fake.network], "blockHeight": 800_000, "version": "0.8.0"}
        self.finish_answer(fault, obj)

    def api_getbalance(self, p):
        fault = self.pre_fault("getbalance")
        fake = self.server.fake
        with fake.lock:
            obj = {"balanceSat": max(fake.balance_msat, 0) // 1000, "feeCreditSat": 0}
        self.finish_answer(fault, obj)

    # -- receive side

    def api_createinvoice(self, p):
        amount = opt_long(p, "amountSat")
        desc = p.get("description")
        if desc is not None and len(desc) > 128:
            raise bad_request("Request parameter description is too long (max 128 characters)")
        dh = p.get("descriptionHash")
        if dh is not None and not fu.is_hex32(dh):
            raise invalid("descriptionHash", "hex32")
        if (desc is None) == (dh is None):
            raise bad_request("Must provide either a description or descriptionHash")
        expiry = opt_long(p, "expirySeconds")
        expiry = 3600 if expiry is None else expiry
        if (amount is not None and amount <= 0) or expiry <= 0:
            raise ApiError(500, "requirement failed")
        url = p.get("webhookUrl")
        if url is not None:
            u = urlsplit(url)
            if not u.scheme or not u.netloc:
                raise invalid("webhookUrl", "url")
        fault = self.pre_fault("createinvoice")
        fake = self.server.fake
        inv, h, pre = fake.make_invoice(amount * 1000 if amount is not None else None, expiry)
        with fake.lock:
            fake.incoming[h] = {
                "paymentHash": h, "preimage": pre, "externalId": p.get("externalId"),
                "description": desc, "invoice": inv, "requestedSat": amount, "receivedSat": 0,
                "fees": 0, "payerNote": None, "expiry": expiry, "createdAt": fu.now_ms(),
                "completedAt": None, "webhookUrl": url}
        self.finish_answer(fault, {"amountSat": amount, "paymentHash": h, "serialized": inv})

    def api_createoffer(self, p):
        amount = opt_long(p, "amountSat")
        desc = p.get("description")
        if desc is not None and len(desc) > 128:
            raise bad_request("Request parameter description is too long (max 128 characters)")
        if amount is not None and desc is None:
            raise bad_request("Must provide a description if an amount is specified")
        fake = self.server.fake
        self.text(200, fu.make_offer(fake.network, None if amount is None else amount * 1000,
                                     desc))

    def api_getoffer(self, p):
        fake = self.server.fake
        with fake.lock:
            if not getattr(fake, "default_offer", None):
                fake.default_offer = fu.make_offer(fake.network, None, None)
        self.text(200, fake.default_offer)

    def api_getlnaddress(self, p):
        self.text(200, "\u20bffake@phoenixd.invalid")

    def api_incoming_get(self, p):
        fake = self.server.fake
        h = req_hex32(p, "paymentHash")
        fault = self.pre_fault("payments/incoming/{paymentHash}")
        with fake.lock:
            r = fake.incoming.get(h)
            obj = fake.incoming_json(r) if r else None
        if obj is None:
            self.not_found(fault)
        self.finish_answer(fault, obj)

    def api_incoming_list(self, p):
        fake = self.server.fake
        frm, to, limit, offset = self.list_params(p)
        listall = p.get("all", "").lower() == "true"
        ext = p.get("externalId")
        fault = self.pre_fault("payments/incoming")
        with fake.lock:
            rows = []
            # Newest first; payments made within one millisecond keep their
            # order of arrival, newest first too (the sort is stable).
            for r in reversed(list(fake.incoming.values())):
                if ext is not None and r["externalId"] != ext:
                    continue
                t = r["createdAt"] if listall else r["completedAt"]
                if t is None or not frm <= t <= to:
                    continue
                rows.append((t, r))
            rows.sort(key=lambda x: x[0], reverse=True)
            obj = [fake.incoming_json(r) for _, r in rows[offset:offset + limit]]
        self.finish_answer(fault, obj)

    def list_params(self, p):
        frm = opt_long(p, "from")
        to = opt_long(p, "to")
        limit = opt_long(p, "limit")
        offset = opt_long(p, "offset")
        return (0 if frm is None else frm, fu.now_ms() if to is None else to,
                20 if limit is None else max(limit, 0), 0 if offset is None else max(offset, 0))

    # -- outgoing lookups

    def api_outgoing_get(self, p):
        fake = self.server.fake
        if not fu.is_uuid(p["uuid"]):
            raise invalid("uuid", "uuid")
        fault = self.pre_fault("payments/outgoing/{uuid}")
        with fake.lock:
            r = fake.outgoing.get(p["uuid"].lower())
            obj = fake.outgoing_json(r) if r else None
        if obj is None:
            self.not_found(fault)
        self.finish_answer(fault, obj)

    def api_outgoing_list(self, p):
        fake = self.server.fake
        frm, to, limit, offset = self.list_params(p)
        listall = p.get("all", "").lower() == "true"
        fault = self.pre_fault("payments/outgoing")
        with fake.lock:
            rows = []
            for r in reversed(list(fake.outgoing.values())):  # ties: newest first
                if listall:
                    t = r["createdAt"]
                else:
                    t = r["completedAt"] if r["status"] == "succeeded" else None
                if t is None or not frm <= t <= to:
                    continue
                rows.append((t, r))
            rows.sort(key=lambda x: x[0], reverse=True)
            obj = [fake.outgoing_json(r) for _, r in rows[offset:offset + limit]]
        self.finish_answer(fault, obj)

    def api_outgoingbyhash(self, p):
        h = req_hex32(p, "paymentHash")
        fault = self.pre_fault("payments/outgoingbyhash/{paymentHash}")
        fake = self.server.fake
        rank = {"succeeded": 3, "pending": 2, "failed": 1}
        with fake.lock:
            rows = fake.by_hash(h)
            obj = fake.outgoing_json(max(rows, key=lambda r: rank[r["status"]])) if rows else None
        if obj is None:
            self.not_found(fault)
        self.finish_answer(fault, obj)

    # -- paying

    def amount_param(self, p):
        """getOptionalAmount(): amountSat, or sendAll (everything sendable)."""
        if "sendAll" in p and "amountSat" in p:
            raise bad_request("Cannot use both amountSat and sendAll request parameters")
        if "sendAll" in p:
            fake = self.server.fake
            with fake.lock:
                spend = max(fake.balance_msat - fake.fee_base_msat, 0)
                return spend * 1_000_000 // (1_000_000 + fake.fee_ppm)
        a = opt_long(p, "amountSat")
        return None if a is None else a * 1000

    def trampoline_param(self, p):
        base = opt_long(p, "trampolineFeeBaseSat")
        prop = opt_long(p, "trampolineFeeProportional")
        cltv = opt_long(p, "trampolineFeeCltvExpiryDelta")
        if base is None and prop is None and cltv is None:
            return None
        if base is None:
            raise bad_request("trampolineFeeBaseSat is required when overriding trampoline fees")
        if prop is None:
            raise bad_request(
                "trampolineFeeProportional is required when overriding trampoline fees")
        if base < 0:
            raise bad_request("trampolineFeeBaseSat must be positive or zero")
        if prop < 0:
            raise bad_request("trampolineFeeProportional must be positive or zero")
        if cltv is not None and not 0 < cltv <= 2**31 - 1:
            raise bad_request("trampolineFeeCltvExpiryDelta must be a positive integer")
        return base, prop

    def pay(self, kind, p, h, amount_msat, fault, invoice=None, inv=None, fee_override=None):
        """One outgoing Lightning payment, as lightning-kmp would make it.
        Returns PaymentSent or PaymentFailed as a dict."""
        fake = self.server.fake
        failed = lambda reason: {"paymentHash": h, "reason": reason}  # noqa: E731
        delay = fault[1] if fault and fault[0] == "delay" else fake.latency.next()
        with fake.lock:
            rows = fake.by_hash(h)
            early = None
            if any(r["status"] == "succeeded" for r in rows):
                early = ALREADY_PAID
            elif any(r["status"] == "pending" for r in rows):
                early = IN_PROGRESS
            elif amount_msat <= 0:
                early = BAD_AMOUNT
            else:
                # Stored as pending first: lookups during a delay see it.
                rec = {"paymentId": fu.new_uuid(), "paymentHash": h, "preimage": None,
                       "status": "pending", "recipient_msat": amount_msat, "fees_msat": 0,
                       "invoice": invoice, "createdAt": fu.now_ms(), "completedAt": None}
                fake.add_outgoing(rec)
        if delay:
            time.sleep(delay)
        if early:
            return failed(early)
        with fake.lock:
            fee = fake.fee(amount_msat, fee_override)
            preimage = fake.preimages.get(h)
            reason = None
            if fault and fault[0] == "reject":
                reason = UNREACHABLE
            elif (fault and fault[0] == "insufficient_funds") or \
                    amount_msat + fee > fake.balance_msat:
                reason = NO_FUNDS
            elif inv is not None and inv["network"] != fake.network:
                reason = UNREACHABLE
            elif preimage is None or (inv is not None and (
                    fu.bolt11_expired(inv) or
                    (inv["amount_msat"] is not None and amount_msat < inv["amount_msat"]))):
                reason = REJECTED
            now = fu.now_ms()
            if reason is not None:
                rec.update(status="failed", completedAt=now)
                return failed(reason)
            fake.ledger.append({
                "kind": kind, "request": p, "payment_hash": h, "preimage": preimage,
                "amount_sat": amount_msat // 1000, "amount_msat": amount_msat,
                "fee_msat": fee, "fee_sat": fee // 1000, "payment_id": rec["paymentId"],
                "invoice": invoice, "time": time.time()})
            fake.balance_msat -= amount_msat + fee
            rec.update(status="succeeded", preimage=preimage, fees_msat=fee, completedAt=now)
            return {"recipientAmountSat": amount_msat // 1000, "routingFeeSat": fee // 1000,
                    "paymentId": rec["paymentId"], "paymentHash": h, "paymentPreimage": preimage}

    def pay_fault(self, endpoint):
        """Faults that stop a payment before anything is attempted."""
        fault = self.server.fake.faults.take(endpoint)
        if fault and fault[0] == "http_500":
            self.fail_500()
        if fault and fault[0] == "hang":
            self.hang()
        return fault

    def api_payinvoice(self, p):
        amount = self.amount_param(p)
        fees = self.trampoline_param(p)
        if "invoice" not in p:
            raise missing("invoice")
        inv = fu.bolt11_decode(p["invoice"])
        if inv is None:
            raise invalid("invoice", "bolt11invoice")
        amount = amount if amount is not None else inv["amount_msat"]
        if amount is None:
            raise missing("amountSat")
        fault = self.pay_fault("payinvoice")
        obj = self.pay("payinvoice", p, inv["payment_hash"], amount, fault,
                       invoice=inv["invoice"], inv=inv, fee_override=fees)
        self.finish_answer(fault, obj)

    def api_payoffer(self, p):
        amount = self.amount_param(p)
        fees = self.trampoline_param(p)
        if "offer" not in p:
            raise missing("offer")
        offer = fu.offer_decode(p["offer"])
        if offer is None:
            raise invalid("offer", "offer")
        amount = amount if amount is not None else offer["amount_msat"]
        if amount is None:
            raise missing("amountSat")
        fault = self.pay_fault("payoffer")
        fake = self.server.fake
        chain = fu.CHAIN_HASHES[fake.network]
        if (fault and fault[0] == "reject") or \
                (offer["chains"] and chain not in offer["chains"]) or \
                (not offer["chains"] and fake.network != "mainnet"):
            # OfferNotPaid: the invoice request got no answer; nothing recorded.
            self.finish_answer(fault, {"offerId": offer["offer_id"], "reason": OFFER_NOT_PAID})
        pre, h = fu.new_preimage()
        with fake.lock:
            fake.preimages[h] = pre
        obj = self.pay("payoffer", p, h, amount, fault, fee_override=fees)
        self.finish_answer(fault, obj)

    def api_paylnaddress(self, p):
        amount = self.amount_param(p)
        if amount is None:
            raise missing("amountSat")
        fees = self.trampoline_param(p)
        addr = fu.lightning_address(p.get("address"), strip_bitcoin_sign=True)
        if addr is None:
            raise invalid("address", "username@domain")
        fault = self.pay_fault("paylnaddress")
        if addr[1].endswith(".invalid"):
            raise ApiError(500, f"cannot resolve address: no LNURL or DNS record for "
                                f"{addr[0]}@{addr[1]}")
        fake = self.server.fake
        ts = int(time.time())
        inv_str, h, _ = fake.make_invoice(amount, timestamp=ts)
        # What bolt11_decode would read back from the invoice just made (pay()
        # looks at it only for a positive amount, which always decodes).
        inv = {"network": fake.network, "amount_msat": amount, "timestamp": ts, "expiry": 3600}
        obj = self.pay("paylnaddress", p, h, amount, fault, invoice=inv_str, inv=inv,
                       fee_override=fees)
        self.finish_answer(fault, obj)

    # -- control: an incoming payment, and its webhook

    def control_receive(self, body):
        fake = self.server.fake
        h = body.get("paymentHash")
        if not fu.is_hex32(h):
            self.reply_json(400, {"error": "paymentHash must be 64 hex characters"})
        h = h.lower()
        with fake.lock:
            r = fake.incoming.get(h)
            if r is None:
                self.reply_json(404, {"error": "no invoice with that payment hash"})
            if r["completedAt"] is not None:
                self.reply_json(409, {"error": "invoice already paid"})
            amount = body.get("amountSat", r["requestedSat"])
            if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
                self.reply_json(400, {"error": "amountSat is required for an amountless invoice"})
            r.update(receivedSat=amount, fees=int(body.get("feesMsat", 0)),
                     payerNote=body.get("payerNote"), completedAt=fu.now_ms())
            fake.balance_msat += amount * 1000 - r["fees"]
            event = {"type": "payment_received", "timestamp": fu.now_ms(), "amountSat": amount,
                     "paymentHash": h, "externalId": r["externalId"],
                     "payerNote": r["payerNote"], "payerKey": None}
            urls = list(fake.webhook_urls) + ([r["webhookUrl"]] if r["webhookUrl"] else [])
        sent = []
        if body.get("webhook", False):
            # phoenixd's webhook client: kotlinx Json(prettyPrint = true), nulls kept.
            data = fu.kotlin_json(event, explicit_nulls=True).encode()
            sig = fu.webhook_signature(fake.webhook_secret, data)
            for url in urls:
                sent.append(post_webhook(url, data, sig))
        self.reply_json(200, {"ok": True, "event": event, "webhooks": sent})


def post_webhook(url, data, sig):
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json",
        "Accept-Charset": "UTF-8", "User-Agent": "ktor-client", "X-Phoenix-Signature": sig})
    out = {"url": url, "status": None, "error": None, "body": data.decode(), "signature": sig}
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            out["status"] = resp.status
    except urllib.error.HTTPError as e:
        out["status"] = e.code
    except Exception as e:  # noqa: BLE001 - phoenixd only logs webhook failures
        out["error"] = str(e)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9740)
    ap.add_argument("--password", required=True, help="http-password (full access)")
    ap.add_argument("--limited-password", required=True,
                    help="http-password-limited-access")
    ap.add_argument("--ledger", required=True, help="JSON-lines payment ledger")
    ap.add_argument("--webhook-secret", default=None)
    ap.add_argument("--webhook-url", action="append",
                    help="a phoenix.conf webhook= URL (repeatable)")
    ap.add_argument("--network", default="regtest", choices=fu.NETWORKS)
    ap.add_argument("--balance-sat", type=int, default=1_000_000)
    ap.add_argument("--fee-base-msat", type=int, default=4000)
    ap.add_argument("--fee-ppm", type=int, default=4000)
    ap.add_argument("--log", default=None, help="request log file ('-' for stderr)")
    fu.add_latency_args(ap)
    args = ap.parse_args(argv)
    fu.serve(PhoenixHandler, Phoenix(args), args.host, args.port, args.log)


if __name__ == "__main__":
    main()
