"""Fixtures that start real things: a throwaway PostgreSQL cluster, a fresh
database per test, and the real qpayd / qpayd-executor binaries. A failing
test prints the daemon's log; a sanitizer report in any log fails the test."""
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import psycopg2
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.path.join(ROOT, os.environ.get("QPAYD_BIN_DIR", "bin"))
QPAYD = os.path.join(BIN_DIR, "qpayd")
EXECUTOR = os.path.join(BIN_DIR, "qpayd-executor")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

# Tokens and secrets the test configs name; values are recognisable canaries
# so tests can assert that no secret ever reaches a log or a response.
TEST_ENV = {
    "QPAYD_API_TOKEN": "tok-api-canary-111",
    "QPAYD_ADMIN_TOKEN": "tok-admin-canary-222",
    "QPAYD_PAYOUT_TOKEN": "tok-payout-canary-333",
    "QPAYD_MAIN_ADMIN_TOKEN": "tok-main-admin-canary-444",
    "QPAYD_MAIN_PAYOUT_TOKEN": "tok-main-payout-canary-555",
    "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD": "limited-canary-666",
    "QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET": "webhook-canary-777",
    "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH": "watch:canary-888",
    "QPAYD_MAIN_WEBHOOK_SECRET": "whsec-canary-1212",
}
PAYOUT_ENV = {
    "QPAYD_LIGHTNING_REFUND_PASSWORD": "full-canary-999",
    "QPAYD_BITCOIN_REFUND_RPC_AUTH": "refunds:canary-000",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs:
        pytest.fail("PostgreSQL server binaries not found (make deps installs postgresql)")
    return dirs[-1]


class Cluster:
    """initdb into a temporary folder; run as the postgres user when root,
    since PostgreSQL refuses to run as root."""

    def __init__(self):
        self.bindir = pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="qpayd-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.user_prefix = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.user_prefix = ["runuser", "-u", "postgres", "--"]
        self._run(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--no-sync"])
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=300")
        self._run(["pg_ctl", "-D", self.data, "-o", opts, "-l",
                   os.path.join(self.dir, "server.log"), "-w", "start"])
        self.counter = 0

    def _run(self, argv):
        cmd = self.user_prefix + [os.path.join(self.bindir, argv[0])] + argv[1:]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def url(self, dbname="postgres", user="postgres"):
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname="postgres"):
        conn = psycopg2.connect(self.url(dbname))
        conn.autocommit = True
        return conn

    def new_database(self):
        self.counter += 1
        name = f"qpayd_t{self.counter}"
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()
        return name

    def stop(self):
        try:
            self._run(["pg_ctl", "-D", self.data, "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster():
    c = Cluster()
    yield c
    c.stop()


@pytest.fixture
def dbname(cluster):
    """A fresh, empty database for one test."""
    return cluster.new_database()


@pytest.fixture
def dburl(cluster, dbname):
    return cluster.url(dbname)


def base_env(dburl=None, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QPAYD_")}
    env.pop("CREDENTIALS_DIRECTORY", None)
    env.update(TEST_ENV)
    if dburl:
        env["QPAYD_DATABASE_URL"] = dburl
    if extra:
        env.update(extra)
    return env


def run(binary, args, env, timeout=60):
    return subprocess.run([binary] + args, env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_no_sanitizer(text, what):
    for mark in SANITIZER_MARKS:
        assert mark not in text, f"sanitizer report in {what}:\n{text}"


DEFAULT_STORES = """
[auth]
api_token_env = "QPAYD_API_TOKEN"
admin_token_env = "QPAYD_ADMIN_TOKEN"
payout_token_env = "QPAYD_PAYOUT_TOKEN"

[[stores]]
id = "main"
network = "regtest"
"""


def server_config(port, workers=2, extra="", stores=None, server_extra="", database_extra=""):
    """A qpayd.toml on loopback; stores defaults to one regtest store "main"
    with the [auth] tokens, and extra is appended to that store;
    database_extra adds [database] keys (e.g. pooler, listen_url_env)."""
    if stores is None:
        stores = DEFAULT_STORES + extra
    return f"""
[database]
url_env = "QPAYD_DATABASE_URL"
{database_extra}
[server]
listen = "127.0.0.1:{port}"
workers = {workers}
max_body_bytes = 4096
timeout_seconds = 5
{server_extra}
{stores}
"""


class Daemon:
    """A real daemon process with its log in a file."""

    def __init__(self, argv, env, logpath):
        self.argv = argv
        self.logpath = logpath
        self.log = open(logpath, "w+")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def text(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def wait_for_log(self, needle, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.text():
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} not in log of {self.argv[0]}:\n{self.text()}")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode


class Server:
    """qpayd serve on a free loopback port with a migrated database."""

    def __init__(self, tmp_path, dburl, workers=2, extra="", env_extra=None, stores=None,
                 server_extra="", argv_prefix=(), database_extra="", binary=None):
        self.argv_prefix = list(argv_prefix)  # e.g. prlimit, to lower the daemon's limits
        self.binary = binary or QPAYD          # another build of qpayd (test_upgrade_binary)
        self.server_extra = server_extra      # more [server] keys
        self.database_extra = database_extra  # more [database] keys
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.tmp_path = tmp_path
        self.workers = workers
        self.config = tmp_path / "qpayd.toml"
        self.config.write_text(server_config(self.port, workers, extra, stores, server_extra,
                                             database_extra))
        self.env = base_env(dburl, env_extra)
        r = run(self.binary, ["--config", str(self.config), "migrate"], self.env)
        assert r.returncode == 0, r.stderr
        self.start()

    def start(self):
        n = getattr(self, "starts", 0) + 1
        self.starts = n
        # getattr: subclasses that set up without __init__ (test_stuck_database)
        binary = getattr(self, "binary", QPAYD)
        self.daemon = Daemon(self.argv_prefix + [binary, "--config", str(self.config), "serve"],
                             self.env,
                             str(self.tmp_path / f"qpayd-{n}.log"))
        self.daemon.wait_for_log("msg=listening")

    def restart(self, stores=None):
        """Stops, optionally rewrites the stores part of the config, starts."""
        assert self.daemon.stop() == 0
        assert_no_sanitizer(self.daemon.text(), "qpayd")
        if stores is not None:
            self.config.write_text(server_config(self.port, self.workers, "", stores,
                                                 self.server_extra, self.database_extra))
        self.start()

    def request(self, method, path, body=None, headers=None, timeout=10, token=None):
        """Returns (status, headers, parsed JSON or raw text)."""
        import json

        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None and not isinstance(body, bytes):
            headers.setdefault("Content-Type", "application/json")
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, hdrs, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        try:
            return status, hdrs, json.loads(raw)
        except ValueError:
            return status, hdrs, raw.decode(errors="replace")


@pytest.fixture
def daemons(request):
    """Collects daemons; stops them after the test, prints their logs when the
    test failed, and fails on sanitizer reports."""
    started = []
    yield started
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for d in started:
        d = d.daemon if isinstance(d, Server) else d
        d.stop()
        text = d.text()
        if failed:
            print(f"\n----- log of {' '.join(d.argv)} -----\n{text}")
        assert_no_sanitizer(text, d.argv[0])


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def server(tmp_path, dburl, daemons):
    s = Server(tmp_path, dburl)
    daemons.append(s)
    return s


def raw_answer(sock, timeout=5):
    """Everything the server sends until it closes or timeout passes."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data
