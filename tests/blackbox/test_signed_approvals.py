"""Signed approvals (docs/security.md, section 4): an approval is an Ed25519
signature that the executor verifies against the keys of its own config, so
an approval forged in the database by the public host's role is not paid,
and a genuine one made with `qpayd approve` is. The fake bitcoind's ledger
is the proof of what was paid."""
import json
import os
import re
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pytest

from apiutil import ADMIN, PAYOUT, REGTEST_ADDR, paid_invoice
from conftest import EXECUTOR, PAYOUT_ENV, QPAYD, Server, base_env, run
from test_executor_pay import fakes  # noqa: F401  (fixture)

OTHER_ADDR = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
THRESHOLD = 50000


def new_key(tmp_path, name):
    out = tmp_path / name
    r = run(QPAYD, ["approval-key", "new", "--out", str(out)], base_env())
    assert r.returncode == 0, r.stdout + r.stderr
    pub = r.stdout.strip()
    assert re.fullmatch(r"ed25519:[A-Za-z0-9+/]{43}=", pub), pub
    return out, pub


def stores(keys):
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


def executor_config(tmp_path, bitcoind, keys):
    cfg = tmp_path / "executor.toml"
    cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[executor]
name = "wallet-test"
request_timeout_seconds = 3
journal = "{tmp_path}/journal"

[[stores]]
id = "main"
network = "regtest"
{keys}

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
    return cfg


@pytest.fixture
def keyed(tmp_path, dburl, daemons, fakes):  # noqa: F811
    """qpayd trusting alice and mallory (a compromised public host may trust
    anyone), the executor trusting alice alone."""
    alice, alice_pub = new_key(tmp_path, "alice.key")
    mallory, mallory_pub = new_key(tmp_path, "mallory.key")
    server = Server(tmp_path, dburl,
                    stores=stores(f'approval_public_keys = "{alice_pub}, {mallory_pub}"'))
    daemons.append(server)
    _, bitcoind = fakes
    cfg = executor_config(tmp_path, bitcoind, f'approval_public_keys = "{alice_pub}"')
    env = base_env(dburl, PAYOUT_ENV)
    return server, bitcoind, cfg, env, alice, mallory, alice_pub, mallory_pub


def big_refund(server, amount=60000, destination=REGTEST_ADDR):
    inv = paid_invoice(server, 400000)["id"]
    status, _, body = server.request("POST", f"/v1/stores/main/invoices/{inv}/refunds",
                                     {"amount_sats": amount, "destination": destination},
                                     token=PAYOUT)
    assert status == 201, body
    assert body["approval_status"] == "required"
    return body


def approve(key, url, rid, extra_env=None):
    env = base_env(extra={"QPAYD_ADMIN_TOKEN": ADMIN, **(extra_env or {})})
    return run(QPAYD, ["approve", "--key", str(key), "--store", "main", "--url", url, rid], env)


class SigningTrap:
    """A stand-in API that shows `qpayd approve` a refund with altered fields
    and keeps the signature it posts: a genuine signature by a configured key,
    over something other than the row."""

    def __init__(self, refund):
        trap = self
        self.refund, self.posted = refund, None

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._reply(trap.refund)

            def do_POST(self):
                n = int(self.headers["Content-Length"])
                trap.posted = json.loads(self.rfile.read(n))
                self._reply(trap.refund)

            def _reply(self, doc):
                data = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def sign(self, key):
        r = approve(key, self.url, self.refund["id"])
        assert r.returncode == 0, r.stdout + r.stderr
        self.httpd.shutdown()
        return self.posted


def api_login(cluster, dbname):
    """A login user in role qpayd_api: what an attacker on the public host holds."""
    user = f"web_{dbname}"
    admin = cluster.connect(dbname)
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {user} LOGIN IN ROLE qpayd_api")
    admin.close()
    conn = psycopg2.connect(cluster.url(dbname, user=user))
    conn.autocommit = True
    return conn


def events(server, rid):
    _, _, ev = server.request("GET", f"/v1/stores/main/refunds/{rid}/events", token=ADMIN)
    return [(e["event"], (e.get("detail") or {}).get("reason", "")) for e in ev["data"]]


