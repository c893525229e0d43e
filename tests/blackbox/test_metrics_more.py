"""The /metrics additions of issue 15 (docs/operations.md "Metrics"): refunds
by backend and status, the age of the oldest pending and processing refund,
payouts by backend and outcome from refund_attempts (every executor's), all
read from the database and cached for a few seconds; and request latency
histograms by route."""
import re
import threading
import time

from apiutil import API, PAYOUT, api, create_refund, paid_invoice  # noqa: F401 (fixture)
from listutil import connect, insert_invoice, insert_refunds

SAMPLE = re.compile(r'^([a-z_]+)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$')


def scrape(server):
    """{(name, labels as a sorted tuple): value} and the raw text."""
    status, hdrs, text = server.request("GET", "/metrics")
    assert status == 200 and hdrs["Content-Type"].startswith("text/plain")
    samples = {}
    types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in types, f"{name} declared twice"
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or "")))
        key = (m.group(1), labels)
        assert key not in samples, f"sample {key} twice"
        samples[key] = float(m.group(3))
    return samples, types, text


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_refund_figures_from_the_database(api, cluster, dbname):
    inv = paid_invoice(api, 90000)["id"]
    made = [create_refund(api, inv, 1000 + i)[2]["id"] for i in range(3)]  # pending, bitcoin
    conn = connect(cluster, dbname)
    with conn.cursor() as cur:
        big = insert_invoice(cur, status="paid", amount=10 ** 8)
        insert_refunds(cur, big, 2, status="pending", created_at="now() - interval '1 hour'")
        insert_refunds(cur, big, 4, status="succeeded", backend="lightning")
        insert_refunds(cur, big, 5, status="failed", backend="lightning")
        proc = insert_refunds(cur, big, 2, status="processing",
                              extra={"processing_started_at": "now() - interval '10 minutes'"})
        insert_refunds(cur, big, 1, status="canceled")
        for k, (backend, outcome) in enumerate([("phoenixd", "succeeded")] * 3 +
                                               [("phoenixd", "failed")] * 2 +
                                               [("bitcoind", "deferred")] +
                                               [("bitcoind", "unknown")] +
                                               [("bitcoind", None)] * 2):
            cur.execute("INSERT INTO refund_attempts (refund_id, attempt, backend, executor, "
                        " started_at, finished_at, outcome) "
                        "VALUES (%s, %s, %s, 'exec-a', now() - interval '1 minute', "
                        " CASE WHEN %s::text IS NULL THEN NULL ELSE now() END, %s)",
                        (proc[k % 2], k + 1, backend, outcome, outcome))
    t_first = time.monotonic()  # the figures are read now, and kept 5 s
    samples, types, text = scrape(api)
    want = {("bitcoin", "pending"): 5, ("bitcoin", "processing"): 2,
            ("bitcoin", "canceled"): 1, ("bitcoin", "succeeded"): 0,
            ("lightning", "succeeded"): 4, ("lightning", "failed"): 5,
            ("lightning", "pending"): 0}
    for (backend, status), n in want.items():
        assert value(samples, "qpayd_refunds", backend=backend, status=status) == n, \
            (backend, status)
    assert types["qpayd_refunds"] == "gauge"
    pending_age = value(samples, "qpayd_refund_oldest_age_seconds", status="pending")
    processing_age = value(samples, "qpayd_refund_oldest_age_seconds", status="processing")
    assert 3600 <= pending_age < 3700, pending_age
    assert 600 <= processing_age < 700, processing_age
    assert value(samples, "qpayd_payouts_total", backend="phoenixd", outcome="succeeded") == 3
    assert value(samples, "qpayd_payouts_total", backend="phoenixd", outcome="failed") == 2
    assert value(samples, "qpayd_payouts_total", backend="bitcoind", outcome="deferred") == 1
    assert value(samples, "qpayd_payouts_total", backend="bitcoind", outcome="unknown") == 1
    assert value(samples, "qpayd_payouts_in_flight", backend="bitcoind") == 2
    assert value(samples, "qpayd_payouts_in_flight", backend="phoenixd") is None
    assert types["qpayd_payouts_total"] == "counter"
    assert value(samples, "qpayd_refund_metrics_up") == 1

    # Cached: a change shows only after the TTL (5 s), whichever worker
    # answers; many scrapes meanwhile read nothing new.
    assert api.request("POST", f"/v1/stores/main/refunds/{made[0]}/cancel", {},
                       token=PAYOUT)[0] == 200
    with conn.cursor() as cur:
        cur.execute("DELETE FROM refund_attempts WHERE outcome IS NULL")
    results = []

    def storm():
        for _ in range(10):
            results.append(value(scrape(api)[0], "qpayd_refunds", backend="bitcoin",
                                 status="pending"))

    threads = [threading.Thread(target=storm) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if time.monotonic() - t_first < 4.8:
        assert set(results) == {5}, results
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        samples = scrape(api)[0]
        if value(samples, "qpayd_refunds", backend="bitcoin", status="pending") == 4:
            assert time.monotonic() - t_first >= 4.9
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the refund figures were never read again")
    assert value(samples, "qpayd_refunds", backend="bitcoin", status="canceled") == 2
    assert value(samples, "qpayd_payouts_in_flight", backend="bitcoind") is None


def test_the_figures_when_the_database_is_empty(api):
    samples, _, _ = scrape(api)
    for backend in ("lightning", "bitcoin"):
        for status in ("pending", "processing", "succeeded", "failed", "canceled"):
            assert value(samples, "qpayd_refunds", backend=backend, status=status) == 0
    assert value(samples, "qpayd_refund_oldest_age_seconds", status="pending") == 0
    assert value(samples, "qpayd_refund_oldest_age_seconds", status="processing") == 0
    assert value(samples, "qpayd_refund_metrics_up") == 1


def test_latency_histograms_by_route(api):
    inv = api.request("POST", "/v1/stores/main/invoices", {"amount_sats": 1000}, token=API)[2]
    for _ in range(7):
        assert api.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)[0] == 200
    for _ in range(2):
        assert api.request("GET", "/v1/stores/main/nothing-here", token=API)[0] == 404
    assert api.request("GET", "/v1/stores/main/invoices/inv_nope", token=API)[0] == 404
    samples, types, _ = scrape(api)
    name = "qpayd_http_request_duration_seconds"
    assert types[name] == "histogram"
    route = {"method": "GET", "route": "/v1/stores/{store}/invoices/{id}"}
    buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in samples.items()
                      if k[0] == name + "_bucket" and dict(k[1])["method"] == "GET"
                      and dict(k[1])["route"] == route["route"]))
    les = [le for le, _ in buckets]
    assert les == [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                   float("inf")]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets are cumulative"
    assert counts[-1] == 8  # 7 found, 1 not found: every answer of the route
    assert value(samples, name + "_count", **route) == 8
    assert 0 < value(samples, name + "_sum", **route) < 8 * 10
    post = {"method": "POST", "route": "/v1/stores/{store}/invoices"}
    assert value(samples, name + "_count", **post) == 1
    assert value(samples, name + "_count", method="", route="none") == 2
    # Every route of the table has its series, zero or not.
    assert value(samples, name + "_count", method="POST",
                 route="/v1/stores/{store}/refunds/{id}/cancel") == 0
