"""qpayd wallet-init against the fake bitcoind: it creates (or loads) the
store's watch-only descriptor wallet and imports a public ranged descriptor;
private keys never leave the host; every failure names the store and the
method. No PostgreSQL needed."""
import os
import re
import subprocess

import pytest

from conftest import QPAYD, ROOT, TEST_ENV, base_env, run
from test_fake_bitcoind import FAKE, TPRV, TPUB, Fake

DB = {"QPAYD_DATABASE_URL": "postgresql://qpayd@127.0.0.1/qpayd"}
USER, PASSWORD = TEST_ENV["QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH"].split(":")
DESC = "wpkh([d34db33f/84h/1h/0h]%s/0/*)" % TPUB
BITCOIN_CONF = os.path.join(ROOT, "deploy", "bitcoin.conf.example")


class Bitcoind(Fake):
    """The fake bitcoind with qpayd's watch login and a request log
    (--verbose) in a file, so a test can prove that nothing reached it."""

    def __init__(self, tmp_path, *extra):
        self.ledger = str(tmp_path / "bitcoind-ledger.jsonl")
        self.logpath = str(tmp_path / "bitcoind.log")
        argv = ["/usr/bin/python3", FAKE, "--port", "0", "--rpcauth", "alice:pw-a",
                "--rpcauth", f"{USER}:{PASSWORD}", "--chain", "regtest", "--ledger", self.ledger,
                "--verbose"] + list(extra)
        with open(self.logpath, "w") as log:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"listening 127\.0\.0\.1:(\d+)\n", line)
        assert m, "bad first line %r: %s" % (line, self.log())
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def log(self):
        with open(self.logpath) as f:
            return f.read()

    def rpc_requests(self):
        return [l for l in self.log().splitlines() if '"POST /' in l]


def config(tmp_path, url, wallet="watch", network="regtest"):
    cfg = tmp_path / "qpayd.toml"
    cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[auth]
api_token_env = "QPAYD_API_TOKEN"

[[stores]]
id = "main"
network = "{network}"

[stores.bitcoin]
backend = "bitcoind"
url = "{url}"
wallet = "{wallet}"
rpc_auth_env = "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH"

