"""Refunds the customer claims (docs/claims.md): the shop creates a refund
without destination, the customer gives one on the claim page or pulls it
with a Lightning wallet through LNURL-withdraw, and qpayd-executor pays it,
checked in the fakes' ledgers. One server, one executor configuration and
one browser for the module."""
import json
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest

from apiutil import ADMIN, PAYOUT
from conftest import PAYOUT_ENV, Server, assert_no_sanitizer, base_env
from lnutil import bech32_decode, convertbits, make_bolt11, p2wpkh
from payutil import ln_paid_invoice
from test_executor_pay import STORES, Fake, executor_config, refunds_once

@pytest.fixture(scope="module")
def stack(tmp_path_factory, cluster):
    tmp = tmp_path_factory.mktemp("claims")
    dburl = cluster.url(cluster.new_database())
    dbname = dburl.rsplit("/", 1)[1]
    user, password = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
    from test_executor_pay import FAKES, LIMITED
    phoenixd = Fake(["/usr/bin/python3", f"{FAKES}/phoenixd.py", "--port", "0", "--password",
                     PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"], "--limited-password",
                     LIMITED, "--ledger", str(tmp / "phoenixd.jsonl"), "--network", "regtest"])
    bitcoind = Fake(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0", "--rpcauth",
                     f"{user}:{password}", "--chain", "regtest", "--ledger",
                     str(tmp / "bitcoind.jsonl")])
    server = Server(tmp, dburl, stores=STORES)
    # public_url names the server's own port, known once it has one
    server.server_extra = f'public_url = "{server.base}"\nclaim_requests_per_minute = 100000\n'
    server.restart(stores=STORES)
    conn = cluster.connect(dbname)
    cfg = executor_config(tmp, phoenixd, bitcoind)
    env = base_env(dburl, PAYOUT_ENV)
    yield server, phoenixd, bitcoind, cfg, env, conn
    server.daemon.stop()
    assert_no_sanitizer(server.daemon.text(), "qpayd")
    phoenixd.stop()
    bitcoind.stop()
    conn.close()


def claimable(stack, amount=3000, reason=None, paid=10000, **extra):
    server, phoenixd, _, _, _, conn = stack
    inv = ln_paid_invoice(server, conn, phoenixd.url, paid)["id"]
    body = {"amount_sats": amount, "claim": True, **extra}
    if reason is not None:
        body["reason"] = reason
    st, _, rf = server.request("POST", f"/v1/stores/main/invoices/{inv}/refunds", body,
                               token=PAYOUT)
    assert st == 201, rf
    return inv, rf


def token_of(rf):
    return rf["claim_url"].rsplit("/", 1)[1]


def get(server, rid):
    return server.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)[2]


def post_form(server, path, destination):
    data = urllib.parse.urlencode({"destination": destination}).encode()
    return server.request("POST", path, data,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})


def page_path(rf):
    return urllib.parse.urlsplit(rf["claim_url"]).path


def events(server, rid):
    _, _, ev = server.request("GET", f"/v1/stores/main/refunds/{rid}/events", token=ADMIN)
    return [e["event"] for e in ev["data"]]


def summary(server, inv):
    return server.request("GET", f"/v1/stores/main/invoices/{inv}/refund-summary",
                          token=ADMIN)[2]


def lnurl_decode(lnurl):
    hrp, data = bech32_decode(lnurl.lower())[:2]
    assert hrp == "lnurl"
    return bytes(convertbits(data, 5, 8, False)).decode()