def test_approval_key_new_file_modes(tmp_path):
    key, pub = new_key(tmp_path, "k")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(f"{key}.pub").st_mode) == 0o644
    assert (tmp_path / "k.pub").read_text().strip() == pub
    assert key.read_text().startswith("ed25519-secret:")
    before = key.read_text()
    r = run(QPAYD, ["approval-key", "new", "--out", str(key)], base_env())
    assert r.returncode == 1 and "refusing to overwrite" in r.stderr
    assert key.read_text() == before
    # a secret key others can read is refused before anything is fetched
    os.chmod(key, 0o644)
    r = approve(key, "http://127.0.0.1:9", "rf_x")
    assert r.returncode == 1 and "chmod 600" in r.stderr, r.stderr
    r = run(QPAYD, ["approve", "--store", "main", "rf_x"], base_env())
    assert r.returncode == 2


def test_genuine_signed_approval_is_paid(keyed, cluster, dbname):
    server, bitcoind, cfg, env, alice, _, alice_pub, _ = keyed
    rf = big_refund(server)
    r = approve(alice, f"http://127.0.0.1:{server.port}", rf["id"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"approved refund={rf['id']} store=main public_key={alice_pub}" in r.stdout
    got = server.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)[2]
    assert got["approval_status"] == "approved"
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT public_key, length(signature) FROM refund_approvals "
                    "WHERE refund_id = %s", (rf["id"],))
        assert cur.fetchall() == [(alice_pub, 88)]
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "claimed=1 succeeded=1" in r.stdout
    paid = [e for e in bitcoind.ledger() if e.get("comment") == rf["id"]]
    assert len(paid) == 1 and paid[0]["amount_sat"] == 60000
    # approving twice is refused by state, as before
    r = approve(alice, f"http://127.0.0.1:{server.port}", rf["id"])
    assert r.returncode == 1 and "invalid_state" in r.stderr


def test_api_refuses_unsigned_and_bad_signatures(keyed, tmp_path):
    server, _, _, _, alice, _, alice_pub, _ = keyed
    rf = big_refund(server)
    path = f"/v1/stores/main/refunds/{rf['id']}/approve"
    status, _, body = server.request("POST", path, {}, token=ADMIN)
    assert status == 400 and body["error"]["code"] == "signature_required", body
    status, _, body = server.request("POST", path, {"signature": "A" * 88}, token=ADMIN)
    assert status == 400 and "public_key" in body["error"]["message"], body
    status, _, body = server.request("POST", path, {"signature": "nope",
                                                    "public_key": alice_pub}, token=ADMIN)
    assert status == 422 and body["error"]["code"] == "invalid_signature", body
    assert "88 characters" in body["error"]["message"]
    stranger, stranger_pub = new_key(tmp_path, "stranger.key")
    status, _, body = server.request("POST", path, {"signature": "A" * 86 + "==",
                                                    "public_key": stranger_pub}, token=ADMIN)
    assert status == 422 and body["error"]["code"] == "unknown_approval_key", body
    assert stranger_pub in body["error"]["message"]
    r = approve(stranger, f"http://127.0.0.1:{server.port}", rf["id"])
    assert r.returncode == 1 and "unknown_approval_key" in r.stderr
    # alice's genuine signature over another amount
    forged = SigningTrap(dict(rf, amount_sats=rf["amount_sats"] + 1)).sign(alice)
    status, _, body = server.request("POST", path, forged, token=ADMIN)
    assert status == 422 and body["error"]["code"] == "invalid_signature", body
    assert rf["id"] in body["error"]["message"] and "does not match" in body["error"]["message"]
    got = server.request("GET", f"/v1/stores/main/refunds/{rf['id']}", token=ADMIN)[2]
    assert got["approval_status"] == "required"


