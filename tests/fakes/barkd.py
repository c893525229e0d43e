#!/usr/bin/python3
"""A fake barkd (bark-rest REST API, /api/v1) for qpayd's tests.

Same paths, JSON bodies with snake_case keys, nulls emitted as null, Bearer
auth, JSON error bodies and status codes as the real daemon (see
docs/BACKENDS.md). Lightning payments are asynchronous: POST
/api/v1/lightning/pay records the payment in the JSON-lines ledger before it
answers, and the send stays pending until --settle-after seconds pass or the
control call POST /_fake/settle. Control API under /_fake/ (no auth); see
tests/fakes/README.md."""
import argparse
import json
import os
import sys
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeutil as fu  # noqa: E402

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"

FAULT_ENDPOINTS = ("pay", "sends", "history", "balance", "fees")
PAY_ENDPOINTS = ("pay",)
METHOD_TYPES = ("ark", "bitcoin", "output-script", "invoice", "offer", "lightning-address",
                "lnurl", "custom")


def rfc3339(t):
    """chrono DateTime<Local> as serde writes it (RFC 3339, +00:00 here)."""
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="microseconds")


def vtxo_id():
    return f"{os.urandom(32).hex()}:{int.from_bytes(os.urandom(1), 'big') % 4}"


class Bark(fu.FakeState):
    def __init__(self, args):
        super().__init__(args.ledger, args.network, FAULT_ENDPOINTS, PAY_ENDPOINTS)
        self.token = args.token
        self.spendable = args.balance_sat
        self.fee_base = args.fee_base_sat
        self.fee_ppm = args.fee_ppm
        self.settle_after = args.settle_after
        self.latency = fu.latency_of(args)
        self.sends = {}      # payment hash -> newest send record
        self.movements = []  # in creation order
        self._reload()

    def _reload(self):
        """Rebuild sends from an existing ledger: a restarted fake still never
        pays a hash twice."""
        for e in self.ledger.entries():
            if e.get("kind") == "lightning_pay":
                self._new_send(e["payment_hash"], e["destination_type"], e["destination"],
                               e.get("invoice"), e["amount_sat"], e["fee_sat"], e["preimage"],
                               e["time"])
            elif e.get("kind") == "settle" and e["payment_hash"] in self.sends:
                self._finish(self.sends[e["payment_hash"]], e["state"], e["time"], log=False)

    def set_balance(self, sat):
        with self.lock:
            self.spendable = sat

    def fee(self, amount):
        return self.fee_base + amount * self.fee_ppm // 1_000_000

    def pending_total(self):
        return sum(s["amount"] + s["fee"] for s in self.sends.values() if s["state"] == "pending")

    def _new_send(self, h, dtype, dest, invoice, amount, fee, preimage, t, state="pending"):
        mv = {"id": len(self.movements) + 1, "status": "pending", "hash": h,
              "dtype": dtype, "dest": dest, "amount": amount, "fee": fee, "preimage": None,
              "input_vtxos": [vtxo_id()], "htlc_vtxos": [vtxo_id()], "created": t,
              "updated": t, "completed": None}
        self.movements.append(mv)
        send = {"hash": h, "state": state, "invoice": invoice, "amount": amount, "fee": fee,
                "preimage": preimage, "movement": mv}
        self.sends[h] = send
        self.spendable -= amount + fee
        return send

    def _finish(self, send, state, t, log=True):
        """pending -> paid | failed | canceled."""
        mv = send["movement"]
        if state == "paid":
            send["state"] = "paid"
            mv.update(status="successful", preimage=send["preimage"])
        else:
            send["state"] = "failed"
            mv.update(status=state)
            self.spendable += send["amount"] + send["fee"]
        mv.update(updated=t, completed=t)
        if log:
            self.ledger.append({"kind": "settle", "payment_hash": send["hash"], "state": state,
                                "preimage": mv["preimage"], "time": t})

    def settle(self, h, state):
        """None, or an error message."""
        with self.lock:
            send = self.sends.get(h)
            if send is None or send["state"] != "pending":
                return "no pending send with that payment hash"
            if state == "paid" and send["preimage"] is None:
                return "the fake does not know this payment's preimage: register it first"
            self._finish(send, state, time.time())
        return None

    def auto_settle(self, h):
        with self.lock:
            send = self.sends.get(h)
            if send is None or send["state"] != "pending":
                return
            self._finish(send, "paid" if send["preimage"] else "failed", time.time())

    # -- JSON shapes

    @staticmethod
    def send_json(h, send):
        if send is None or send["state"] == "failed":
            return {"payment_hash": h, "state": "unknown", "invoice": None, "preimage": None}
        if send["state"] == "paid":
            return {"payment_hash": h, "state": "paid", "invoice": None,
                    "preimage": send["preimage"]}
        return {"payment_hash": h, "state": "payment-initiated", "invoice": send["invoice"],
                "preimage": None}

    @staticmethod
    def movement_json(mv):
        meta = {"payment_hash": mv["hash"], "htlc_vtxos": mv["htlc_vtxos"]}
        if mv["preimage"]:
            meta["payment_preimage"] = mv["preimage"]
        spent = mv["amount"] + mv["fee"]
        failed = mv["status"] in ("failed", "canceled")
        t = {"created_at": rfc3339(mv["created"]), "updated_at": rfc3339(mv["updated"])}
        if mv["completed"] is not None:
            t["completed_at"] = rfc3339(mv["completed"])
        return {"id": mv["id"], "status": mv["status"],
                "subsystem": {"name": "bark.lightning_send", "kind": "send"},
                "metadata": meta, "intended_balance_sat": -mv["amount"],
                "effective_balance_sat": 0 if failed else -spent,
                "offchain_fee_sat": 0 if failed else mv["fee"],
                "sent_to": [{"destination": {"type": mv["dtype"], "value": mv["dest"]},
                             "amount_sat": mv["amount"]}],
                "received_on": [], "input_vtxos": mv["input_vtxos"],
                "output_vtxos": [vtxo_id()] if failed else [], "exited_vtxos": [],
                "time": t}