def test_claim_page_bitcoin_address_then_paid(stack):
    server, _, bitcoind, cfg, env, conn = stack
    inv, rf = claimable(stack, 3000, reason="<script>alert(1)</script> size")
    assert rf["status"] == "awaiting_destination" and rf["destination"] is None
    assert rf["claimable"] is True and rf["claimed_at"] is None and rf["claim_expires_at"]
    assert rf["claim_url"].startswith(server.base + "/claim/")
    assert re.fullmatch(r"[0-9a-f]{32}", token_of(rf))
    assert rf["lnurl"].startswith("LNURL1")
    assert lnurl_decode(rf["lnurl"]) == rf["claim_url"] + "/lnurlw"
    assert rf["lnurlw_url"] == "lnurlw://" + rf["claim_url"].split("://", 1)[1] + "/lnurlw"
    # counts against the balance like pending; the shop's view never has the link
    assert summary(server, inv)["refundable_sats"] == 7000
    assert "claim_url" not in get(server, rf["id"])
    st, hdrs, html = server.request("GET", page_path(rf))
    assert st == 200 and hdrs["Content-Type"].startswith("text/html")
    csp = hdrs["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert hdrs["X-Frame-Options"] == "DENY" and hdrs["Referrer-Policy"] == "no-referrer"
    assert hdrs["Cache-Control"] == "no-store"
    assert "<svg" in html and "3000 sats" in html and "0.00003000 BTC" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert rf["invoice_id"] not in html and rf["id"] not in html
    addr = p2wpkh("regtest")
    st, _, html = post_form(server, page_path(rf), addr)
    assert st == 200 and 'id="status">claimed<' in html, html
    got = get(server, rf["id"])
    assert got["status"] == "pending" and got["destination"] == addr
    assert got["destination_type"] == "bitcoin_address" and got["claimed_at"]
    r = refunds_once(cfg, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert get(server, rf["id"])["status"] == "succeeded"
    paid = [e for e in bitcoind.ledger() if e.get("comment") == rf["id"]]
    assert len(paid) == 1 and paid[0]["amount_sat"] == 3000 and paid[0]["address"] == addr
    assert events(server, rf["id"])[:4] == ["created", "destination_claimed", "claimed",
                                            "succeeded"]
    with conn.cursor() as cur:
        cur.execute("SELECT event_type FROM webhook_outbox WHERE object_id = %s ORDER BY id",
                    (rf["id"],))
        types = [row[0] for row in cur.fetchall()]
    assert "refund.claimed" in types
    # the page now says so, and a second claim is refused
    st, _, html = server.request("GET", page_path(rf))
    assert st == 200 and 'id="status">claimed<' in html and "<form" not in html
    st, _, html = post_form(server, page_path(rf), p2wpkh("regtest"))
    assert st == 409 and "already been claimed" in html
    assert get(server, rf["id"])["destination"] == addr


def test_claim_page_lightning_address_then_paid(stack):
    server, phoenixd, _, cfg, env, _ = stack
    _, rf = claimable(stack, 1500)
    st, _, html = post_form(server, page_path(rf), "carol@example.com")
    assert st == 200 and 'id="status">claimed<' in html
    r = refunds_once(cfg, env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert get(server, rf["id"])["status"] == "succeeded"
    paid = [e for e in phoenixd.ledger() if "carol@example.com" in json.dumps(e)]
    assert len(paid) == 1 and paid[0]["amount_sat"] == 1500


def test_invalid_destination_same_message_as_create(stack):
    server, _, _, _, _, _ = stack
    inv, rf = claimable(stack, 1000)
    for bad in ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # mainnet, store regtest
                "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu8",  # checksum
                make_bolt11("regtest", amount_msat=999000)[0],  # not the refund's amount
                make_bolt11("regtest", amount_msat=1000000, timestamp=int(time.time()) - 7200)[0],
                ""):
        st, _, html = post_form(server, page_path(rf), bad)
        assert st == 200 and "claimed<" not in html, html
        st2, _, err = server.request("POST", f"/v1/stores/main/invoices/{inv}/refunds",
                                     {"amount_sats": 1000, "destination": bad}, token=PAYOUT)
        assert st2 == 400
        msg = err["error"]["message"]
        want = msg.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
            .replace('"', "&quot;").replace("'", "&#39;")
        assert f'id="destination-error" role="alert">{want}</p>' in html, (msg, html)
    assert get(server, rf["id"])["status"] == "awaiting_destination"


def test_lnurl_withdraw_wallet(stack):
    server, phoenixd, _, cfg, env, _ = stack
    _, rf = claimable(stack, 2500)
    url = lnurl_decode(rf["lnurl"])
    with urllib.request.urlopen(url, timeout=10) as r:
        w = json.loads(r.read())
    assert w["tag"] == "withdrawRequest" and w["k1"] == token_of(rf)
    assert w["minWithdrawable"] == w["maxWithdrawable"] == 2500000
    assert w["callback"] == server.base + "/lnurlw/callback"

    def callback(pr):
        q = urllib.parse.urlencode({"k1": w["k1"], "pr": pr})
        with urllib.request.urlopen(f"{w['callback']}?{q}", timeout=10) as r:
            return json.loads(r.read())

    refusals = {
        "amount": make_bolt11("regtest", amount_msat=2400000)[0],
        "no amount": make_bolt11("regtest")[0],
        "network": make_bolt11("mainnet", amount_msat=2500000)[0],
        "expired": make_bolt11("regtest", amount_msat=2500000, timestamp=int(time.time()) - 7200)[0],
        "short": make_bolt11("regtest", amount_msat=2500000, expiry=300)[0],
        "not bolt11": "dave@example.com",
    }
    for what, pr in refusals.items():
        got = callback(pr)
        assert got["status"] == "ERROR" and got["reason"], (what, got)
    assert get(server, rf["id"])["status"] == "awaiting_destination"
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 2500})
    assert callback(bolt11["invoice"]) == {"status": "OK"}
    again = callback(phoenixd.control("/_fake/invoice", {"amount_sat": 2500})["invoice"])
    assert again["status"] == "ERROR" and "already" in again["reason"]
    with urllib.request.urlopen(url, timeout=10) as r:
        assert json.loads(r.read())["status"] == "ERROR"
    r = refunds_once(cfg, env)
    assert r.returncode == 0, r.stdout + r.stderr
    got = get(server, rf["id"])
    assert got["status"] == "succeeded" and got["payment_proof"] == bolt11["preimage"]
    paid = [e for e in phoenixd.ledger() if e.get("payment_hash") == bolt11["payment_hash"]]
    assert len(paid) == 1 and paid[0]["amount_sat"] == 2500


