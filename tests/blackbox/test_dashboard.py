"""The operator dashboard (docs/dashboard.md) in a real headless chromium,
against qpayd serve, PostgreSQL, the fake bitcoind and qpayd-executor: sign-in
per role, a refund made from the invoice page and paid, one refund for a
double click, the API's error beside the field, the approvals queue, a
claimable refund's link and QR, claimed on its page and paid, XSS
payloads kept as text, no console errors; plus the static route's headers
without a browser. One server and one browser for the module."""
import json
import re
import time
import urllib.request

import pytest

from apiutil import ADMIN, API, PAYOUT, REGTEST_ADDR
from browser import browser_new, console_errors, screenshot
from conftest import EXECUTOR, PAYOUT_ENV, QPAYD, Server, assert_no_sanitizer, base_env, run
from payutil import EXECUTOR_LIGHTNING, LIMITED, ln_pay
from test_executor_pay import Fake, FAKES

THRESHOLD = 50000
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
XSS = ['<script>window.__xss=1</script>', '"><img src=x onerror="window.__xss=1">']


def stores(keys=""):
    return f"""
[auth]
api_token_env = "QPAYD_API_TOKEN"

[[stores]]
id = "main"
network = "regtest"
admin_token_env = "QPAYD_MAIN_ADMIN_TOKEN"
payout_token_env = "QPAYD_MAIN_PAYOUT_TOKEN"
{keys}

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 500000
manual_approval_threshold_sats = {THRESHOLD}
"""


@pytest.fixture(scope="module")
def stack(cluster, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dash")
    dbname = cluster.new_database()
    url = cluster.url(dbname)
    user, password = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
    bitcoind = Fake(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0", "--rpcauth",
                     f"{user}:{password}", "--chain", "regtest", "--ledger",
                     str(tmp / "bitcoind.jsonl")])
    # the executor pays only what its receive backend proves was paid
    phoenixd = Fake(["/usr/bin/python3", f"{FAKES}/phoenixd.py", "--port", "0", "--password",
                     PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"], "--limited-password",
                     LIMITED, "--ledger", str(tmp / "phoenixd.jsonl"), "--network", "regtest"])
    server = Server(tmp, url, stores=stores())
    # the claim links name the server's own port, known once it has one
    server.server_extra = f'public_url = "{server.base}"\nclaim_requests_per_minute = 100000\n'
    server.restart(stores=stores())
    server.pay = lambda inv_id, sats: ln_pay(conn, phoenixd.url, inv_id, sats)
    conn = cluster.connect(dbname)
    server.db = conn
    cfg = tmp / "executor.toml"
    cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[executor]
name = "wallet-dash"
request_timeout_seconds = 3
journal = "{tmp}/journal"