class BarkHandler(fu.FakeHandler):
    extra_controls = {"settle": "control_settle"}

    def msg(self, status, message):
        self.reply_json(status, {"message": message})

    def fail_500(self):
        self.msg(500, "fake barkd: injected internal error")

    def route(self, method, path, query):
        fake = self.server.fake
        routes = {"/ping": ("GET", self.api_ping, False),
                  "/api/v1/wallet/balance": ("GET", self.api_balance, True),
                  "/api/v1/lightning/pay": ("POST", self.api_pay, True),
                  "/api/v1/history": ("GET", self.api_history, True),
                  "/api/v1/fees/lightning/pay": ("GET", self.api_fees, True)}
        arg = None
        if path in routes:
            want, fn, authed = routes[path]
        elif path.startswith("/api/v1/lightning/sends/") and \
                "/" not in path[len("/api/v1/lightning/sends/"):] and \
                path != "/api/v1/lightning/sends/":
            want, fn, authed = "GET", self.api_sends, True
            arg = fu.path_unquote(path[len("/api/v1/lightning/sends/"):])
        else:
            self.reply_json(404, f"path not found: {path}")
        if method != want:
            self.reply(405, b"", None, {"Allow": want})
        if authed:
            auth = self.headers.get_all("Authorization") or []
            if len(auth) > 1:
                self.msg(401, "multiple authorization headers are not allowed")
            if not auth or not auth[0].startswith("Bearer "):
                self.msg(401, "missing auth token")
            if auth[0][len("Bearer "):].strip() != fake.token:
                self.msg(401, "invalid auth token")
        fn(query, arg)

    def pre_fault(self, endpoint):
        return self.generic_fault(self.server.fake.faults.take(endpoint), self.fail_500)

    def answer(self, fault, obj):
        if fault and fault[0] == "pay_then_drop":
            self.drop()
        self.reply_json(200, obj)

    # -- endpoints

    def api_ping(self, query, arg):
        self.reply(200, "pong", TEXT)

    def api_balance(self, query, arg):
        fault = self.pre_fault("balance")
        fake = self.server.fake
        with fake.lock:
            obj = {"spendable_sat": max(fake.spendable, 0),
                   "pending_lightning_send_sat": fake.pending_total(),
                   "claimable_lightning_receive_sat": 0, "pending_in_round_sat": 0,
                   "pending_board_sat": 0, "pending_exit_sat": 0}
        self.answer(fault, obj)

    def api_fees(self, query, arg):
        raw = query.get("amount_sat")
        if raw is None:
            self.reply(400, "Failed to deserialize query string: missing field `amount_sat`", TEXT)
        if not raw[0].isdigit() or int(raw[0]) >= 2**64:
            self.reply(400, "Failed to deserialize query string: amount_sat: invalid digit "
                            "found in string", TEXT)
        fault = self.pre_fault("fees")
        amount = int(raw[0])
        fee = self.server.fake.fee(amount)
        self.answer(fault, {"gross_amount_sat": amount + fee, "fee_sat": fee,
                            "net_amount_sat": amount, "vtxos_spent": []})

    def api_sends(self, query, ident):
        if fu.is_hex32(ident):
            h = ident.lower()
        else:
            inv = fu.bolt11_decode(ident)
            if inv is None:
                self.msg(400, "identifier is not a valid payment hash or invoice")
            h = inv["payment_hash"]
        fault = self.pre_fault("sends")
        fake = self.server.fake
        with fake.lock:
            obj = fake.send_json(h, fake.sends.get(h))
        self.answer(fault, obj)

    def api_history(self, query, arg):
        mtype = query.get("type", [None])[0]
        value = query.get("value", [None])[0]
        if (mtype is None) != (value is None):
            self.msg(400, "`type` and `value` must be supplied together")
        if mtype is not None:
            ok = {"invoice": lambda v: fu.bolt11_decode(v) is not None or
                  v.lower().startswith("lni1"),
                  "offer": lambda v: fu.offer_decode(v) is not None,
                  "lightning-address": lambda v: fu.lightning_address(v) is not None,
                  "lnurl": lambda v: fu.lnurl_decode(v) is not None}.get(mtype, lambda v: bool(v))
            if mtype not in METHOD_TYPES or not ok(value):
                self.msg(400, "invalid payment method")
        fault = self.pre_fault("history")
        fake = self.server.fake
        with fake.lock:
            out = []
            for mv in reversed(fake.movements):
                if mtype is not None and (mv["dtype"] != mtype or
                                          mv["dest"].lower() != value.strip().lower()):
                    continue
                out.append(fake.movement_json(mv))
        self.answer(fault, out)

    def pay_body(self):
        """axum's Json<LightningPayRequest> extractor and its rejections."""
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json" and not (ctype.startswith("application/")
                                                and ctype.endswith("+json")):
            self.reply(415, "Expected request with `Content-Type: application/json`", TEXT)
        raw = self.read_body()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            self.reply(400, f"Failed to parse the request body as JSON: {e}", TEXT)
        where = f"at line 1 column {len(raw)}"
        if not isinstance(body, dict):
            self.reply(422, "Failed to deserialize the JSON body into the target type: invalid "
                            f"type: expected struct LightningPayRequest {where}", TEXT)
        if "destination" not in body:
            self.reply(422, "Failed to deserialize the JSON body into the target type: missing "
                            f"field `destination` {where}", TEXT)
        for key, ok, what in (("destination", lambda v: isinstance(v, str), "a string"),
                              ("amount_sat", lambda v: v is None or (
                                  isinstance(v, int) and not isinstance(v, bool)
                                  and 0 <= v < 2**64), "u64"),
                              ("comment", lambda v: v is None or isinstance(v, str), "a string")):
            if key in body and not ok(body[key]):
                self.reply(422, "Failed to deserialize the JSON body into the target type: "
                                f"{key}: invalid type: expected {what} {where}", TEXT)
        return body

    def api_pay(self, query, arg):
        body = self.pay_body()
        dest, amount, comment = body["destination"], body.get("amount_sat"), body.get("comment")
        fake = self.server.fake
        inv = fu.bolt11_decode(dest)
        offer = fu.offer_decode(dest) if inv is None else None
        if inv is not None:
            if comment is not None:
                self.msg(400, "comment is not supported for BOLT-11 invoices")
            dtype = "invoice"
        elif offer is not None:
            if comment is not None:
                self.msg(400, "comment is not supported for BOLT-12 offers")
            dtype = "offer"
        elif fu.lightning_address(dest) is not None:
            if amount is None:
                self.msg(400, "amount is required for Lightning addresses")
            dtype = "lightning-address"
        elif fu.lnurl_decode(dest) is not None:
            if amount is None:
                self.msg(400, "amount is required for LNURL")
            dtype = "lnurl"
        else:
            self.msg(400, "argument is not a valid BOLT-11 invoice, BOLT-12 offer, "
                          "Lightning address or LNURL")

        fault = fake.faults.take("pay")
        if fault and fault[0] == "http_500":
            self.fail_500()
        if fault and fault[0] == "hang":
            self.hang()
        if fault and fault[0] == "delay":
            time.sleep(fault[1])
        elif fake.latency.seconds or fake.latency.slow_every:
            time.sleep(fake.latency.next())

        # The wallet's own checks: anyhow errors, so 500 {"message"}.
        if inv is not None:
            if inv["network"] != fake.network:
                self.msg(500, f"Invoice is for the wrong network: {inv['network']}, "
                              f"wallet network is {fake.network}")
            if fu.bolt11_expired(inv):
                self.msg(500, "Invoice has expired")
            if inv["amount_msat"] is not None and amount is not None and \
                    amount * 1000 != inv["amount_msat"]:
                self.msg(500, f"Invoice has amount of {inv['amount_msat'] // 1000} sat encoded. "
                              "Please omit user amount argument")
            if inv["amount_msat"] is None and amount is None:
                self.msg(500, "An amount is required to pay an invoice without amount")
            amount = amount if amount is not None else -(-inv["amount_msat"] // 1000)
            h, invoice, dvalue = inv["payment_hash"], inv["invoice"], inv["invoice"]
        else:
            if dtype == "offer":
                chain = fu.CHAIN_HASHES[fake.network]
                if (offer["chains"] and chain not in offer["chains"]) or \
                        (not offer["chains"] and fake.network != "mainnet"):
                    self.msg(500, "Failed to fetch invoice for offer: offer is for another chain")
                if amount is None and offer["amount_msat"] is None:
                    self.msg(500, "An amount is required to pay an offer without amount")
                if amount is None:
                    amount = -(-offer["amount_msat"] // 1000)
                dvalue = offer["offer"]
            else:
                dvalue = dest.strip()
                if dtype == "lightning-address" and dvalue.lower().endswith(".invalid"):
                    self.msg(500, f"Failed to fetch invoice for lightning address {dvalue}")
            invoice, h, _ = fake.make_invoice(amount * 1000)
        if amount <= 0:
            self.msg(500, "Cannot pay an amount of zero")

        with fake.lock:
            prev = fake.sends.get(h)
            if prev is not None and prev["state"] == "paid":
                self.msg(500, f"Invoice has already been paid (payment hash {h})")
            if prev is not None and prev["state"] == "pending":
                self.msg(500, f"A payment for this invoice is already in progress "
                              f"(payment hash {h})")
            fee = fake.fee(amount)
            if (fault and fault[0] == "insufficient_funds") or amount + fee > fake.spendable:
                self.msg(500, f"Insufficient money available. Needed {amount + fee} sat but "
                              f"{max(fake.spendable, 0)} sat is available")
            now = time.time()
            if fault and fault[0] == "reject":
                # Initiated, then definitely failed: nothing paid, movement failed.
                send = fake._new_send(h, dtype, dvalue, invoice, amount, fee, None, now)
                fake._finish(send, "failed", now, log=False)
            else:
                preimage = fake.preimages.get(h)
                fake.ledger.append({
                    "kind": "lightning_pay", "request": body, "destination_type": dtype,
                    "destination": dvalue, "payment_hash": h, "preimage": preimage,
                    "invoice": invoice, "amount_sat": amount, "fee_sat": fee, "time": now})
                fake._new_send(h, dtype, dvalue, invoice, amount, fee, preimage, now)
                if fake.settle_after is not None and fake.settle_after >= 0:
                    t = threading.Timer(fake.settle_after, fake.auto_settle, (h,))
                    t.daemon = True
                    t.start()
        self.answer(fault, {"message": "Payment initiated successfully", "payment_hash": h})

    # -- control

    def control_settle(self, body):
        h = body.get("payment_hash")
        state = body.get("state", "paid")
        if not fu.is_hex32(h) or state not in ("paid", "failed", "canceled"):
            self.reply_json(400, {"error": "need payment_hash (hex) and state "
                                           "paid|failed|canceled"})
        err = self.server.fake.settle(h.lower(), state)
        if err:
            self.reply_json(409, {"error": err})
        self.reply_json(200, {"ok": True})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=3000)
    ap.add_argument("--token", required=True, help="the Bearer token")
    ap.add_argument("--ledger", required=True, help="JSON-lines payment ledger")
    ap.add_argument("--network", default="regtest", choices=fu.NETWORKS)
    ap.add_argument("--balance-sat", type=int, default=1_000_000)
    ap.add_argument("--fee-base-sat", type=int, default=1)
    ap.add_argument("--fee-ppm", type=int, default=2000)
    ap.add_argument("--settle-after", type=float, default=None,
                    help="settle pending sends after this many seconds (default: only on "
                         "POST /_fake/settle)")
    ap.add_argument("--log", default=None, help="request log file ('-' for stderr)")
    fu.add_latency_args(ap)
    args = ap.parse_args(argv)
    fu.serve(BarkHandler, Bark(args), args.host, args.port, args.log)


if __name__ == "__main__":
    main()