def test_fifty_concurrent_claims_leave_one(stack):
    server, _, _, _, _, _ = stack
    _, rf = claimable(stack, 1000)
    addrs = [p2wpkh("regtest") for _ in range(50)]
    results = [None] * 50
    go = threading.Barrier(50)

    def claim(i):
        go.wait()
        results[i] = post_form(server, page_path(rf), addrs[i])[0]

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(200) == 1, results
    assert results.count(409) == 49, results
    got = get(server, rf["id"])
    assert got["status"] == "pending" and got["destination"] == addrs[results.index(200)]
    assert events(server, rf["id"]).count("destination_claimed") == 1


def test_cancel_then_claim_refused(stack):
    server, _, _, _, _, _ = stack
    inv, rf = claimable(stack, 1000)
    st, _, got = server.request("POST", f"/v1/stores/main/refunds/{rf['id']}/cancel", {},
                                token=PAYOUT)
    assert st == 200 and got["status"] == "canceled", got
    assert summary(server, inv)["refundable_sats"] == 10000
    st, _, html = post_form(server, page_path(rf), p2wpkh("regtest"))
    assert st == 410 and "canceled" in html
    assert get(server, rf["id"])["destination"] is None


def test_expiry_cancels_and_releases(stack):
    server, _, _, _, _, conn = stack
    inv, rf = claimable(stack, 4000)
    assert summary(server, inv)["refundable_sats"] == 6000
    with conn.cursor() as cur:  # as if 30 days had passed: triggers off for this one write
        cur.execute("SET session_replication_role = replica")
        cur.execute("UPDATE refunds SET claim_expires_at = now() - interval '1 second' "
                    "WHERE id = %s", (rf["id"],))
        cur.execute("SET session_replication_role = DEFAULT")
    st, _, html = post_form(server, page_path(rf), p2wpkh("regtest"))
    assert st == 410 and "expired" in html
    deadline = time.time() + 15
    while get(server, rf["id"])["status"] != "canceled":
        assert time.time() < deadline, get(server, rf["id"])
        time.sleep(0.2)
    assert events(server, rf["id"])[-1] == "claim_expired"
    assert summary(server, inv)["refundable_sats"] == 10000