[[stores]]
id = "main"
network = "regtest"
{EXECUTOR_LIGHTNING.format(url=phoenixd.url)}
[stores.bitcoin_payout]
backend = "bitcoind"
url = "{bitcoind.url}"
wallet = "refunds"
rpc_auth_env = "QPAYD_BITCOIN_REFUND_RPC_AUTH"

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 500000
manual_approval_threshold_sats = {THRESHOLD}
poll_seconds = 30
""")
    env = base_env(url, PAYOUT_ENV)
    yield server, bitcoind, cfg, env
    server.daemon.stop()
    conn.close()
    bitcoind.stop()
    phoenixd.stop()
    assert_no_sanitizer(server.daemon.text(), "qpayd")


@pytest.fixture(scope="module")
def browser():
    d = browser_new()
    yield d
    d.quit()


def invoice(server, paid, description=None, metadata=None, dest=REGTEST_ADDR, proven=False):
    """A paid invoice: by mark-paid, or proven (paid through the fake
    phoenixd, so that the executor pays its refunds)."""
    body = {"amount_sats": paid, "refund_destination": dest}
    if description is not None:
        body["description"] = description
    if metadata is not None:
        body["metadata"] = metadata
    st, _, inv = server.request("POST", "/v1/stores/main/invoices", body, token=API)
    assert st == 201, inv
    if proven:
        server.pay(inv["id"], paid)
        return inv
    st, _, inv = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/mark-paid",
                                {"amount_sats": paid}, token=ADMIN)
    assert st == 200, inv
    return inv


def refunds_of(server, inv_id):
    st, _, body = server.request("GET", f"/v1/stores/main/invoices/{inv_id}/refunds", token=ADMIN)
    assert st == 200, body
    return body["data"]


def wait(driver, cond, timeout=10, what="condition"):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05).until(cond, what)
    except TimeoutException:
        screenshot(driver, "failed")
        main = driver.execute_script("return document.body.innerText")
        raise AssertionError(f"waited for {what} at {driver.current_url}; the page shows:\n{main}\n"
                             f"console: {console_errors(driver)}") from None


def by(css):
    from selenium.webdriver.common.by import By
    return (By.CSS_SELECTOR, css)


def find(driver, css):
    return driver.find_element(*by(css))


def visible(css):
    from selenium.webdriver.support import expected_conditions as EC
    return EC.visibility_of_element_located(by(css))


def text_in(css, text):
    from selenium.webdriver.support import expected_conditions as EC
    return EC.text_to_be_present_in_element(by(css), text)


def no_errors(driver, allow=()):
    """No console errors, except failed loads with an expected status."""
    errs = [e for e in console_errors(driver) if not any(a in e for a in allow)]
    assert errs == [], errs


def sign_in(driver, server, *tokens):
    driver.get(server.base + "/dashboard/")
    driver.execute_script("sessionStorage.clear()")
    driver.get(server.base + "/dashboard/#/")
    driver.refresh()
    wait(driver, visible("#signin"), what="sign-in form")
    find(driver, "#token").send_keys(tokens[0])
    if len(tokens) > 1:
        find(driver, "#token2").send_keys(tokens[1])
    find(driver, "#signin button[type=submit]").click()
    wait(driver, visible("#nav"), what="navigation after sign-in")


def go(driver, server, page):
    """Opens the dashboard at page ("#/refunds") and waits until the page
    drawn is that one (a hash change only: no reload)."""
    url = server.base + "/dashboard/" + page
    driver.get(url)
    wait(driver, lambda d: d.execute_script(
        "return location.href === arguments[0] && "
        "document.querySelector('main').dataset.page === location.hash", url),
        what=f"page {page}")


def nav_shown(driver):
    return [a.text for a in driver.find_elements(*by("#nav a")) if a.is_displayed()]


# ---------------------------------------------------------------- no browser

def get(server, path, headers=None, method="GET"):
    req = urllib.request.Request(server.base + path, headers=headers or {}, method=method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_static_route_headers(stack):
    server = stack[0]
    st, h, body = get(server, "/dashboard/")
    assert st == 200 and h["Content-Type"] == "text/html; charset=utf-8"
    assert b'<script type="module" src="app.js"></script>' in body
    assert h["Content-Security-Policy"] == CSP
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["Cache-Control"] == "no-cache"
    etag = h["ETag"]
    assert re.fullmatch(r'"\d+-\d+"', etag), etag
    st, h, body = get(server, "/dashboard/", {"If-None-Match": etag})
    assert st == 304 and body == b"" and h["ETag"] == etag
    st, h, body = get(server, "/dashboard/app.js")
    assert st == 200 and h["Content-Type"] == "text/javascript; charset=utf-8"
    assert h["Content-Security-Policy"] == CSP and b"import" in body
    assert get(server, "/dashboard/app.css")[1]["Content-Type"] == "text/css; charset=utf-8"
    for path in ("/dashboard/nope.js", "/dashboard/../app.js", "/dashboard/x/app.js"):
        st, h, body = get(server, path)
        assert st == 404 and json.loads(body)["error"]["code"] == "not_found", path
        assert h["Content-Security-Policy"] == CSP
    st, h, _ = get(server, "/dashboard")
    assert st == 308 and h["Location"] == "/dashboard/"
    st, h, _ = get(server, "/dashboard/", method="POST")
    assert st == 405 and h["Allow"] == "GET, HEAD"
    st, h, body = get(server, "/dashboard/app.js", method="HEAD")
    assert st == 200 and body == b""


def test_dashboard_off(tmp_path, dburl, daemons):
    server = Server(tmp_path, dburl, server_extra='dashboard_path = ""')
    daemons.append(server)
    st, _, body = get(server, "/dashboard/")
    assert st == 404 and b"no route for GET /dashboard/" in body
    (tmp_path / "ops").mkdir()
    server2 = Server(tmp_path / "ops", dburl, server_extra='dashboard_path = "/ops/"')
    daemons.append(server2)
    assert get(server2, "/ops/")[0] == 200
    assert get(server2, "/dashboard/")[0] == 404


def test_whoami_and_approval_filter(stack):
    server = stack[0]
    want = {
        API: ("api", dict(invoices=True, mark_paid=False, refunds_read=False,
                          refund_create=False, approve=False)),
        ADMIN: ("admin", dict(invoices=False, mark_paid=True, refunds_read=True,
                              refund_create=False, approve=True)),
        PAYOUT: ("payout", dict(invoices=False, mark_paid=False, refunds_read=True,
                                refund_create=True, approve=False)),
    }
    for token, (role, can) in want.items():
        st, _, body = server.request("GET", "/v1/stores/main/whoami", token=token)
        assert st == 200, body
        assert body == {"store_id": "main", "role": role, "can": can,
                        "signed_approvals": False}
    st, h, body = server.request("GET", "/v1/stores/main/whoami", token="wrong")
    assert st == 401 and h["WWW-Authenticate"] == "Bearer", body
    st, _, body = server.request("GET", "/v1/stores/main/whoami")
    assert st == 401, body
    st, _, body = server.request("GET", "/v1/stores/nope/whoami", token=API)
    assert st == 404 and body["error"]["code"] == "store_not_found"
    inv = invoice(server, 200000)
    small = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                           {"amount_sats": 1000}, token=PAYOUT)[2]
    big = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                         {"amount_sats": THRESHOLD + 1}, token=PAYOUT)[2]
    assert big["approval_status"] == "required" and small["approval_status"] == "not_required"
    q = f"/v1/stores/main/refunds?invoice_id={inv['id']}&approval_status="
    ids = lambda s: [r["id"] for r in server.request("GET", q + s, token=ADMIN)[2]["data"]]
    assert ids("required") == [big["id"]] and ids("not_required") == [small["id"]]
    st, _, csv = server.request("GET", q.replace("refunds?", "refunds.csv?") + "required",
                                token=ADMIN)
    assert st == 200 and len(csv.splitlines()) == 2 and big["id"] in csv, csv
    st, _, body = server.request("GET", q + "maybe", token=ADMIN)
    assert st == 400 and body["error"]["message"].startswith("approval_status:"), body
    for rid in (small["id"], big["id"]):
        assert server.request("POST", f"/v1/stores/main/refunds/{rid}/cancel",
                              token=PAYOUT)[0] == 200


# ------------------------------------------------------------------ browser

def test_sign_in_each_role(stack, browser):
    server = stack[0]
    browser.get(server.base + "/dashboard/")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    wait(browser, visible("#signin"))
    assert not find(browser, "#nav").is_displayed()  # nothing to navigate before sign-in
    screenshot(browser, "dashboard-signin")
    find(browser, "#token").send_keys("not-a-token")
    find(browser, "#signin button[type=submit]").click()
    wait(browser, text_in("#signin-error", "none of store main"))
    no_errors(browser, allow=["401"])
    sign_in(browser, server, API)
    assert nav_shown(browser) == ["Invoices", "Status"]
    sign_in(browser, server, PAYOUT)
    assert nav_shown(browser) == ["Refunds", "Status"]
    sign_in(browser, server, ADMIN)
    assert nav_shown(browser) == ["Refunds", "Approvals", "Status"]
    assert browser.execute_script("return sessionStorage.getItem('qpayd.session')")
    assert browser.get_cookies() == []
    assert ADMIN not in browser.current_url
    find(browser, "#signout").click()
    wait(browser, visible("#signin"))
    assert browser.execute_script("return sessionStorage.getItem('qpayd.session')") is None
    no_errors(browser)


def test_refund_from_invoice_page_is_paid_once(stack, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    server, bitcoind, cfg, env = stack
    inv = invoice(server, 30000, description="order 17", metadata={"order": "A-17"},
                  proven=True)
    sign_in(browser, server, API, PAYOUT)
    wait(browser, visible("table"))
    screenshot(browser, "dashboard-invoices")
    find(browser, f"a[href='#/invoice/{inv['id']}']").click()
    wait(browser, visible("#refund-form"))
    assert find(browser, "#rf-destination").get_attribute("value") == REGTEST_ADDR
    assert "at most 30000 sat" in find(browser, "#rf-amount_sats-help").text
    assert "30,000 sat" in browser.page_source and "0.00030000 BTC" in browser.page_source
    find(browser, "#rf-amount_sats").send_keys("12000")
    find(browser, "#rf-reason").send_keys("damaged")
    find(browser, "#rf-reference").send_keys("ticket 5")
    screenshot(browser, "dashboard-refund-form")
    # two clicks as fast as a person's double click: one refund
    ActionChains(browser).double_click(find(browser, "#rf-submit")).perform()
    wait(browser, visible("#refunds tr[id^=refund-rf_]"))
    time.sleep(0.3)  # a second refund, if one were made, would be there by now
    refunds = refunds_of(server, inv["id"])
    assert len(refunds) == 1, refunds
    rf = refunds[0]
    assert (rf["amount_sats"], rf["reason"], rf["reference"]) == (12000, "damaged", "ticket 5")
    assert rf["idempotency_key"].startswith("dash_")
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, (
        r.stdout + r.stderr + json.dumps(refunds_of(server, inv["id"])))
    # the page polls while the refund is in flight: no reload
    wait(browser, text_in(f"#refund-{rf['id']}", "succeeded"), what="succeeded shown")
    paid = [e for e in bitcoind.ledger() if e.get("comment") == rf["id"]]
    assert len(paid) == 1 and paid[0]["amount_sat"] == 12000
    assert "at most 18000 sat" in find(browser, "#rf-amount_sats-help").text
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot(browser, "dashboard-invoice")
    no_errors(browser)


def test_over_balance_error_beside_amount(stack, browser):
    server = stack[0]
    inv = invoice(server, 5000)
    sign_in(browser, server, API, PAYOUT)
    go(browser, server, f"#/invoice/{inv['id']}")
    wait(browser, visible("#refund-form"))
    find(browser, "#rf-amount_sats").send_keys("9000")
    find(browser, "#rf-submit").click()
    wait(browser, text_in("#rf-amount_sats-error", "exceeds the refundable balance"))
    assert find(browser, "#rf-amount_sats-error").text.startswith("amount_sats:")
    assert find(browser, "#rf-error").text == ""
    assert browser.switch_to.active_element.get_attribute("id") == "rf-amount_sats"
    assert refunds_of(server, inv["id"]) == []
    screenshot(browser, "dashboard-refund-error")
    no_errors(browser, allow=["status of 422"])


def test_approvals_queue_and_xss_stays_text(stack, browser):
    server = stack[0]
    payload = " ".join(XSS)
    inv = invoice(server, 300000, description=payload, metadata={"note": payload, XSS[1]: 1})
    st, _, rf = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                               {"amount_sats": THRESHOLD + 5000, "reason": payload,
                                "metadata": {"x": payload}, "reference": XSS[1][:100]},
                               token=PAYOUT)
    assert st == 201 and rf["approval_status"] == "required", rf
    sign_in(browser, server, ADMIN)
    go(browser, server, "#/approvals")
    button = wait(browser, visible(f"button[data-refund='{rf['id']}']"), what="approve button")
    assert payload in find(browser, f"#refund-{rf['id']}").text
    screenshot(browser, "dashboard-approvals")
    button.click()
    wait(browser, text_in("#approve-status", f"Approved {rf['id']}"), what="approved")
    got = server.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)[2]
    assert got["approval_status"] == "approved"
    # the payloads on every page that shows them: text, never markup
    sign_in(browser, server, API, ADMIN)
    for page, css in ((f"#/invoice/{inv['id']}", f"#refund-{rf['id']}"),
                      ("#/invoices", "table"), ("#/refunds", f"#refund-{rf['id']}")):
        go(browser, server, page)
        wait(browser, visible(css), what=page)
        assert payload in find(browser, "main").text, page
        assert browser.execute_script("return window.__xss") is None, page
        assert browser.find_elements(*by("main img, main script")) == [], page
    screenshot(browser, "dashboard-xss")
    no_errors(browser)


def test_refunds_status_and_narrow_screen(stack, browser):
    server = stack[0]
    inv = invoice(server, 4000)
    st, _, rf = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                               {"amount_sats": 1500}, token=PAYOUT)
    assert st == 201, rf
    with server.db.cursor() as cur:  # as the executor claims it
        cur.execute("UPDATE refunds SET status = 'processing', processing_started_at = now() "
                    "WHERE id = %s", (rf["id"],))
    sign_in(browser, server, API, ADMIN)
    go(browser, server, "#/refunds?status=processing")
    row = wait(browser, visible(f"tr.processing#refund-{rf['id']}"), what="processing row")
    assert re.search(r"processing for \d+ s", row.text), row.text
    assert "1 processing on this page" in find(browser, "main .warn").text
    screenshot(browser, "dashboard-refunds-processing")
    go(browser, server, "#/refunds?status=succeeded")
    wait(browser, visible("tbody tr"))
    statuses = [e.text for e in browser.find_elements(*by("tbody .badge"))
                if e.text in ("pending", "succeeded", "canceled")]
    assert statuses and set(statuses) == {"succeeded"}, statuses
    screenshot(browser, "dashboard-refunds")
    go(browser, server, "#/status")
    wait(browser, text_in("main", "Database"))
    assert "ready" in find(browser, "main dl").text
    screenshot(browser, "dashboard-status")
    no_errors(browser)
    browser.set_window_size(360, 780)
    try:
        for page in ("#/invoices", "#/refunds"):
            go(browser, server, page)
            wait(browser, visible("table"))
            width = browser.execute_script("return document.documentElement.scrollWidth")
            assert width <= 360, (page, width)
        screenshot(browser, "dashboard-mobile")
        # keyboard: the skip link first, Tab goes on to the navigation
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys
        first = browser.execute_script(
            "const e = document.querySelector('a[href], button, input, select');"
            "e.focus(); return e.className")
        assert first == "skip"
        ActionChains(browser).send_keys(Keys.TAB).perform()
        assert browser.switch_to.active_element.text == "Invoices"
        outline = browser.execute_script(
            "return getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid", outline
    finally:
        browser.set_window_size(1280, 900)
    no_errors(browser)


def test_amounts_exact(stack, browser):
    """fmt.js's BTC is integer arithmetic: exact up to 21 million BTC, where a
    float division would print 20999999.99999999 or 0.30000000000000004."""
    go(browser, stack[0], "#/status")
    got = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "import('./fmt.js').then((m) => done([1, 30000000, 99999999, 150000000, "
        "2099999999999999, 2100000000000000].map((n) => m.btc(n)).concat(m.sats(2100000000000000))))")
    assert got == ["0.00000001", "0.30000000", "0.99999999", "1.50000000",
                   "20999999.99999999", "21000000.00000000", "2,100,000,000,000,000 sat"]


def test_invoice_pages_by_cursor(stack, browser):
    server = stack[0]
    for i in range(21):
        st, _, body = server.request("POST", "/v1/stores/main/invoices",
                                     {"amount_sats": 100 + i}, token=API)
        assert st == 201, body
    st, _, page = server.request("GET", "/v1/stores/main/invoices?limit=100", token=API)
    every = [i["id"] for i in page["data"]]
    assert len(every) > 20 and not page["has_more"]
    sign_in(browser, server, API)
    ids = lambda: [a.text for a in browser.find_elements(*by("tbody a[href^='#/invoice/']"))]
    wait(browser, lambda d: len(ids()) == 20, what="a first page of 20")
    first = ids()
    find(browser, "#next-page").click()
    wait(browser, lambda d: ids() and ids()[0] not in first, what="the next page")
    assert first + ids() == every[:20 + len(ids())]
    assert browser.execute_script("return location.hash").startswith("#/invoices?cursor=")
    no_errors(browser)


def test_signed_approvals_show_the_command(stack, browser, tmp_path):
    server = stack[0]
    r = run(QPAYD, ["approval-key", "new", "--out", str(tmp_path / "k")], base_env())
    assert r.returncode == 0, r.stderr
    pub = r.stdout.strip()
    server.restart(stores=stores(f'approval_public_keys = "{pub}"'))
    inv = invoice(server, 300000)
    st, _, rf = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                               {"amount_sats": THRESHOLD + 1}, token=PAYOUT)
    assert st == 201, rf
    sign_in(browser, server, ADMIN)
    go(browser, server, "#/approvals")
    wait(browser, visible(f"#refund-{rf['id']}"), what="the refund waiting")
    cmd = wait(browser, visible(f"#cmd-{rf['id']} code.cmd"), what="its command")
    assert cmd.text.endswith(f"qpayd approve --key /path/to/approver.key --store main "
                             f"--url {server.base} {rf['id']}"), cmd.text
    assert browser.find_elements(*by("button.approve")) == []
    assert "never sees the key" in find(browser, "#approvals-note").text
    screenshot(browser, "dashboard-approvals-signed")
    no_errors(browser)


def claim_path(url):
    return "/claim/" + url.rsplit("/claim/", 1)[1]


def test_claimable_refund_link_claim_and_paid(stack, browser):
    """A claimable refund from the invoice page: its link and QR, a new link
    from the refunds page (the old one stops), the customer claims it on the
    claim page in this browser, the dashboard shows the destination and the
    executor pays it; Cancel on another one."""
    server, bitcoind, cfg, env = stack
    inv = invoice(server, 20000, dest=None, proven=True)
    sign_in(browser, server, API, PAYOUT)
    go(browser, server, f"#/invoice/{inv['id']}")
    wait(browser, visible("#refund-form"))
    find(browser, "#rf-amount_sats").send_keys("7000")
    find(browser, "#rf-claim").click()
    assert not find(browser, "#rf-destination").is_displayed()
    find(browser, "#rf-submit").click()
    box = wait(browser, visible("#claim-box"), what="the claim link")
    old = find(browser, "#claim-url").get_attribute("value")
    assert old.startswith(server.base + "/claim/"), old
    assert find(browser, "#claim-open").get_attribute("href") == old
    assert "noreferrer" in find(browser, "#claim-open").get_attribute("rel")
    wait(browser, lambda d: d.execute_script(
        "return document.getElementById('claim-qr').naturalWidth") > 0, what="the QR drawn")
    [rf] = refunds_of(server, inv["id"])
    assert (rf["status"], rf["amount_sats"], rf["destination"]) == (
        "awaiting_destination", 7000, None)
    row = wait(browser, visible(f"#refund-{rf['id']}"), what="the refund's row")
    assert "awaiting customer" in row.text and "claim by" in row.text, row.text
    find(browser, "#claim-copy").click()
    wait(browser, lambda d: find(d, "#claim-copy-status").text != "", what="copied")
    assert box.is_displayed()
    browser.execute_script("document.getElementById('claim-box').scrollIntoView()")
    screenshot(browser, "dashboard-claim-link")
    # the refunds page: the filter offers it; a new link stops the old one
    go(browser, server, "#/refunds?status=awaiting_destination")
    assert find(browser, "#r-status option[value=awaiting_destination]").text == \
        "awaiting customer"
    wait(browser, visible(f"button.renew[data-refund='{rf['id']}']")).click()
    wait(browser, text_in("#claim-note", "no longer works"), what="the new link")
    new = find(browser, "#claim-url").get_attribute("value")
    assert new != old and new.startswith(server.base + "/claim/")
    wait(browser, lambda d: d.execute_script(
        "return document.getElementById('claim-qr').naturalWidth") > 0, what="the new QR")
    screenshot(browser, "dashboard-claim-renewed")
    assert get(server, claim_path(old))[0] == 404
    # the customer, on the new link
    browser.get(new)
    find(browser, "#destination").send_keys(REGTEST_ADDR)
    find(browser, "button[type=submit]").click()
    wait(browser, text_in("#status", "claimed"), what="claimed")
    go(browser, server, f"#/invoice/{inv['id']}")
    row = wait(browser, text_in(f"#refund-{rf['id']}", "claimed by the customer"),
               what="claimed shown")
    assert REGTEST_ADDR in find(browser, f"#refund-{rf['id']}").text
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
    # (exit 3 when an earlier test's refund, made processing by hand, is left)
    assert "succeeded=1 failed=0" in r.stdout, r.stdout + r.stderr
    wait(browser, text_in(f"#refund-{rf['id']}", "succeeded"), what="succeeded shown")
    paid = [e for e in bitcoind.ledger() if e.get("comment") == rf["id"]]
    assert len(paid) == 1 and paid[0]["amount_sat"] == 7000
    screenshot(browser, "dashboard-claim-paid")
    # another one, canceled from the dashboard: its link stops
    st, _, other = server.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                                  {"amount_sats": 1000, "claim": True}, token=PAYOUT)
    assert st == 201 and other["claim_qr_svg"].startswith("<svg"), other
    go(browser, server, "#/refunds?status=awaiting_destination")
    wait(browser, visible(f"button.cancel[data-refund='{other['id']}']")).click()
    wait(browser, text_in("#claim-note", f"Canceled {other['id']}"), what="cancel said")
    assert browser.find_elements(*by(f"#refund-{other['id']}")) == []  # no longer awaiting
    assert refunds_of(server, inv["id"])[-1]["status"] == "canceled"
    st, _, page = get(server, claim_path(other["claim_url"]))  # says so, without the form
    assert st == 200 and b"canceled" in page and b'name="destination"' not in page, page
    no_errors(browser)
