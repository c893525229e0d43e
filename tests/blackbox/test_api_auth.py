"""The token matrix: every route against every token, per-store overrides,
[auth] fallbacks and admin_token_can_payout (the reference's own check)."""
from apiutil import (ADMIN, API, GLOBAL_ADMIN, GLOBAL_PAYOUT, MAINNET_ADDR, PAYOUT, api,  # noqa
                     create_refund, paid_invoice, stores)
from conftest import Server

TOKENS = {"api": API, "admin": ADMIN, "payout": PAYOUT, "global_admin": GLOBAL_ADMIN,
          "global_payout": GLOBAL_PAYOUT, "garbage": "not-a-token", "none": None}


def routes(inv, rid):
    """(name, method, path, body, roles allowed on store main)."""
    m = "/v1/stores/main"
    return [
        ("create invoice", "POST", f"{m}/invoices", {"amount_sats": 100}, {"api"}),
        ("get invoice", "GET", f"{m}/invoices/{inv}", None, {"api"}),
        ("mark-paid", "POST", f"{m}/invoices/{inv}/mark-paid", {"amount_sats": 1}, {"admin"}),
        ("summary", "GET", f"{m}/invoices/{inv}/refund-summary", None, {"admin", "payout"}),
        ("invoice refunds", "GET", f"{m}/invoices/{inv}/refunds", None, {"admin", "payout"}),
        ("list", "GET", f"{m}/refunds", None, {"admin", "payout"}),
        ("get refund", "GET", f"{m}/refunds/{rid}", None, {"admin", "payout"}),
        ("events", "GET", f"{m}/refunds/{rid}/events", None, {"admin", "payout"}),
        ("create refund", "POST", f"{m}/invoices/{inv}/refunds",
         {"amount_sats": 1, "destination": MAINNET_ADDR}, {"payout"}),
        ("approve", "POST", f"{m}/refunds/{rid}/approve", None, {"admin"}),
        ("finalize", "POST", f"{m}/refunds/{rid}/finalize", {"tx_id": "zz"}, {"payout"}),
        ("fail", "POST", f"{m}/refunds/{rid}/fail", {}, {"payout"}),
        ("cancel", "POST", f"{m}/refunds/rf_0000000000000000000000000z/cancel", None,
         {"payout"}),
    ]


def check_matrix(server, inv, rid, extra_allowed=()):
    for name, method, path, body, allowed in routes(inv, rid):
        allowed = set(allowed) | {r for (n, r) in extra_allowed if n == name}
        for tname, tok in TOKENS.items():
            status, headers, resp = server.request(method, path, body, token=tok)
            if tname in allowed:
                assert status != 401, (name, tname, resp)
            else:
                assert status == 401, (name, tname, status, resp)
                assert headers["WWW-Authenticate"] == "Bearer"
                assert resp["error"]["code"] == "unauthorized"
                assert "canary" not in str(resp)


def test_token_matrix(api):
    inv = paid_invoice(api, 400000)["id"]
    rid = create_refund(api, inv, 300000, destination="alice@example.com")[2]["id"]
    check_matrix(api, inv, rid)


def test_admin_token_can_payout_reference_check(tmp_path, dburl, daemons):
    """Admin token: 2xx with admin_token_can_payout = true, 401 after setting it
    false and restarting (the reference documentation's verification)."""
    s = Server(tmp_path, dburl, stores=stores(can_payout="true"))
    daemons.append(s)
    inv = paid_invoice(s, 10000)["id"]
    status, _, body = create_refund(s, inv, 100, token=ADMIN)
    assert 200 <= status < 300, body
    rid = body["id"]
    extra = [(n, "admin") for n in ("create refund", "finalize", "fail", "cancel")]
    check_matrix(s, inv, rid, extra)
    s.restart(stores=stores(can_payout="false"))
    status, headers, body = create_refund(s, inv, 100, token=ADMIN)
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    assert create_refund(s, inv, 100, token=PAYOUT)[0] == 201


def test_store_without_override_uses_auth_defaults(api):
    inv = paid_invoice(api, 10000, store="other", admin=GLOBAL_ADMIN)["id"]
    regtest = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
    assert create_refund(api, inv, 100, destination=regtest, store="other",
                         token=GLOBAL_PAYOUT)[0] == 201
    assert create_refund(api, inv, 100, destination=regtest, store="other",
                         token=PAYOUT)[0] == 401
    assert create_refund(api, inv, 100, destination=regtest, store="other",
                         token=GLOBAL_ADMIN)[0] == 401


def test_fallbacks_without_payout_or_admin_tokens(tmp_path, dburl, daemons):
    cfg = """
[[stores]]
id = "adminonly"
network = "mainnet"
api_token_env = "QPAYD_API_TOKEN"
admin_token_env = "QPAYD_ADMIN_TOKEN"

[[stores]]
id = "apionly"
network = "mainnet"
api_token_env = "QPAYD_API_TOKEN"
"""
    s = Server(tmp_path, dburl, stores=cfg)
    daemons.append(s)
    # no payout token: refund mutations take the admin token
    inv = paid_invoice(s, 10000, store="adminonly", admin=GLOBAL_ADMIN)["id"]
    assert create_refund(s, inv, 100, store="adminonly", token=GLOBAL_ADMIN)[0] == 201
    assert create_refund(s, inv, 100, store="adminonly", token=API)[0] == 401
    # neither: the api token does everything but approve
    inv = paid_invoice(s, 10000, store="apionly", admin=API)["id"]
    status, _, rf = create_refund(s, inv, 100, store="apionly", token=API)
    assert status == 201
    assert s.request("GET", f"/v1/stores/apionly/refunds/{rf['id']}", token=API)[0] == 200
    assert s.request("POST", f"/v1/stores/apionly/refunds/{rf['id']}/cancel",
                     token=API)[0] == 200


def test_bearer_scheme_required(api):
    for header in (f"Basic {API}", API, "Bearer", "Bearer  "):
        status, _, _ = api.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1},
                                   headers={"Authorization": header})
        assert status == 401, header
    status, _, _ = api.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1},
                               headers={"Authorization": f"bearer {API}"})
    assert status == 201


def test_sighup_reload_applies_admin_token_can_payout(tmp_path, dburl, daemons):
    """The reference's check with "reload qpayd": 2xx with true, 401 after
    setting it to false and sending SIGHUP; a broken file keeps the old one."""
    import signal

    from conftest import server_config
    s = Server(tmp_path, dburl, stores=stores(can_payout="true"))
    daemons.append(s)
    inv = paid_invoice(s, 10000)["id"]
    assert create_refund(s, inv, 100, token=ADMIN)[0] == 201
    s.config.write_text(server_config(s.port, s.workers, "", stores(can_payout="false")))
    s.daemon.proc.send_signal(signal.SIGHUP)
    s.daemon.wait_for_log("configuration reloaded")
    status, headers, _ = create_refund(s, inv, 100, token=ADMIN)
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    assert create_refund(s, inv, 100, token=PAYOUT)[0] == 201
    # a broken file: reported, and the running configuration stays
    s.config.write_text(s.config.read_text() + "\n[nonsense]\n")
    s.daemon.proc.send_signal(signal.SIGHUP)
    s.daemon.wait_for_log("reload failed")
    assert "nonsense" in s.daemon.text()
    assert create_refund(s, inv, 100, token=PAYOUT)[0] == 201
    assert create_refund(s, inv, 100, token=ADMIN)[0] == 401
    assert s.request("GET", "/healthz")[0] == 200