def test_forged_approvals_are_not_paid(keyed, cluster, dbname):
    server, bitcoind, cfg, env, alice, mallory, alice_pub, mallory_pub = keyed
    unsigned = big_refund(server)
    other_amount = big_refund(server)
    other_dest = big_refund(server)
    foreign_key = big_refund(server)
    # mallory's key is trusted by the (compromised) public host, not the executor
    r = approve(mallory, f"http://127.0.0.1:{server.port}", foreign_key["id"])
    assert r.returncode == 0, r.stderr
    amount_sig = SigningTrap(dict(other_amount, amount_sats=1000)).sign(alice)
    dest_sig = SigningTrap(dict(other_dest, destination=OTHER_ADDR)).sign(alice)
    web = api_login(cluster, dbname)
    with web.cursor() as cur:
        for rf in (unsigned, other_amount, other_dest):
            # No role may UPDATE refunds (sql/007); the public role's own
            # approve action is what a compromised host can still call.
            cur.execute("SELECT 1 FROM refund_transition('main', %s, 'approve', 'admin', "
                        "'{}'::jsonb)", (rf["id"],))
        for rf, sig in ((other_amount, amount_sig), (other_dest, dest_sig)):
            cur.execute("INSERT INTO refund_approvals (store_id, refund_id, public_key, "
                        "signature) VALUES ('main', %s, %s, %s)",
                        (rf["id"], sig["public_key"], sig["signature"]))
            assert sig["public_key"] == alice_pub
        # the table is append-only, for the attacker too
        with pytest.raises(psycopg2.Error):
            cur.execute("DELETE FROM refund_approvals")
    web.close()
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once", "--dry-run"], env)
    assert "dry-run: claimable=0 deferred=0 manual=0 needs_approval=4" in r.stdout, r.stdout
    for _ in range(2):  # a second pass adds no second event
        r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "claimed=0 " in r.stdout, r.stdout
    assert bitcoind.ledger() == []
    want = {unsigned["id"]: "approved without a signature",
            other_amount["id"]: "does not match",
            other_dest["id"]: "does not match",
            foreign_key["id"]: "keys not in this executor's approval_public_keys"}
    for rid, reason in want.items():
        got = server.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)[2]
        assert got["status"] == "pending" and got["approval_status"] == "approved"
        unverified = [why for ev, why in events(server, rid) if ev == "approval_unverified"]
        assert len(unverified) == 1 and reason in unverified[0], (rid, unverified)
    # the approver can still sign a refund the attacker marked approved: then it is paid
    r = approve(alice, f"http://127.0.0.1:{server.port}", unsigned["id"])
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env)
    assert "claimed=1 succeeded=1" in r.stdout, r.stdout
    assert [e["comment"] for e in bitcoind.ledger()] == [unsigned["id"]]


def test_check_config_warns_without_keys(keyed, tmp_path):
    server, bitcoind, cfg, env, *_ = keyed
    r = run(EXECUTOR, ["--config", str(cfg), "check-config"], env)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr
    bare = executor_config(tmp_path, bitcoind, "")
    r = run(EXECUTOR, ["--config", str(bare), "check-config"], env)
    assert r.returncode == 0, r.stderr
    assert "manual_approval_threshold_sats: warning: store main has no approval_public_keys" \
        in r.stderr
    r = run(QPAYD, ["--config", str(server.config), "check-config", "--offline"], server.env)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


def test_refund_approvals_privileges(keyed, cluster, dbname):
    server, *_ = keyed
    rf = big_refund(server)
    row = ("main", rf["id"], "ed25519:" + "A" * 43 + "=", "A" * 86 + "==")
    insert = ("INSERT INTO refund_approvals (store_id, refund_id, public_key, signature) "
              "VALUES (%s, %s, %s, %s)")
    web = api_login(cluster, dbname)
    with web.cursor() as cur:
        cur.execute(insert, row)  # the public host may insert: the executor checks
        for sql in ("UPDATE refund_approvals SET signature = signature",
                    "DELETE FROM refund_approvals", "TRUNCATE refund_approvals"):
            with pytest.raises(psycopg2.Error):
                cur.execute(sql)
    web.close()
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("SET ROLE qpayd_executor")
        cur.execute("SELECT count(*) FROM refund_approvals")
        assert cur.fetchone()[0] == 1
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(insert, row)
