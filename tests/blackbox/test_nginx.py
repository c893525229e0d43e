"""deploy/nginx-qpayd.conf in front of a real qpayd (nginx from Debian,
started by the test on free ports with a throwaway certificate): plain HTTP
redirects to HTTPS, HTTPS answers with HSTS, the health routes answer from
loopback, and upstream connections are kept alive between requests."""
import http.client
import os
import re
import shutil
import ssl
import subprocess
import time

import pytest

from conftest import ROOT, free_port

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                                reason="nginx or openssl is not installed")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def site(tmp_path, upstream, http_port, https_port):
    text = open(os.path.join(ROOT, "deploy", "nginx-qpayd.conf")).read()
    assert "return 301 https://$host$request_uri;" in text
    text = text.replace("127.0.0.1:8080", f"127.0.0.1:{upstream}")
    text = re.sub(r"(?m)^\s*listen \[::\]:.*$", "", text)  # the test host may lack IPv6
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = text.replace("/etc/letsencrypt/live/pay.example.com", str(tmp_path))
    text = text.replace("/var/www/letsencrypt", str(tmp_path))
    return text


@pytest.fixture
def nginx(tmp_path, server):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=pay.example.com", "-keyout", str(tmp_path / "privkey.pem"), "-out",
                    str(tmp_path / "fullchain.pem")], check=True, capture_output=True)
    http_port, https_port = free_port(), free_port()
    (tmp_path / "site.conf").write_text(site(tmp_path, server.port, http_port, https_port))
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
daemon off;
user root root;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
worker_processes 1;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    r = subprocess.run([NGINX, "-t", "-c", str(conf), "-e", str(tmp_path / "nginx-error.log")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-e", str(tmp_path / "nginx-error.log")])
    deadline = time.time() + 10
    while True:
        try:
            http.client.HTTPConnection("127.0.0.1", http_port, timeout=1).request("HEAD", "/")
            break
        except OSError:
            assert time.time() < deadline and proc.poll() is None, "nginx did not start"
            time.sleep(0.05)
    yield http_port, https_port
    proc.terminate()
    proc.wait(10)


def https(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)


def connections_open(server):
    status, _, text = server.request("GET", "/metrics")
    return int(re.search(r"(?m)^qpayd_connections_open (\d+)$", text).group(1))


def test_redirect_hsts_and_keepalive(nginx, server):
    http_port, https_port = nginx
    c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    c.request("GET", "/v1/stores/main/invoices?x=1", headers={"Host": "pay.example.com"})
    r = c.getresponse()
    r.read()
    assert r.status == 301
    assert r.getheader("Location") == "https://pay.example.com/v1/stores/main/invoices?x=1"
    assert r.getheader("Strict-Transport-Security") is None  # only over HTTPS
    before = connections_open(server)
    c = https(https_port)
    for path in ("/healthz", "/healthz", "/v1/stores/main/invoices"):
        c.request("GET", path, headers={"Host": "pay.example.com"})
        r = c.getresponse()
        body = r.read()
        assert r.getheader("Strict-Transport-Security") == \
            "max-age=63072000; includeSubDomains", r.getheaders()
        assert r.getheader("Server") == "nginx"  # server_tokens off: no version
        if path == "/healthz":
            assert r.status == 200, body
        else:
            assert r.status == 401, body  # qpayd answered: no token
    # nginx keeps its upstream connection to qpayd open between requests
    assert connections_open(server) >= before + 1
