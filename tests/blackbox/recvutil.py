"""The receive side under test: the fake phoenixd (limited password, signed
webhooks) and the fake bitcoind (a watch-only descriptor wallet) behind a
real `qpayd serve` whose stores receive through them."""
import json
import subprocess
import time
import urllib.request

from apiutil import API
from conftest import PAYOUT_ENV, ROOT, TEST_ENV, Server
from test_fake_bitcoind import TPUB

FAKES = f"{ROOT}/tests/fakes"
LIMITED = TEST_ENV["QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"]
FULL = PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"]
SECRET = TEST_ENV["QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET"]
WATCH_USER, WATCH_PASSWORD = TEST_ENV["QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH"].split(":")


class Fake:
    """A fake daemon: prints `listening 127.0.0.1:PORT`, speaks /_fake/ controls."""

    def __init__(self, argv, logpath):
        self.log = open(logpath, "w")
        self.logpath = logpath
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening "), line
        self.url = "http://" + line.split()[1]

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/_fake/" + path, data=data,
                                     method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=20) as r:
            return json.loads(r.read())

    def text(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


class Bitcoind(Fake):
    def rpc(self, method, params=None, wallet=None):
        import base64
        body = json.dumps({"id": 1, "method": method, "params": params or []}).encode()
        path = f"/wallet/{wallet}" if wallet else "/"
        auth = base64.b64encode(f"{WATCH_USER}:{WATCH_PASSWORD}".encode()).decode()
        req = urllib.request.Request(self.url + path, data=body, method="POST",
                                     headers={"Authorization": "Basic " + auth})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                doc = json.loads(r.read())
        except urllib.error.HTTPError as e:
            doc = json.loads(e.read())
        assert doc["error"] is None, (method, doc["error"])
        return doc["result"]

    def watch_wallet(self, name="watch"):
        self.rpc("createwallet", {"wallet_name": name, "disable_private_keys": True,
                                  "blank": True, "descriptors": True})
        desc = self.rpc("getdescriptorinfo", ["wpkh([d34db33f/84h/1h/0h]%s/0/*)" % TPUB])
        res = self.rpc("importdescriptors", [[{"desc": desc["descriptor"], "active": True,
                                               "range": [0, 99], "next_index": 0,
                                               "timestamp": "now", "internal": False}]],
                       wallet=name)
        assert res == [{"success": True}], res

    def pay(self, address, sat, **kw):
        return self.control("pay", dict({"address": address, "amount_sat": sat}, **kw))

    def mine(self, n=1, **kw):
        return self.control("mine", dict({"blocks": n}, **kw))


def start_phoenixd(tmp_path, network="regtest", extra=()):
    return Fake(["/usr/bin/python3", f"{FAKES}/phoenixd.py", "--port", "0", "--password", FULL,
                 "--limited-password", LIMITED, "--webhook-secret", SECRET, "--ledger",
                 str(tmp_path / "phoenixd.jsonl"), "--network", network, "--log", "-"]
                + list(extra), str(tmp_path / "phoenixd.log"))


def start_bitcoind(tmp_path, chain="regtest", watch=True):
    b = Bitcoind(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0", "--rpcauth",
                  f"{WATCH_USER}:{WATCH_PASSWORD}", "--chain", chain, "--ledger",
                  str(tmp_path / "bitcoind.jsonl"), "--verbose"], str(tmp_path / "bitcoind.log"))
    if watch:
        b.watch_wallet()
    return b


def stores(phoenixd=None, bitcoind=None, ln_poll=30, chain_poll=1, confirmations=1,
           public_url=None, store_extra=""):
    """The [server] tail and the stores of a receiving qpayd.toml."""
    text = f'public_url = "{public_url}"\n' if public_url else ""
    text += f"""
[auth]
api_token_env = "QPAYD_API_TOKEN"
admin_token_env = "QPAYD_ADMIN_TOKEN"
payout_token_env = "QPAYD_PAYOUT_TOKEN"

[[stores]]
id = "main"
network = "regtest"
admin_token_env = "QPAYD_MAIN_ADMIN_TOKEN"
payout_token_env = "QPAYD_MAIN_PAYOUT_TOKEN"
confirmations_required = {confirmations}
{store_extra}
"""
    if phoenixd is not None:
        text += f"""
[stores.lightning]
backend = "phoenixd"
url = "{phoenixd.url}"
limited_api_password_env = "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"
webhook_secret_env = "QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET"
poll_seconds = {ln_poll}
"""
    if bitcoind is not None:
        text += f"""
[stores.bitcoin]
backend = "bitcoind"
url = "{bitcoind.url}"
wallet = "watch"
rpc_auth_env = "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH"
poll_seconds = {chain_poll}
"""
    return text


def create(s, amount=1000, **kw):
    """A new invoice of store main (API token); asserts 201."""
    st, _, inv = s.request("POST", "/v1/stores/main/invoices", dict({"amount_sats": amount}, **kw),
                           token=API)
    assert st == 201, inv
    return inv


def get(s, inv):
    """The invoice as GET shows it now; asserts 200."""
    st, _, got = s.request("GET", f"/v1/stores/main/invoices/{inv['id']}", token=API)
    assert st == 200, got
    return got


def wait_for(fn, timeout=10, what="condition"):
    """Polls fn until it returns something true; returns that."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def receiving_server(tmp_path, dburl, daemons, **kw):
    s = Server(tmp_path, dburl, stores=stores(**kw))
    daemons.append(s)
    return s
