"""Outgoing webhooks (docs/webhooks.md) against a real receiver: a small
threaded HTTP server in the test that records every POST it gets."""
import http.server
import json
import os
import re
import subprocess
import threading
import time

from apiutil import ADMIN, API, MAINNET_ADDR, PAYOUT, create_refund, paid_invoice
from conftest import QPAYD, TEST_ENV, Server, base_env, run

SECRET = TEST_ENV["QPAYD_MAIN_WEBHOOK_SECRET"]
OTHER_SECRET = "whsec-other-canary-9191"
ENV = {"QPAYD_OTHER_WEBHOOK_SECRET": OTHER_SECRET}
DOCS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "webhooks.md")


def documented_shell():
    """The shell snippet of docs/webhooks.md, as documented."""
    text = open(DOCS).read()
    return re.search(r"```sh\n(.*?)```", text, re.S).group(1)


def documented_verify():
    """The Python snippet of docs/webhooks.md, as documented."""
    text = open(DOCS).read()
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    scope = {}
    exec(snippet, scope)
    return scope["verify"]


class Receiver:
    """Records (path, headers, body bytes, time) of every POST. behaviour(path,
    event) returns the status to answer, or "hang" to hold the request."""

    def __init__(self):
        self.got = []
        self.lock = threading.Lock()
        self.behaviour = lambda path, event: 200
        self.release = threading.Event()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                try:
                    event = json.loads(body)
                except ValueError:
                    event = None
                with rec.lock:
                    rec.got.append((self.path, dict(self.headers), body, time.time()))
                answer = rec.behaviour(self.path, event)
                if answer == "hang":
                    rec.release.wait(60)
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok" if answer < 300 else b"no")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def events(self, path=None):
        with self.lock:
            got = list(self.got)
        return [json.loads(b) for p, _, b, _ in got if path is None or p == path]

    def wait(self, pred, timeout=20, what="events"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}: {self.events()}")

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def config(url, events="*", private="true", other_url=None, other_events="*"):
    other = ""
    if other_url is not None:
        other = f"""
[stores.webhooks]
url = "{other_url}"
secret_env = "QPAYD_OTHER_WEBHOOK_SECRET"
events = "{other_events}"
allow_private_targets = true
first_retry_seconds = 1
"""
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

[stores.bitcoin_payout.refunds]
enabled = false
manual_approval_threshold_sats = 250000

[stores.webhooks]
url = "{url}"
secret_env = "QPAYD_MAIN_WEBHOOK_SECRET"
events = "{events}"
allow_private_targets = {private}
first_retry_seconds = 1

