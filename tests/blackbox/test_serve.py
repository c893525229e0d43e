"""qpayd serve: health, readiness, JSON errors, limits, shutdown."""
import os
import re
import signal
import socket
import time

from conftest import QPAYD, Daemon, Server, base_env, free_port, run, server_config


def test_healthz(server):
    status, headers, body = server.request("GET", "/healthz")
    assert status == 200
    assert body["status"] == "ok"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-Id"].startswith("req_")


def test_request_ids_differ_and_are_logged(server):
    ids = {server.request("GET", "/healthz")[1]["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    text = server.daemon.text()
    for rid in ids:
        assert f"request_id={rid}" in text


def test_readyz_ready(server):
    status, _, body = server.request("GET", "/readyz")
    assert status == 200, body
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    assert body["schema_version"] == body["expected_schema_version"] >= 1


def test_readyz_follows_the_database(server, cluster, dbname):
    admin = cluster.connect()
    with admin.cursor() as cur:
        cur.execute(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))
    try:
        status, _, body = server.request("GET", "/readyz")
        assert status == 503, body
        assert body["status"] == "not_ready"
        assert body["database"] == "unreachable"
        # liveness does not depend on the database
        assert server.request("GET", "/healthz")[0] == 200
    finally:
        with admin.cursor() as cur:
            cur.execute(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
    # A worker whose reconnect failed waits DB_RETRY_MS (1 s) before it
    # tries again, answering 503 at once until then.
    deadline = time.time() + 5
    while True:
        status, _, body = server.request("GET", "/readyz")
        if status == 200 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert status == 200, body


def test_unknown_route_is_json_404(server):
    status, _, body = server.request("GET", "/nope")
    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert "/nope" in body["error"]["message"]


def test_wrong_method_is_json_405(server):
    status, headers, body = server.request("POST", "/healthz", body=b"{}")
    assert status == 405
    assert body["error"]["code"] == "method_not_allowed"
    assert headers["Allow"] == "GET"
    status, headers, body = server.request("DELETE", "/readyz")
    assert status == 405


def test_oversized_body_is_413_and_server_stays_up(server):
    # max_body_bytes = 4096: libevent refuses it from the Content-Length
    status, headers, _ = server.request("POST", "/healthz", body=b"x" * 5000)
    assert status == 413
    assert headers["Connection"] == "close"
    # however large the announced body, without killing anything
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
        s.settimeout(5)
        assert b" 413 " in s.recv(4096)
    assert server.request("GET", "/healthz")[0] == 200


def test_oversized_headers_refused_and_server_stays_up(server):
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n")
        s.settimeout(5)
        try:
            answer = s.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert b" 200 " not in answer
    assert server.request("GET", "/healthz")[0] == 200


def test_idle_connection_is_closed_by_timeout(tmp_path, dburl, daemons):
    # timeout_seconds = 5 in the test config: a client that sends nothing is dropped
    s = Server(tmp_path, dburl)
    daemons.append(s)
    with socket.create_connection(("127.0.0.1", s.port)) as c:
        c.settimeout(15)
        started = time.time()
        assert c.recv(1) == b""
        assert time.time() - started < 12


def test_sigterm_stops_within_a_second(tmp_path, dburl):
    s = Server(tmp_path, dburl)
    assert s.request("GET", "/healthz")[0] == 200
    started = time.time()
    rc = s.daemon.stop(signal.SIGTERM)
    assert rc == 0
    assert time.time() - started < 1.0
    assert "msg=stopped" in s.daemon.text()


def test_sigint_stops_cleanly(tmp_path, dburl):
    s = Server(tmp_path, dburl)
    assert s.daemon.stop(signal.SIGINT) == 0


def test_serve_refuses_an_unmigrated_database(tmp_path, dburl):
    cfg = tmp_path / "q.toml"
    cfg.write_text(server_config(free_port()))
    r = run(QPAYD, ["--config", str(cfg), "serve"], base_env(dburl), timeout=30)
    assert r.returncode == 1
    assert "qpayd migrate" in r.stderr


def test_serve_refuses_a_busy_port(tmp_path, dburl, daemons):
    s = Server(tmp_path, dburl)
    daemons.append(s)
    r = run(QPAYD, ["--config", str(s.config), "serve"], s.env, timeout=30)
    assert r.returncode == 1
    assert "cannot listen" in r.stderr


def test_concurrent_requests_across_workers(server):
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: server.request("GET", "/readyz")[0], range(200)))
    assert results == [200] * 200


def test_a_burst_of_connections_spreads_over_the_workers(server):
    """64 connections opened at once spread over the 2 workers: each worker
    listens on its own SO_REUSEPORT socket, so the kernel shares them out
    (by a hash of the connection: about half each, never all on one)."""
    conns = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(64)]
    ids = []
    try:
        for c in conns:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: qpayd\r\n\r\n")
        for c in conns:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = c.recv(4096)
                assert chunk, "connection closed before the answer"
                head += chunk
            ids.append(re.search(rb"X-Request-Id: (\S+)", head).group(1).decode())
    finally:
        for c in conns:
            c.close()
    served = {0: 0, 1: 0}
    deadline = time.time() + 5
    while time.time() < deadline:
        text = server.daemon.text()
        found = [re.search(rf"request_id={rid} .* worker=(\d+)", text) for rid in ids]
        if all(found):
            break
        time.sleep(0.05)
    assert all(found), text
    for m in found:
        served[int(m.group(1))] += 1
    # Binomial(64, 1/2): below 14 on either side has odds of about 1 in 10^5.
    assert min(served.values()) >= 14, served


def test_no_secret_in_log(server):
    server.request("GET", "/healthz")
    text = server.daemon.text()
    assert "canary" not in text


def test_metrics_count_requests_by_class(server):
    def scrape():
        status, headers, text = server.request("GET", "/metrics")
        assert status == 200
        assert headers["Content-Type"].startswith("text/plain")
        counts = dict(re.findall(r'^qpayd_http_requests_total\{class="(\w+)"\} (\d+)$', text,
                                 re.M))
        assert re.search(r'^qpayd_build_info\{version="[^"]+"\} 1$', text, re.M)
        assert re.search(r"^qpayd_db_errors_total \d+$", text, re.M)
        assert "# TYPE qpayd_http_requests_total counter" in text
        return {k: int(v) for k, v in counts.items()}

    before = scrape()
    for _ in range(3):
        server.request("GET", "/healthz")
    server.request("GET", "/nope")
    after = scrape()
    # the first scrape itself is a 2xx counted before the second
    assert after["2xx"] - before["2xx"] == 4
    assert after["4xx"] - before["4xx"] == 1
    assert after["5xx"] == before["5xx"]
