"""The store configuration of the API tests and small helpers around it."""
import pytest

from conftest import TEST_ENV, Server

API = TEST_ENV["QPAYD_API_TOKEN"]
ADMIN = TEST_ENV["QPAYD_MAIN_ADMIN_TOKEN"]          # main's admin token
PAYOUT = TEST_ENV["QPAYD_MAIN_PAYOUT_TOKEN"]        # main's payout token
GLOBAL_ADMIN = TEST_ENV["QPAYD_ADMIN_TOKEN"]        # [auth] defaults, used by "other"
GLOBAL_PAYOUT = TEST_ENV["QPAYD_PAYOUT_TOKEN"]

MAINNET_ADDR = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
REGTEST_ADDR = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
LN_ADDRESS = "alice@example.com"


def stores(can_payout="false", window_days=90, ln_enabled="true", btc_enabled="true"):
    """The reference configuration: [auth] defaults, store main overriding the
    admin and payout tokens, and a second store to prove scoping."""
    return f"""
[auth]
api_token_env = "QPAYD_API_TOKEN"
admin_token_env = "QPAYD_ADMIN_TOKEN"
payout_token_env = "QPAYD_PAYOUT_TOKEN"

[[stores]]
id = "main"
network = "mainnet"
admin_token_env = "QPAYD_MAIN_ADMIN_TOKEN"
payout_token_env = "QPAYD_MAIN_PAYOUT_TOKEN"
admin_token_can_payout = {can_payout}
refund_window_days = {window_days}

[stores.lightning_payout.refunds]
enabled = {ln_enabled}
max_refund_sats = 100000
daily_refund_limit_sats = 500000
manual_approval_threshold_sats = 250000
poll_seconds = 30

[stores.bitcoin_payout.refunds]
enabled = {btc_enabled}
max_refund_sats = 100000
daily_refund_limit_sats = 500000
manual_approval_threshold_sats = 250000
poll_seconds = 30

[[stores]]
id = "other"
network = "regtest"
"""


@pytest.fixture
def api(tmp_path, dburl, daemons):
    s = Server(tmp_path, dburl, workers=4, stores=stores())
    daemons.append(s)
    return s


def paid_invoice(server, paid=10000, amount=None, store="main", admin=ADMIN):
    """An invoice with `paid` sats recorded through mark-paid."""
    status, _, inv = server.request("POST", f"/v1/stores/{store}/invoices",
                                    {"amount_sats": amount or paid}, token=API)
    assert status == 201, inv
    status, _, inv = server.request("POST", f"/v1/stores/{store}/invoices/{inv['id']}/mark-paid",
                                    {"amount_sats": paid}, token=admin)
    assert status == 200, inv
    return inv


def create_refund(server, invoice_id, amount=2000, destination=MAINNET_ADDR, key=None,
                  token=PAYOUT, store="main", reason="overpayment"):
    headers = {"Idempotency-Key": key} if key else {}
    body = {"amount_sats": amount, "destination": destination}
    if reason is not None:
        body["reason"] = reason
    return server.request("POST", f"/v1/stores/{store}/invoices/{invoice_id}/refunds", body,
                          headers=headers, token=token)