[[stores]]
id = "other"
network = "mainnet"
{other}"""


def start(tmp_path, dburl, daemons, stores):
    s = Server(tmp_path, dburl, workers=2, stores=stores, env_extra=ENV)
    daemons.append(s)
    return s


def test_every_event_once_in_order_and_signed(tmp_path, dburl, daemons, cluster, dbname):
    rcv = Receiver()
    try:
        s = start(tmp_path, dburl, daemons,
                  config(rcv.url("/main"), other_url=rcv.url("/other"),
                         other_events="refund.succeeded,refund.broadcast, payment.refunded,"
                                      "refund.initiated"))
        verify = documented_verify()
        # main: invoice created, paid; a refund over the threshold: created,
        # approved, finalized on-chain; the invoice refunded.
        inv = paid_invoice(s, 300000)
        rid = create_refund(s, inv["id"], 300000)[2]["id"]
        assert s.request("POST", f"/v1/stores/main/refunds/{rid}/approve", token=ADMIN)[0] == 200
        status, _, done = s.request("POST", f"/v1/stores/main/refunds/{rid}/finalize",
                                    {"tx_id": "ab" * 32}, token=PAYOUT)
        assert status == 200, done
        # Two more refunds: one canceled, one failed.
        inv2 = paid_invoice(s, 5000)
        r2 = create_refund(s, inv2["id"], 1000)[2]["id"]
        r3 = create_refund(s, inv2["id"], 1000)[2]["id"]
        s.request("POST", f"/v1/stores/main/refunds/{r2}/cancel", token=PAYOUT)
        s.request("POST", f"/v1/stores/main/refunds/{r3}/fail",
                  {"failure_reason": "customer gone"}, token=PAYOUT)
        # The executor's moves, as its role would make them: claim, a fee
        # warning, the chain's tx_dropped, success.
        r4 = create_refund(s, inv2["id"], 1000)[2]["id"]
        r5 = create_refund(s, inv2["id"], 1000)[2]["id"]
        conn = cluster.connect(dbname)
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM refund_transition('main', %s, 'claim', 'executor:t', "
                        "p_backend => 'bitcoin', p_executor => 't')", (r4,))
            for ev in ("fee_warning", "tx_conflicted", "tx_dropped", "deferred_note_not_sent"):
                cur.execute("SELECT 1 FROM refund_transition('main', %s, 'note', 'executor:t', "
                            "p_event => %s)", (r4, ev))
            cur.execute("SELECT 1 FROM refund_transition('main', %s, 'succeed', 'executor:t', "
                        "p_tx_id => %s, p_attempt => 1)", (r4, "cd" * 32))
            # the chain's "confirmed" of a succeeded refund, as its migration's
            # function records it (an event row; the refund stays succeeded)
            cur.execute("INSERT INTO refund_events (refund_id, store_id, actor, event, "
                        "from_status, to_status) VALUES (%s, 'main', 'executor:t', 'confirmed', "
                        "'succeeded', 'succeeded')", (r4,))
            # the executor's own, lower threshold sends one back to approval
            cur.execute("SELECT 1 FROM refund_transition('main', %s, 'require_approval', "
                        "'executor:t')", (r5,))
        # invoice.expired, recorded by the sweep once expires_at has passed
        _, _, inv3 = s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 700},
                               token=API)
        with conn.cursor() as cur:
            cur.execute("UPDATE invoices SET expires_at = now() - interval '1 second' "
                        "WHERE id = %s", (inv3["id"],))
        conn.close()

        want = {
            inv["id"]: ["invoice.created", "invoice.paid", "invoice.refunded"],
            rid: ["refund.created", "refund.approval_required", "refund.approved",
                  "refund.succeeded"],
            inv2["id"]: ["invoice.created", "invoice.paid"],
            r2: ["refund.created", "refund.canceled"],
            r3: ["refund.created", "refund.failed"],
            r4: ["refund.created", "refund.processing", "refund.fee_warning",
                 "refund.needs_attention", "refund.needs_attention", "refund.succeeded",
                 "refund.confirmed"],
            r5: ["refund.created", "refund.approval_required"],
            inv3["id"]: ["invoice.created", "invoice.expired"],
        }
        total = sum(len(v) for v in want.values())
        rcv.wait(lambda: len(rcv.events("/main")) >= total, what="main's events")
        time.sleep(1.5)  # nothing more may come
        got = {}
        for e in rcv.events("/main"):
            got.setdefault(e["data"]["id"], []).append(e["type"])
        assert got == want
        # Signed with main's secret, per the documented snippet; a changed
        # body or another secret does not verify.
        ids = set()
        for path, headers, body, _ in list(rcv.got):
            secret = SECRET if path == "/main" else OTHER_SECRET
            sig = headers["Qpayd-Signature"]
            assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", sig)
            assert verify(secret, sig, body), (path, body)
            assert not verify(secret, sig, body + b" ")
            assert not verify("another secret", sig, body)
            e = json.loads(body)
            assert set(e) == {"id", "type", "created_at", "data"}
            assert e["id"] not in ids
            ids.add(e["id"])
        # The documented shell check (openssl) agrees on a real delivery.
        _, headers, body, _ = rcv.got[0]
        (tmp_path / "body.json").write_bytes(body)
        for secret, want in ((SECRET, "valid"), ("another secret", "INVALID")):
            r = subprocess.run(["sh", "-c", documented_shell()], cwd=tmp_path, capture_output=True,
                               text=True, env=dict(os.environ, SIG=headers["Qpayd-Signature"],
                                                   SECRET=secret))
            assert r.stdout.strip() == want, (r.stdout, r.stderr)
        # The body's data is the object as the API shows it.
        last = [e for e in rcv.events("/main") if e["data"]["id"] == rid][-1]
        assert last["data"]["status"] == "succeeded" and last["data"]["tx_id"] == "ab" * 32
        _, _, now = s.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)
        assert set(now) == set(last["data"])
        # ... and the refund now shows that the shop was notified.
        assert now["last_notification_at"] is not None
    finally:
        rcv.stop()


def test_other_store_gets_only_its_subscribed_types_and_aliases(tmp_path, dburl, daemons,
                                                                 cluster, dbname):
    from apiutil import GLOBAL_ADMIN, GLOBAL_PAYOUT
    rcv = Receiver()
    try:
        s = start(tmp_path, dburl, daemons,
                  config(rcv.url("/main"), other_url=rcv.url("/other"),
                         other_events="refund.succeeded,refund.broadcast, payment.refunded,"
                                      "refund.initiated"))
        inv = paid_invoice(s, 4000, store="other", admin=GLOBAL_ADMIN)
        status, _, rf = create_refund(s, inv["id"], 4000, store="other", token=GLOBAL_PAYOUT)
        assert status == 201, rf
        conn = cluster.connect(dbname)
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM refund_transition('other', %s, 'claim', 'executor:t', "
                        "p_backend => 'bitcoin', p_executor => 't')", (rf["id"],))
            cur.execute("SELECT 1 FROM refund_transition('other', %s, 'succeed', 'executor:t', "
                        "p_tx_id => %s, p_attempt => 1)", (rf["id"], "ef" * 32))
        conn.close()
        rcv.wait(lambda: len(rcv.events("/other")) >= 4, what="other's events")
        time.sleep(1.5)
        types = [e["type"] for e in rcv.events("/other")]
        # In order per object; the invoice and the refund are not ordered
        # between them (one transaction changes both).
        assert [t for t in types if t != "payment.refunded"] == [
            "refund.initiated", "refund.succeeded", "refund.broadcast"]
        assert types.count("payment.refunded") == 1
        assert rcv.events("/main") == []
        # The skipped ones are in the log under status=skipped only.
        _, _, page = s.request("GET", "/v1/stores/other/webhook-deliveries?limit=100",
                               token=GLOBAL_ADMIN)
        assert sorted(d["type"] for d in page["data"]) == sorted(types)
        _, _, skipped = s.request("GET", "/v1/stores/other/webhook-deliveries?status=skipped",
                                  token=GLOBAL_ADMIN)
        assert "invoice.created" in [d["type"] for d in skipped["data"]]
    finally:
        rcv.stop()


def test_failing_three_times_then_succeeding(tmp_path, dburl, daemons):
    rcv = Receiver()
    tries = {}

    def flaky(path, event):
        tries[event["id"]] = tries.get(event["id"], 0) + 1
        return 500 if tries[event["id"]] <= 3 else 204

    rcv.behaviour = flaky
    try:
        s = start(tmp_path, dburl, daemons, config(rcv.url()))
        _, _, inv = s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000},
                              token=API)
        rcv.wait(lambda: len(rcv.events()) >= 4, timeout=30, what="4 attempts")
        time.sleep(2)
        got = rcv.events()
        assert len(got) == 4 and len({e["id"] for e in got}) == 1
        assert got[0]["type"] == "invoice.created" and got[0]["data"]["id"] == inv["id"]
        times = [t for _, _, _, t in rcv.got]
        # backoff: about 1, 2, 4 s (half of it jitter), growing
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert 0.4 < gaps[0] < 2.5 and gaps[1] > 0.9 and gaps[2] > 1.9, gaps
        _, _, page = s.request("GET", "/v1/stores/main/webhook-deliveries", token=ADMIN)
        d = page["data"][0]
        assert d["status"] == "delivered" and d["attempts"] == 4 and d["last_status"] == 204
        assert [a["result"] for a in d["attempt_log"]] == ["retry"] * 3 + ["delivered"]
        assert [a["http_status"] for a in d["attempt_log"]] == [500, 500, 500, 204]
        assert d["attempt_log"][0]["response"] == "no"
        assert d["event_id"] == got[0]["id"]
        status, _, text = s.request("GET", "/metrics")
        assert re.search(r'qpayd_webhook_deliveries_total\{result="retry"\} 3\b', text), text
        assert re.search(r'qpayd_webhook_deliveries_total\{result="delivered"\} 1\b', text)
        assert "qpayd_webhook_outbox_pending " in text
    finally:
        rcv.stop()


def test_hanging_receiver_slows_neither_api_nor_other_stores(tmp_path, dburl, daemons):
    from apiutil import GLOBAL_ADMIN
    rcv = Receiver()
    rcv.behaviour = lambda path, event: "hang" if path == "/main" else 200
    try:
        s = start(tmp_path, dburl, daemons,
                  config(rcv.url("/main"), other_url=rcv.url("/other")))
        for _ in range(3):  # several objects of main, all hanging
            s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000}, token=API)
        rcv.wait(lambda: len(rcv.events("/main")) >= 1, what="the hanging delivery")
        worst = 0
        for i in range(20):
            t0 = time.time()
            status, _, inv = s.request("POST", "/v1/stores/other/invoices",
                                       {"amount_sats": 1000 + i}, token=API)
            worst = max(worst, time.time() - t0)
            assert status == 201
        assert worst < 1.0, worst
        # other's deliveries arrive meanwhile, within seconds
        rcv.wait(lambda: len(rcv.events("/other")) >= 20, timeout=15, what="other's events")
        assert len(rcv.events("/main")) <= 2  # one store, one delivery at a time
        _, _, page = s.request("GET", "/v1/stores/other/webhook-deliveries?limit=5",
                               token=GLOBAL_ADMIN)
        assert all(d["status"] == "delivered" for d in page["data"])
    finally:
        rcv.stop()


def test_private_address_refused_without_allow_private_targets(tmp_path, dburl, daemons):
    rcv = Receiver()
    try:
        url = f"https://127.0.0.1:{rcv.port}/hook"
        s = start(tmp_path, dburl, daemons, config(url, private="false"))
        _, _, inv = s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000},
                              token=API)
        deadline = time.time() + 15
        while time.time() < deadline:
            _, _, page = s.request("GET", "/v1/stores/main/webhook-deliveries", token=ADMIN)
            if page["data"] and page["data"][0]["attempts"] >= 1:
                break
            time.sleep(0.2)
        d = page["data"][0]
        assert d["status"] == "pending" and d["attempt_log"][0]["result"] == "refused"
        assert "127.0.0.1" in d["last_error"] and "private" in d["last_error"]
        assert d["attempt_log"][0]["http_status"] is None
        assert rcv.events() == []
        # An http:// notification_url is refused too, at create.
        status, _, err = s.request("POST", "/v1/stores/main/invoices",
                                   {"amount_sats": 1000, "notification_url": rcv.url()},
                                   token=API)
        assert status == 422 and err["error"]["code"] == "invalid_notification_url"
    finally:
        rcv.stop()


def test_http_url_needs_allow_private_targets(tmp_path):
    cfg = tmp_path / "qpayd.toml"
    cfg.write_text(config("http://shop.example.com/hook", private="false"))
    env = base_env(None, ENV)
    r = run(QPAYD, ["--config", str(cfg), "check-config"], env)
    assert r.returncode != 0
    assert "[stores.webhooks] url: must be https://" in r.stderr + r.stdout
    cfg.write_text(config("https://shop.example.com/hook", events="refund.nonsense"))
    r = run(QPAYD, ["--config", str(cfg), "check-config"], env)
    assert r.returncode != 0 and "events" in r.stderr + r.stdout


def test_notification_url_and_redeliver(tmp_path, dburl, daemons):
    rcv = Receiver()
    try:
        s = start(tmp_path, dburl, daemons, config(rcv.url("/store"), events="refund.created"))
        inv = paid_invoice(s, 5000)
        status, _, rf = s.request("POST", f"/v1/stores/main/invoices/{inv['id']}/refunds",
                                  {"amount_sats": 1000, "destination": MAINNET_ADDR,
                                   "notification_url": rcv.url("/own")}, token=PAYOUT)
        assert status == 201, rf
        s.request("POST", f"/v1/stores/main/refunds/{rf['id']}/cancel", token=PAYOUT)
        rcv.wait(lambda: len(rcv.events("/own")) >= 2 and len(rcv.events("/store")) >= 1)
        time.sleep(1)
        assert [e["type"] for e in rcv.events("/own")] == ["refund.created", "refund.canceled"]
        assert [e["type"] for e in rcv.events("/store")] == ["refund.created"]
        verify = documented_verify()
        assert all(verify(SECRET, h["Qpayd-Signature"], b) for _, h, b, _ in rcv.got)
        # Redeliver the store's delivery: admin only, same event id again.
        _, _, page = s.request("GET", f"/v1/stores/main/webhook-deliveries?object_id={rf['id']}",
                               token=ADMIN)
        store_d = [d for d in page["data"] if d["target"] == "store"][0]
        assert [d["target"] for d in page["data"]].count("notification_url") == 2
        path = f"/v1/stores/main/webhook-deliveries/{store_d['id']}/redeliver"
        assert s.request("POST", path, token=PAYOUT)[0] == 401
        assert s.request("POST", path, token=API)[0] == 401
        assert s.request("POST", "/v1/stores/main/webhook-deliveries/999999/redeliver",
                         token=ADMIN)[0] == 404
        key = {"Idempotency-Key": "redeliver-1"}
        status, _, d = s.request("POST", path, headers=key, token=ADMIN)
        assert status == 202 and d["status"] == "pending"
        rcv.wait(lambda: len(rcv.events("/store")) >= 2, what="the redelivery")
        again = rcv.events("/store")
        assert again[0]["id"] == again[1]["id"] == store_d["event_id"]
        # The same key again (a client retrying): the first answer, not a
        # third delivery.
        status, _, replay = s.request("POST", path, headers=key, token=ADMIN)
        assert status == 202 and replay == d
        time.sleep(1.5)
        assert len(rcv.events("/store")) == 2
        _, _, page = s.request("GET", "/v1/stores/main/webhook-deliveries?limit=1&"
                               f"starting_after={store_d['id'] + 1}", token=ADMIN)
        assert page["data"][0]["attempts"] == 2 and page["data"][0]["status"] == "delivered"
        assert s.request("GET", "/v1/stores/main/webhook-deliveries?limit=0", token=ADMIN)[0] == 400
    finally:
        rcv.stop()


def test_secret_never_in_logs_or_answers(tmp_path, dburl, daemons):
    rcv = Receiver()
    rcv.behaviour = lambda path, event: 500
    try:
        s = start(tmp_path, dburl, daemons, config(rcv.url()))
        seen = []
        seen.append(s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000},
                              token=API))
        rcv.wait(lambda: len(rcv.events()) >= 2, what="two attempts")
        seen.append(s.request("GET", "/v1/stores/main/webhook-deliveries", token=ADMIN))
        seen.append(s.request("GET", "/metrics"))
        seen.append(s.request("GET", "/readyz"))
        for status, headers, body in seen:
            assert SECRET not in json.dumps(body) + str(headers)
        for _, headers, body, _ in rcv.got:
            assert SECRET.encode() not in body and SECRET not in str(headers)
        assert "webhook delivery failed" in s.daemon.text()
        assert SECRET not in s.daemon.text()
    finally:
        rcv.stop()


def test_store_without_webhooks_skips_its_events(tmp_path, dburl, daemons):
    from apiutil import GLOBAL_ADMIN
    from conftest import DEFAULT_STORES
    s = start(tmp_path, dburl, daemons, DEFAULT_STORES)
    for i in range(5):
        assert s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000 + i},
                         token=API)[0] == 201
    deadline = time.time() + 15
    while time.time() < deadline:
        _, _, page = s.request("GET", "/v1/stores/main/webhook-deliveries?status=skipped",
                               token=GLOBAL_ADMIN)
        if len(page["data"]) == 5:
            break
        time.sleep(0.2)
    assert [d["type"] for d in page["data"]] == ["invoice.created"] * 5
    assert all(d["attempts"] == 0 and d["attempt_log"] == [] for d in page["data"])
    _, _, page = s.request("GET", "/v1/stores/main/webhook-deliveries", token=GLOBAL_ADMIN)
    assert page == {"data": [], "has_more": False, "next_cursor": None}
    _, _, text = s.request("GET", "/metrics")
    assert re.search(r'qpayd_webhook_deliveries_total\{result="skipped"\} 5\b', text), text
    # A notification_url needs a store secret to sign with.
    status, _, err = s.request("POST", "/v1/stores/main/invoices",
                               {"amount_sats": 1000, "notification_url": "https://x.example/h"},
                               token=API)
    assert status == 422 and "secret_env" in err["error"]["message"]


def test_retention_prunes_old_deliveries(tmp_path, dburl, daemons, cluster, dbname):
    rcv = Receiver()
    try:
        s = start(tmp_path, dburl, daemons, config(rcv.url(), events="invoice.paid"))
        ids = [s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000 + i},
                         token=API)[2]["id"] for i in range(3)]
        paid_invoice(s, 2000)
        rcv.wait(lambda: len(rcv.events()) >= 1, what="invoice.paid")
        conn = cluster.connect(dbname)

        def rows():
            with conn.cursor() as cur:
                cur.execute("SELECT object_id, status, (SELECT count(*) FROM webhook_attempts a "
                            "WHERE a.outbox_id = o.id) FROM webhook_outbox o ORDER BY id")
                return cur.fetchall()

        deadline = time.time() + 10
        while any(st == "pending" for _, st, _ in rows()) and time.time() < deadline:
            time.sleep(0.2)
        before = rows()
        assert [st for _, st, _ in before].count("delivered") == 1
        assert [st for _, st, _ in before].count("skipped") == 4
        with conn.cursor() as cur:
            # skipped: past a day for the first invoice only; delivered: 29 days
            cur.execute("UPDATE webhook_outbox SET created_at = now() - interval '25 hours' "
                        "WHERE object_id = %s", (ids[0],))
            cur.execute("UPDATE webhook_outbox SET created_at = now() - interval '29 days' "
                        "WHERE status = 'delivered'")
        s.restart()  # the sweep prunes at start, then every minute
        deadline = time.time() + 10
        while any(o == ids[0] for o, _, _ in rows()) and time.time() < deadline:
            time.sleep(0.2)
        after = rows()
        assert ids[0] not in [o for o, _, _ in after]
        assert len(after) == len(before) - 1
        with conn.cursor() as cur:
            cur.execute("UPDATE webhook_outbox SET created_at = now() - interval '31 days' "
                        "WHERE status = 'delivered'")
        s.restart()
        deadline = time.time() + 10
        while any(st == "delivered" for _, st, _ in rows()) and time.time() < deadline:
            time.sleep(0.2)
        assert [st for _, st, _ in rows()] == ["skipped"] * 3
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM webhook_attempts")
            assert cur.fetchone()[0] == 0
        conn.close()
    finally:
        rcv.stop()


def test_invoice_payment_states_each_once(tmp_path, dburl, daemons, cluster, dbname):
    rcv = Receiver()
    try:
        s = start(tmp_path, dburl, daemons, config(rcv.url()))
        # on-chain: seen (processing), then credited at 1 confirmation (paid)
        _, _, a = s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 3000}, token=API)
        conn = cluster.connect(dbname)
        with conn.cursor() as cur:
            for conf, state in ((0, "seen"), (0, "seen"), (1, "credited"), (2, "credited")):
                cur.execute("SELECT 1 FROM invoice_payment_record('main', %s, 'onchain', %s, "
                            "3000, %s, %s, 'onchain', NULL)", (a["id"], "ab" * 32 + ":0", conf,
                                                               state))
        conn.close()
        # by hand: 500 of 1000 (underpaid), then 700 more (overpaid)
        b = paid_invoice(s, 500, amount=1000)
        status, _, b2 = s.request("POST", f"/v1/stores/main/invoices/{b['id']}/mark-paid",
                                  {"amount_sats": 700}, token=ADMIN)
        assert status == 200 and b2["status"] == "overpaid", b2
        want = {a["id"]: ["invoice.created", "invoice.processing", "invoice.paid"],
                b["id"]: ["invoice.created", "invoice.underpaid", "invoice.overpaid"]}
        rcv.wait(lambda: len(rcv.events()) >= 6)
        time.sleep(1)
        got = {}
        for e in rcv.events():
            got.setdefault(e["data"]["id"], []).append((e["type"], e["data"]["status"]))
        assert {k: [t for t, _ in v] for k, v in got.items()} == want
        # each body shows the invoice as it was at that change
        assert [st for _, st in got[b["id"]]] == ["unpaid", "underpaid", "overpaid"]
    finally:
        rcv.stop()


def test_gives_up_after_three_days(tmp_path, dburl, daemons, cluster, dbname):
    rcv = Receiver()
    rcv.behaviour = lambda path, event: 503
    try:
        s = start(tmp_path, dburl, daemons, config(rcv.url()))
        s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000}, token=API)
        rcv.wait(lambda: len(rcv.events()) >= 1)
        conn = cluster.connect(dbname)
        with conn.cursor() as cur:  # the event is 3 days old; its next attempt is due
            cur.execute("UPDATE webhook_outbox SET created_at = now() - interval '3 days', "
                        "next_attempt_at = now()")
        conn.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            _, _, page = s.request("GET", "/v1/stores/main/webhook-deliveries", token=ADMIN)
            if page["data"][0]["status"] != "pending":
                break
            time.sleep(0.2)
        d = page["data"][0]
        assert d["status"] == "failed" and d["next_attempt_at"] is None, d
        assert d["attempt_log"][-1]["result"] == "failed"
        assert d["attempt_log"][-1]["http_status"] == 503
        n = len(rcv.events())
        time.sleep(2.5)  # never tried again
        assert len(rcv.events()) == n
        _, _, text = s.request("GET", "/metrics")
        assert re.search(r'qpayd_webhook_deliveries_total\{result="failed"\} 1\b', text), text
    finally:
        rcv.stop()


def test_redeliver_while_sending_does_not_wait(tmp_path, dburl, daemons):
    rcv = Receiver()
    rcv.behaviour = lambda path, event: "hang"
    try:
        s = start(tmp_path, dburl, daemons, config(rcv.url()))
        s.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000}, token=API)
        rcv.wait(lambda: len(rcv.events()) >= 1, what="the hanging delivery")
        _, _, page = s.request("GET", "/v1/stores/main/webhook-deliveries", token=ADMIN)
        path = f"/v1/stores/main/webhook-deliveries/{page['data'][0]['id']}/redeliver"
        t0 = time.time()
        status, _, err = s.request("POST", path, token=ADMIN)
        assert time.time() - t0 < 1.0
        assert status == 409 and err["error"]["code"] == "delivery_in_progress", err
    finally:
        rcv.stop()