def test_unknown_token_and_token_never_logged(stack):
    server, _, _, _, _, conn = stack
    st, hdrs, html = server.request("GET", "/claim/" + "0" * 32)
    assert st == 404 and "not valid" in html and hdrs["X-Frame-Options"] == "DENY"
    st, _, html = server.request("GET", "/claim/..%2f..%2fetc")
    assert st == 404
    _, rf = claimable(stack, 1000)
    token = token_of(rf)
    server.request("GET", page_path(rf))
    post_form(server, page_path(rf), "not-an-address")
    with urllib.request.urlopen(rf["claim_url"] + "/lnurlw", timeout=10) as r:
        r.read()
    assert token not in server.daemon.text()
    with conn.cursor() as cur:
        for table in ("refunds", "refund_events", "webhook_outbox", "idempotency_keys"):
            cur.execute(f"SELECT count(*) FROM {table} t WHERE t::text LIKE %s",
                        (f"%{token}%",))
            assert cur.fetchone()[0] == 0, table


def test_create_refusals(stack):
    server, phoenixd, _, _, _, conn = stack
    inv = ln_paid_invoice(server, conn, phoenixd.url, 5000)["id"]
    path = f"/v1/stores/main/invoices/{inv}/refunds"
    st, _, err = server.request("POST", path, {"amount_sats": 100, "claim": True,
                                               "destination": p2wpkh("regtest")}, token=PAYOUT)
    assert st == 400 and "no destination" in err["error"]["message"]
    st, _, err = server.request("POST", path, {"amount_sats": 100, "claim": "yes"}, token=PAYOUT)
    assert st == 400
    st, _, err = server.request("POST", path, {"amount_sats": 6000, "claim": True}, token=PAYOUT)
    assert st == 422 and err["error"]["code"] == "insufficient_refundable_balance"
    # the same Idempotency-Key answers the same refund, without the link
    h = {"Idempotency-Key": "claim-key-1"}
    st, _, first = server.request("POST", path, {"amount_sats": 100, "claim": True}, headers=h,
                                  token=PAYOUT)
    assert st == 201 and "claim_url" in first
    st, _, again = server.request("POST", path, {"amount_sats": 100, "claim": True}, headers=h,
                                  token=PAYOUT)
    assert st == 201 and again["id"] == first["id"] and "claim_url" not in again


# -- the browser: the page as a customer sees it ---------------------------

@pytest.fixture(scope="module")
def browser():
    import os
    from browser import CHROMEDRIVER, browser_new
    if not os.path.exists(CHROMEDRIVER):
        pytest.skip(f"{CHROMEDRIVER} is missing (Debian chromium-driver)")
    d = browser_new(420, 900)
    yield d
    d.quit()


