"""Genuinely paid invoices for the executor's tests. The executor pays a
refund only when its own receive backends prove the invoice's payment
(executor/verify.c), so a test invoice must be paid where the executor
looks: the fake phoenixd really receives the payment (an invoice created with
the limited password and externalId = the invoice id, as qpayd creates it),
and the payment is recorded with invoice_payment_record, the call qpayd's
receiver makes once phoenixd has told it."""
import base64
import json
import urllib.parse
import urllib.request

from apiutil import API
from conftest import TEST_ENV

LIMITED = TEST_ENV["QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"]

# The executor's [stores.lightning]: the limited password only.
EXECUTOR_LIGHTNING = """
[stores.lightning]
backend = "phoenixd"
url = "{url}"
limited_api_password_env = "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"
"""


def phoenixd_invoice(url, sats, external_id, password=LIMITED):
    """createinvoice on phoenixd as qpayd calls it; returns its answer."""
    form = urllib.parse.urlencode({"description": "test", "amountSat": sats,
                                   "externalId": external_id}).encode()
    auth = base64.b64encode(f":{password}".encode()).decode()
    req = urllib.request.Request(url + "/createinvoice", data=form, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + auth})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def phoenixd_receive(url, payment_hash, sats=None):
    """The fake phoenixd receives the payment of payment_hash (no webhook)."""
    body = {"paymentHash": payment_hash, "webhook": False}
    if sats is not None:
        body["amountSat"] = sats
    req = urllib.request.Request(url + "/_fake/receive", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def record_payment(conn, invoice_id, method, reference, sats, confirmations=0,
                   state="credited", actor="lightning", store="main"):
    """What qpayd's receiver writes for one payment (or what an attacker
    holding the public host's role can write)."""
    with conn.cursor() as cur:
        cur.execute("SELECT changed FROM invoice_payment_record(%s, %s, %s, %s, %s, %s, %s, %s, "
                    "NULL)", (store, invoice_id, method, reference, sats, confirmations, state,
                              actor))
        return cur.fetchone()


def ln_pay(conn, phoenixd_url, invoice_id, sats, store="main"):
    """Pays invoice_id sats over Lightning through the fake phoenixd and
    records it as qpayd does. Returns the payment hash."""
    got = phoenixd_invoice(phoenixd_url, sats, invoice_id)
    phoenixd_receive(phoenixd_url, got["paymentHash"], sats)
    record_payment(conn, invoice_id, "lightning", got["paymentHash"], sats, store=store)
    return got["paymentHash"]


def ln_paid_invoice(server, conn, phoenixd_url, paid=10000, amount=None):
    """A new invoice of store main (through the API) with `paid` sats
    received by the fake phoenixd; returns the invoice as the API shows it."""
    st, _, inv = server.request("POST", "/v1/stores/main/invoices",
                                {"amount_sats": amount or paid}, token=API)
    assert st == 201, inv
    ln_pay(conn, phoenixd_url, inv["id"], paid)
    st, _, inv = server.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)
    assert st == 200 and inv["amount_paid_sats"] == paid, inv
    return inv