[[stores]]
id = "nochain"
network = "regtest"
""")
    return cfg


def wallet_init(cfg, *args):
    r = run(QPAYD, ["--config", str(cfg), "wallet-init"] + list(args), base_env(extra=DB))
    assert "canary" not in r.stdout + r.stderr, "a secret reached the output"
    assert "ERROR: AddressSanitizer" not in r.stderr and "runtime error:" not in r.stderr, r.stderr
    return r


@pytest.fixture
def node(tmp_path):
    f = Bitcoind(tmp_path)
    yield f
    f.stop()


def test_creates_the_watch_wallet_then_hands_out_addresses(tmp_path, node):
    cfg = config(tmp_path, node.url)
    assert "watch" not in node.ok("listwallets")
    r = wallet_init(cfg, "--store", "main", "--descriptor", DESC)
    assert r.returncode == 0, r.stderr
    full = node.ok("getdescriptorinfo", [DESC])["descriptor"]
    assert f"store main: wallet watch (created) watches {full} (range 0-999, next index 0)" in r.stdout
    assert "private keys disabled" in r.stdout
    info = node.ok("getwalletinfo", wallet="watch")
    assert info["private_keys_enabled"] is False and info["descriptors"] is True
    listed = node.ok("listdescriptors", wallet="watch")["descriptors"]
    assert [(d["desc"], d["active"]) for d in listed] == [(full, True)]
    addr = node.ok("getnewaddress", wallet="watch")
    assert addr.startswith("bcrt1q") and addr == node.ok("deriveaddresses", [full, [0, 0]])[0]

    again = wallet_init(cfg, "--store", "main", "--descriptor", DESC)
    assert again.returncode == 0, again.stderr
    assert "wallet watch (existing)" in again.stdout and "next index 1" in again.stdout
    # a second run keeps the address index: no address is handed out twice
    assert node.ok("getnewaddress", wallet="watch") not in (addr,)


def test_existing_unloaded_wallet_is_loaded(tmp_path, node):
    node.ok("createwallet", {"wallet_name": "watch", "disable_private_keys": True, "blank": True,
                             "descriptors": True})
    node.ok("unloadwallet", ["watch"])
    r = wallet_init(config(tmp_path, node.url), "--store", "main", "--descriptor", DESC)
    assert r.returncode == 0, r.stderr
    assert "watch" in node.ok("listwallets") and "(existing)" in r.stdout
    assert node.ok("getnewaddress", wallet="watch").startswith("bcrt1q")


def test_existing_watch_wallet_from_start(tmp_path):
    f = Bitcoind(tmp_path, "--watch-wallet", "watch")
    try:
        r = wallet_init(config(tmp_path, f.url), "--descriptor", DESC, "--store", "main")
        assert r.returncode == 0, r.stderr
        assert "(existing)" in r.stdout
        assert f.ok("getnewaddress", wallet="watch").startswith("bcrt1q")
    finally:
        f.stop()


@pytest.mark.parametrize("desc", [
    "wpkh([d34db33f/84h/1h/0h]%s/0/*)" % TPRV,
    "tr(cRhCT5vC5NdnSrQ2Jrah6NPCcth41uT8DWFmA6uD8R4x2ufucnYX)",   # WIF, testnet
])
def test_private_key_refused_before_any_call(tmp_path, node, desc):
    before = len(node.rpc_requests())
    r = wallet_init(config(tmp_path, node.url), "--store", "main", "--descriptor", desc)
    assert r.returncode == 1
    assert "store main" in r.stderr and "holds a private key" in r.stderr
    assert "watch-only (public) descriptor" in r.stderr
    assert desc not in r.stderr + r.stdout
    assert len(node.rpc_requests()) == before, node.log()
    assert node.control("state", method="GET")["wallets"].get("watch") is None
    node.ok("getblockcount")  # the log does count requests: this one shows
    assert len(node.rpc_requests()) == before + 1, node.log()


def test_wrong_checksum_reports_the_node(tmp_path, node):
    right = node.ok("getdescriptorinfo", [DESC])["checksum"]
    wrong = "qqqqqqqq" if right != "qqqqqqqq" else "pppppppp"
    r = wallet_init(config(tmp_path, node.url), "--store", "main", "--descriptor",
                    f"{DESC}#{wrong}")
    assert r.returncode == 1
    assert "getdescriptorinfo" in r.stderr and "-5" in r.stderr
    assert f"Provided checksum '{wrong}' does not match computed checksum '{right}'" in r.stderr
    assert "watch" not in node.ok("listwallets")


def test_unranged_descriptor_refused(tmp_path, node):
    r = wallet_init(config(tmp_path, node.url), "--store", "main", "--descriptor",
                    "wpkh([d34db33f/84h/1h/0h]%s/0/7)" % TPUB)
    assert r.returncode == 1 and "not ranged" in r.stderr
    assert "watch" not in node.ok("listwallets")


def test_spending_wallet_refused(tmp_path, node):
    r = wallet_init(config(tmp_path, node.url, wallet="refunds"), "--store", "main",
                    "--descriptor", DESC)
    assert r.returncode == 1
    assert "wallet refunds has private keys enabled" in r.stderr
    assert all(TPUB not in d["desc"] for d in
               node.ok("listdescriptors", wallet="refunds")["descriptors"])


@pytest.mark.parametrize("args", [
    ["--descriptor", DESC],
    ["--store", "main"],
    ["--store", "main", "--descriptor", DESC, "--colour", "blue"],
])
def test_usage_errors(tmp_path, args):
    r = wallet_init(config(tmp_path, "http://127.0.0.1:9"), *args)
    assert r.returncode == 2, r.stderr


def test_options_belong_to_their_command(tmp_path):
    cfg = config(tmp_path, "http://127.0.0.1:9")
    r = run(QPAYD, ["--config", str(cfg), "check-config", "--store", "main"], base_env(extra=DB))
    assert r.returncode == 2 and "--store" in r.stderr


def test_unknown_store_and_store_without_bitcoin(tmp_path, node):
    cfg = config(tmp_path, node.url)
    r = wallet_init(cfg, "--store", "shop", "--descriptor", DESC)
    assert r.returncode == 1 and "store shop" in r.stderr and "no such store" in r.stderr
    r = wallet_init(cfg, "--store", "nochain", "--descriptor", DESC)
    assert r.returncode == 1 and "store nochain" in r.stderr and "[stores.bitcoin]" in r.stderr
    assert node.rpc_requests() == []


def test_node_down(tmp_path):
    r = wallet_init(config(tmp_path, "http://127.0.0.1:9"), "--store", "main", "--descriptor",
                    DESC)
    assert r.returncode == 1 and "store main" in r.stderr and "getdescriptorinfo" in r.stderr


def test_whitelist_without_importdescriptors(tmp_path):
    f = Bitcoind(tmp_path, "--whitelist",
                 f"{USER}:getdescriptorinfo,createwallet,loadwallet,getwalletinfo")
    try:
        r = wallet_init(config(tmp_path, f.url), "--store", "main", "--descriptor", DESC)
        assert r.returncode == 1
        assert "importdescriptors" in r.stderr and "403" in r.stderr
        assert f.ok("listdescriptors", wallet="watch")["descriptors"] == []
    finally:
        f.stop()


def deploy_whitelist():
    """The methods of the rpcwhitelist= line of deploy/bitcoin.conf.example."""
    with open(BITCOIN_CONF) as f:
        lines = [l.strip() for l in f if l.strip().startswith("rpcwhitelist=")]
    assert len(lines) == 1, lines
    user, _, methods = lines[0][len("rpcwhitelist="):].partition(":")
    assert user == "qpayd"
    return methods


def test_deploy_whitelist_is_enough(tmp_path):
    """The whitelist documented in deploy/ lets wallet-init, check-config and
    the receive calls through, and nothing that spends."""
    methods = deploy_whitelist()
    for needed in ("getblockchaininfo", "getwalletinfo", "getnewaddress", "listsinceblock",
                   "gettransaction", "getdescriptorinfo", "createwallet", "loadwallet",
                   "importdescriptors", "listdescriptors"):
        assert needed in methods.split(",")
    assert "sendtoaddress" not in methods and "walletpassphrase" not in methods
    f = Bitcoind(tmp_path, "--whitelist", f"{USER}:{methods}")
    try:
        cfg = config(tmp_path, f.url)
        for _ in range(2):
            r = wallet_init(cfg, "--store", "main", "--descriptor", DESC)
            assert r.returncode == 0, r.stderr
        r = run(QPAYD, ["--config", str(cfg), "check-config"], base_env(extra=DB))
        assert r.returncode == 0, r.stdout + r.stderr
        auth = (USER, PASSWORD)
        addr = f.rpc("getnewaddress", wallet="watch", auth=auth)[1]
        assert addr.startswith("bcrt1q")
        paid = f.control("pay", {"address": addr, "amount_sat": 5000})
        f.control("mine", {"blocks": 1})
        st, res, err = f.rpc("listsinceblock", [], wallet="watch", auth=auth)
        assert st == 200 and err is None
        assert [t["txid"] for t in res["transactions"]] == [paid["txid"]]
        assert f.rpc("gettransaction", [paid["txid"]], wallet="watch", auth=auth)[0] == 200
        st, _, _ = f.raw_rpc("sendtoaddress", [addr, "0.0001"], wallet="refunds", auth=auth)
        assert st == 403
    finally:
        f.stop()