def submit(browser):
    """Clicks the form's button and waits for the page it posts to."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(EC.staleness_of(old))


def test_browser_claim_page(stack, browser):
    from selenium.webdriver.common.by import By
    from browser import console_errors, screenshot
    server = stack[0]
    _, rf = claimable(stack, 2100, reason='<script>document.title="pwned"</script><b>x</b>')
    browser.get(rf["claim_url"])
    assert browser.title == "Refund from main"
    assert browser.find_element(By.ID, "amount").text.startswith("2100 sats")
    reason = browser.find_element(By.ID, "reason").text
    assert reason == '<script>document.title="pwned"</script><b>x</b>'
    assert browser.find_elements(By.CSS_SELECTOR, "svg.qr path")
    svg = browser.find_element(By.CSS_SELECTOR, "svg.qr")
    assert svg.size["width"] > 100
    screenshot(browser, "claim-page")
    field = browser.find_element(By.ID, "destination")
    field.send_keys("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    submit(browser)
    err = browser.find_element(By.ID, "destination-error").text
    assert "mainnet" in err and "regtest" in err, err
    assert browser.find_element(By.ID, "destination").get_attribute("value").startswith("bc1q")
    screenshot(browser, "claim-error")
    field = browser.find_element(By.ID, "destination")
    field.clear()
    addr = p2wpkh("regtest")
    field.send_keys(addr)
    submit(browser)
    assert browser.find_element(By.ID, "status").text == "claimed"
    screenshot(browser, "claim-claimed")
    assert get(server, rf["id"])["destination"] == addr
    assert console_errors(browser) == []


def test_new_claim_link_replaces_the_old(stack):
    server = stack[0]
    _, rf = claimable(stack, 1000)
    st, _, again = server.request("POST", f"/v1/stores/main/refunds/{rf['id']}/claim-link",
                                  {}, token=PAYOUT)
    assert st == 200 and again["id"] == rf["id"], again
    assert again["claim_url"] != rf["claim_url"] and again["lnurl"] != rf["lnurl"]
    assert server.request("GET", page_path(rf))[0] == 404
    assert server.request("GET", page_path(again))[0] == 200
    assert events(server, rf["id"]) == ["created", "claim_link_renewed"]
    _, _, listed = server.request("GET", "/v1/stores/main/refunds?status=awaiting_destination",
                                  token=ADMIN)
    assert rf["id"] in [r["id"] for r in listed["data"]]
    assert all(r["status"] == "awaiting_destination" for r in listed["data"])
    post_form(server, page_path(again), "erin@example.com")
    st, _, err = server.request("POST", f"/v1/stores/main/refunds/{rf['id']}/claim-link", {},
                                token=PAYOUT)
    assert st == 409, err


def test_approval_decided_at_the_claim(stack):
    """Above the claimed destination's backend's threshold the refund waits for
    an approval of that destination: decided at the claim, not at create."""
    server, _, _, _, _, conn = stack
    stores = STORES.replace("[stores.lightning_payout.refunds]\nenabled = true\n",
                            "[stores.lightning_payout.refunds]\nenabled = true\n"
                            "manual_approval_threshold_sats = 5000\n")
    assert stores != STORES
    server.restart(stores=stores)
    _, rf = claimable(stack, 6000)
    assert rf["approval_status"] == "not_required"
    st, _, html = post_form(server, page_path(rf), "frank@example.com")
    assert st == 200 and 'id="status">claimed<' in html
    got = get(server, rf["id"])
    assert got["status"] == "pending" and got["approval_status"] == "required"
    with conn.cursor() as cur:
        cur.execute("SELECT event_type FROM webhook_outbox WHERE object_id = %s ORDER BY id",
                    (rf["id"],))
        types = [row[0] for row in cur.fetchall()]
    assert types[-2:] == ["refund.claimed", "refund.approval_required"], types
    server.restart(stores=STORES)


def test_rate_limit_per_address(stack):
    """Last in the module: it restarts the server with a limit of 3 a minute."""
    server = stack[0]
    _, rf = claimable(stack, 1000)
    server.server_extra = f'public_url = "{server.base}"\nclaim_requests_per_minute = 3\n'
    server.restart(stores=STORES)
    for _ in range(2):  # counted per clock minute: once more if one began meanwhile
        t0 = time.time()
        got = [server.request("GET", page_path(rf)) for _ in range(4)]
        if int(t0 // 60) == int(time.time() // 60):
            break
    assert [g[0] for g in got] == [200, 200, 200, 429], [g[0] for g in got]
    assert got[3][1]["Retry-After"] == "60"
    # other routes are not counted; the claim stays open
    assert server.request("GET", "/healthz")[0] == 200
    assert get(server, rf["id"])["status"] == "awaiting_destination"
