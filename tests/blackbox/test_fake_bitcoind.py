"""Tests of the fake bitcoind (tests/fakes/bitcoind.py): what a client sees
over HTTP must match Bitcoin Core (status codes, bodies, 8-decimal amounts,
error codes and messages), and the control API must drive the chain, the
wallets and the faults. No PostgreSQL needed."""
import base64
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lnutil  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FAKE = os.path.join(ROOT, "tests", "fakes", "bitcoind.py")

# BIP173 / BIP350 / Bitcoin Core key_io vectors
MAIN_P2WPKH = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
REGTEST_P2WPKH = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
V0_WITH_BECH32M = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh"
V1_WITH_BECH32 = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"
MAIN_P2PKH = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
MAIN_P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
TESTNET_P2PKH = "mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j"
G_PUB = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"


def b58check(payload):
    chk = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = int.from_bytes(payload + chk, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(payload) - len(payload.lstrip(b"\0"))) + out


def ext_key(version_hex, key33):
    return b58check(bytes.fromhex(version_hex) + b"\0" * 9 + hashlib.sha256(b"cc").digest() + key33)


TPUB = ext_key("043587CF", bytes.fromhex(G_PUB))
TPRV = ext_key("04358394", b"\0" + (1).to_bytes(32, "big"))
XPUB = ext_key("0488B21E", bytes.fromhex(G_PUB))


class Fake:
    def __init__(self, tmp_path, *extra, chain="regtest"):
        self.ledger = str(tmp_path / ("ledger-%s.jsonl" % chain))
        argv = ["/usr/bin/python3", FAKE, "--port", "0", "--rpcauth", "alice:pw-a", "--rpcauth", "bob:pw-b",
                "--chain", chain, "--ledger", self.ledger] + list(extra)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"listening 127\.0\.0\.1:(\d+)\n", line)
        assert m, "bad first line %r, stderr %s" % (line, self.proc.stderr.read() if self.proc.poll() is not None else "")
        self.port = int(m.group(1))
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def http(self, path, body=None, method="POST", auth=("alice", "pw-a"), timeout=10, headers=None):
        """Returns (status, headers, body text)."""
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if auth is not None:
            req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def raw_rpc(self, method, params=None, wallet=None, **kw):
        body = json.dumps({"jsonrpc": "1.0", "id": "t", "method": method, "params": [] if params is None else params})
        path = "/" if wallet is None else "/wallet/" + wallet
        return self.http(path, body, **kw)

    def rpc(self, method, params=None, wallet=None, **kw):
        """Returns (status, result, error)."""
        status, _, text = self.raw_rpc(method, params, wallet, **kw)
        doc = json.loads(text)
        return status, doc["result"], doc["error"]

    def ok(self, method, params=None, wallet=None):
        status, result, error = self.rpc(method, params, wallet)
        assert status == 200 and error is None, (method, status, error)
        return result

    def err(self, method, params=None, wallet=None, status=500):
        st, result, error = self.rpc(method, params, wallet)
        assert st == status, (method, st, result, error)
        assert result is None
        return error

    def control(self, route, body=None, method="POST"):
        st, _, text = self.http("/_fake/" + route, None if body is None else json.dumps(body),
                                method=method, auth=None)
        assert st == 200, (route, st, text)
        return json.loads(text)

    def ledger_file(self):
        if not os.path.exists(self.ledger):
            return []
        with open(self.ledger) as f:
            return [json.loads(line) for line in f if line.strip()]


@pytest.fixture
def fake(tmp_path):
    f = Fake(tmp_path)
    yield f
    f.stop()


@pytest.fixture
def mainnet(tmp_path):
    f = Fake(tmp_path, chain="main")
    yield f
    f.stop()


def watch_wallet(fake, name="watch"):
    """A descriptor watch-only wallet with an active ranged wpkh(tpub/0/*)."""
    fake.ok("createwallet", {"wallet_name": name, "disable_private_keys": True, "blank": True,
                             "descriptors": True, "load_on_startup": False})
    desc = fake.ok("getdescriptorinfo", ["wpkh([d34db33f/84h/1h/0h]%s/0/*)" % TPUB])["descriptor"]
    res = fake.ok("importdescriptors", [[{"desc": desc, "active": True, "range": [0, 99], "next_index": 0,
                                          "timestamp": "now", "internal": False}]], wallet=name)
    assert res == [{"success": True}], res
    return desc


# ----------------------------------------------------------------- transport

def test_chain_and_listening_line(fake, mainnet):
    info = fake.ok("getblockchaininfo")
    assert info["chain"] == "regtest" and info["blocks"] == 101 and info["headers"] == 101
    assert info["initialblockdownload"] is False and re.fullmatch("[0-9a-f]{64}", info["bestblockhash"])
    assert fake.ok("getblockhash", [101]) == info["bestblockhash"]
    assert mainnet.ok("getblockchaininfo")["chain"] == "main"


def test_auth(fake):
    st, headers, body = fake.raw_rpc("getblockcount", auth=None)
    assert (st, body) == (401, "") and headers["WWW-Authenticate"] == 'Basic realm="jsonrpc"'
    t0 = time.monotonic()
    st, headers, body = fake.raw_rpc("getblockcount", auth=("alice", "wrong"))
    assert (st, body) == (401, "") and headers["WWW-Authenticate"] == 'Basic realm="jsonrpc"'
    assert time.monotonic() - t0 >= 0.2
    st, _, body = fake.raw_rpc("getblockcount", auth=("bob", "pw-a"))
    assert (st, body) == (401, "")
    assert fake.rpc("getblockcount", auth=("alice", "pw-a"))[1] == 101
    assert fake.rpc("getblockcount", auth=("bob", "pw-b"))[1] == 101


def test_whitelist(tmp_path):
    f = Fake(tmp_path, "--whitelist", "bob:getblockchaininfo,getblockcount")
    try:
        assert f.rpc("getblockcount", auth=("bob", "pw-b"))[0] == 200
        st, _, body = f.raw_rpc("getbalance", wallet="refunds", auth=("bob", "pw-b"))
        assert (st, body) == (403, "")
        assert f.rpc("getbalance", wallet="refunds")[1] == 10   # alice has no whitelist
    finally:
        f.stop()


def test_http_errors(fake):
    st, _, body = fake.http("/", method="GET")
    assert (st, body) == (405, "JSONRPC server handles only POST requests")
    st, _, _ = fake.http("/rest/chaininfo.json", "{}")
    assert st == 404
    st, headers, text = fake.http("/", '{"method":"nosuchmethod","params":[],"id":7}')
    assert st == 404 and headers["Content-Type"] == "application/json"
    assert json.loads(text) == {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 7}
    st, _, text = fake.http("/", "this is not json")
    assert st == 500 and json.loads(text)["error"]["code"] == -32700
    st, _, text = fake.http("/", '{"method": 5, "id": 1}')
    assert st == 400 and json.loads(text)["error"] == {"code": -32600, "message": "Method must be a string"}
    err = fake.err("getblockhash", {"height": 1, "bogus": 2})
    assert err == {"code": -8, "message": "Unknown named parameter bogus"}
    err = fake.err("getblockhash", ["1"])
    assert err["code"] == -3 and "JSON value of type string is not of expected type number" in err["message"]


def test_batch_and_jsonrpc2(fake):
    st, _, text = fake.http("/", '[{"method":"getblockcount","id":1},{"method":"nope","id":2}]')
    assert st == 200
    assert json.loads(text) == [{"result": 101, "error": None, "id": 1},
                                {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 2}]
    st, _, text = fake.http("/", '{"jsonrpc":"2.0","method":"nope","id":3}')
    assert st == 200 and json.loads(text) == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"},
                                              "id": 3}


def test_wallet_routing(fake):
    assert fake.ok("getbalance") == 10                       # one wallet loaded: / works
    fake.ok("createwallet", ["watch", True, True, None, False, True, False])
    assert fake.ok("listwallets") == ["refunds", "watch"]
    err = fake.err("getbalance")
    assert err["code"] == -19 and "/wallet/<walletname>" in err["message"]
    err = fake.err("sendtoaddress", [REGTEST_P2WPKH, "0.0001"])
    assert err["code"] == -19 and fake.ledger_file() == []
    assert fake.ok("getblockchaininfo")["chain"] == "regtest"    # node calls need no wallet
    assert fake.ok("getbalance", wallet="refunds") == 10
    assert fake.ok("getbalance", wallet="watch") == 0
    err = fake.err("getbalance", wallet="nope")
    assert err == {"code": -18, "message": "Requested wallet does not exist or is not loaded"}
    err = fake.err("createwallet", {"wallet_name": "watch"})
    assert err["code"] == -4 and "Database already exists" in err["message"]
    err = fake.err("sendtoaddress", [REGTEST_P2WPKH, "0.0001"], wallet="watch")
    assert err == {"code": -4, "message": "Error: Private keys are disabled for this wallet"}


# ---------------------------------------------------------------- payments

def test_sendtoaddress_amount_string_and_number(fake):
    st, _, t1 = fake.http("/wallet/refunds", '{"id":1,"method":"sendtoaddress","params":["%s","0.00002000"]}'
                          % REGTEST_P2WPKH)
    st2, _, t2 = fake.http("/wallet/refunds", '{"id":2,"method":"sendtoaddress","params":["%s",0.00002000]}'
                           % REGTEST_P2WPKH)
    assert st == st2 == 200
    txid1, txid2 = json.loads(t1)["result"], json.loads(t2)["result"]
    assert re.fullmatch("[0-9a-f]{64}", txid1) and re.fullmatch("[0-9a-f]{64}", txid2) and txid1 != txid2
    assert [(e["txid"], e["amount_sat"], e["fee_sat"], e["address"]) for e in fake.ledger_file()] == \
        [(txid1, 2000, 141, REGTEST_P2WPKH), (txid2, 2000, 141, REGTEST_P2WPKH)]
    _, _, text = fake.raw_rpc("gettransaction", [txid1], wallet="refunds")
    assert re.search(r'"amount":\s*-0\.00002000[,}]', text), text
    assert re.search(r'"fee":\s*-0\.00000141[,}]', text), text
    _, _, text = fake.raw_rpc("getbalance", wallet="refunds")
    assert re.search(r'"result":\s*9\.99995718[,}]', text), text    # 10 BTC - 2 * (2000 + 141) sat
    tx = fake.ok("gettransaction", [txid1], wallet="refunds")
    assert tx["confirmations"] == 0 and tx["trusted"] is True and tx["bip125-replaceable"] == "yes"
    assert tx["details"] == [{"address": REGTEST_P2WPKH, "category": "send", "amount": -0.00002,
                              "vout": tx["details"][0]["vout"], "fee": -0.00000141, "abandoned": False}]
    # the hex is the transaction: its double SHA-256 without witness is the txid
    assert tx["txid"] == txid1 and re.fullmatch("[0-9a-f]+", tx["hex"])


@pytest.mark.parametrize("amount, code, message", [
    ('"0.000000001"', -3, "Invalid amount"),
    ("0.000000001", -3, "Invalid amount"),
    ('"abc"', -3, "Invalid amount"),
    ('"1,5"', -3, "Invalid amount"),
    ('"-0.0001"', -3, "Amount out of range"),
    ("21000001", -3, "Amount out of range"),
    ("true", -3, "Amount is not a number or string"),
    ("0", -6, "Transaction amount too small"),
    ('"0.00000293"', -6, "Transaction amount too small"),     # below P2WPKH dust (294 sat)
])
def test_sendtoaddress_bad_amounts(fake, amount, code, message):
    st, _, text = fake.http("/wallet/refunds", '{"id":1,"method":"sendtoaddress","params":["%s",%s]}'
                            % (REGTEST_P2WPKH, amount))
    assert st == 500 and json.loads(text)["error"] == {"code": code, "message": message}
    assert fake.ledger_file() == [] and fake.control("ledger", method="GET") == []


def test_sendtoaddress_trailing_zeros_and_fee_rate(fake):
    # ParseFixedPoint accepts zeros beyond the 8th decimal and exponents
    fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.000020000000"], wallet="refunds")
    fake.ok("sendtoaddress", {"address": REGTEST_P2WPKH, "amount": "3e-5", "fee_rate": "2.5"}, wallet="refunds")
    assert [(e["amount_sat"], e["fee_sat"]) for e in fake.ledger_file()] == [(2000, 141), (3000, 353)]
    err = fake.err("sendtoaddress", {"address": REGTEST_P2WPKH, "amount": 1, "fee_rate": 1, "conf_target": 2},
                   wallet="refunds")
    assert err["code"] == -8
    err = fake.err("sendtoaddress", {"address": REGTEST_P2WPKH, "amount": 1, "fee_rate": "0.5"}, wallet="refunds")
    assert err["code"] == -6 and "lower than the minimum fee rate" in err["message"]


def test_address_validation_regtest(fake):
    for bad in (MAIN_P2WPKH, REGTEST_P2WPKH[:-1] + "8", MAIN_P2PKH,
                lnutil.bech32_encode("bcrt", [1] + lnutil.convertbits(b"\x01" * 32, 8, 5), m=False)):
        err = fake.err("sendtoaddress", [bad, "0.0001"], wallet="refunds")
        assert err == {"code": -5, "message": "Invalid Bitcoin address: " + bad}
        assert fake.ok("validateaddress", [bad])["isvalid"] is False
    for good in (lnutil.p2tr("regtest"), lnutil.p2wpkh("regtest"), TESTNET_P2PKH, REGTEST_P2WPKH.upper()):
        assert fake.ok("validateaddress", [good])["isvalid"] is True
        assert re.fullmatch("[0-9a-f]{64}", fake.ok("sendtoaddress", [good, "0.0001"], wallet="refunds"))
    assert len(fake.ledger_file()) == 4


def test_address_validation_mainnet(mainnet):
    info = mainnet.ok("validateaddress", [MAIN_P2WPKH])
    assert info["isvalid"] and info["witness_version"] == 0 and info["scriptPubKey"] == \
        "0014751e76e8199196d454941c45d1b3a323f1433bd6"
    for good in (MAIN_P2PKH, MAIN_P2SH, lnutil.p2tr("mainnet")):
        assert mainnet.ok("validateaddress", [good])["isvalid"] is True
    for bad in (V0_WITH_BECH32M, V1_WITH_BECH32, REGTEST_P2WPKH, TESTNET_P2PKH, MAIN_P2PKH[:-1] + "3",
                "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "BC1QW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"):
        assert mainnet.ok("validateaddress", [bad])["isvalid"] is False, bad
        err = mainnet.err("sendtoaddress", [bad, 0.001], wallet="refunds")
        assert err == {"code": -5, "message": "Invalid Bitcoin address: " + bad}
    mainnet.ok("sendtoaddress", [MAIN_P2WPKH, 0.001], wallet="refunds")
    assert [e["address"] for e in mainnet.ledger_file()] == [MAIN_P2WPKH]


def test_comment_roundtrip_and_verbose(fake):
    res = fake.ok("sendtoaddress", {"address": REGTEST_P2WPKH, "amount": "0.00050000", "comment": "refund:r-42",
                                    "comment_to": "alice", "verbose": True}, wallet="refunds")
    assert set(res) == {"txid", "fee_reason"}
    txid = res["txid"]
    tx = fake.ok("gettransaction", [txid], wallet="refunds")
    assert tx["comment"] == "refund:r-42" and tx["to"] == "alice"
    other = fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.0006", "refund:r-43"], wallet="refunds")
    listed = fake.ok("listtransactions", ["*", 10, 0, True], wallet="refunds")
    assert [(e["txid"], e["category"], e["comment"], e["amount"]) for e in listed] == \
        [(txid, "send", "refund:r-42", -0.0005), (other, "send", "refund:r-43", -0.0006)]   # most recent last
    assert fake.ok("listtransactions", ["*", 1, 0], wallet="refunds")[0]["txid"] == other
    assert fake.ok("listtransactions", ["*", 1, 1], wallet="refunds")[0]["txid"] == txid
    assert fake.ledger_file()[0]["comment"] == "refund:r-42"


def test_sendtoaddress_pays_again(fake):
    a = fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.001", "refund:same"], wallet="refunds")
    b = fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.001", "refund:same"], wallet="refunds")
    assert a != b
    assert [e["txid"] for e in fake.ledger_file()] == [a, b]
    assert fake.ok("getbalance", wallet="refunds") == pytest.approx(10 - 2 * 0.00100141)


def test_insufficient_funds(fake):
    fake.control("balance", {"wallet": "refunds", "sat": 10_000})
    assert fake.ok("getbalance", wallet="refunds") == 0.0001
    err = fake.err("sendtoaddress", [REGTEST_P2WPKH, "0.0001"], wallet="refunds")
    assert err == {"code": -6, "message": "Insufficient funds"}
    fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.0001", "", "", True], wallet="refunds")   # fee from amount
    assert [(e["amount_sat"], e["fee_sat"]) for e in fake.ledger_file()] == [(10_000 - 141, 141)]


def test_restart_on_ledger(tmp_path):
    f = Fake(tmp_path)
    try:
        txid = f.ok("sendtoaddress", [REGTEST_P2WPKH, "0.5", "refund:before-restart"], wallet="refunds")
    finally:
        f.stop()
    f = Fake(tmp_path)   # same ledger file: the wallet remembers its payments, the chain is new
    try:
        assert [(e["txid"], e["comment"]) for e in f.ok("listtransactions", wallet="refunds")] == \
            [(txid, "refund:before-restart")]
        assert f.ok("gettransaction", [txid], wallet="refunds")["amount"] == -0.5
        assert f.ok("getbalance", wallet="refunds") == pytest.approx(10 - 0.50000141)
        f.ok("sendtoaddress", [REGTEST_P2WPKH, "0.1"], wallet="refunds")
        assert len(f.ledger_file()) == 2
    finally:
        f.stop()


# ------------------------------------------------------------------ faults

def test_fault_insufficient_funds_rpc_error_warmup(fake):
    fake.control("fault", {"method": "sendtoaddress", "fault": "insufficient_funds"})
    fake.control("fault", {"method": "sendtoaddress", "fault": "rpc_error:-4:Error: wallet busy: try later"})
    fake.control("fault", {"method": "sendtoaddress", "fault": "warmup"})
    assert fake.err("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds") == \
        {"code": -6, "message": "Insufficient funds"}
    assert fake.err("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds") == \
        {"code": -4, "message": "Error: wallet busy: try later"}
    assert fake.err("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds")["code"] == -28
    assert fake.ledger_file() == []
    assert fake.ok("getbalance", wallet="refunds") == 10     # faults are per method
    fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds")   # counts used up
    assert len(fake.ledger_file()) == 1


def test_fault_http_503(fake):
    fake.control("fault", {"method": "sendtoaddress", "fault": "http_503", "count": 2})
    for _ in range(2):
        st, _, body = fake.raw_rpc("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds")
        assert (st, body) == (503, "Work queue depth exceeded")
    assert fake.ledger_file() == []
    fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds")


def test_fault_delay(fake):
    fake.control("fault", {"method": "sendtoaddress", "fault": "delay:0.4"})
    t0 = time.monotonic()
    fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds")
    assert time.monotonic() - t0 >= 0.4
    assert len(fake.ledger_file()) == 1


def test_fault_hang(fake):
    fake.control("fault", {"method": "sendtoaddress", "fault": "hang"})
    with pytest.raises((socket.timeout, TimeoutError, urllib.error.URLError)):
        fake.raw_rpc("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds", timeout=0.5)
    assert fake.ledger_file() == [] and fake.ok("listtransactions", wallet="refunds") == []
    fake.control("reset-faults")
    fake.ok("sendtoaddress", [REGTEST_P2WPKH, "0.001"], wallet="refunds")
    assert len(fake.ledger_file()) == 1


def test_fault_pay_then_drop(fake):
    fake.control("fault", {"method": "sendtoaddress", "fault": "pay_then_drop"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        fake.raw_rpc("sendtoaddress", [REGTEST_P2WPKH, "0.001", "refund:lost-answer"], wallet="refunds")
    ledger = fake.ledger_file()
    assert [(e["amount_sat"], e["comment"]) for e in ledger] == [(100_000, "refund:lost-answer")]
    assert fake.control("ledger", method="GET") == ledger
    listed = fake.ok("listtransactions", ["*", 100, 0], wallet="refunds")   # how a client reconciles
    assert [(e["txid"], e["comment"]) for e in listed] == [(ledger[0]["txid"], "refund:lost-answer")]


# -------------------------------------------------------------- descriptors

def test_descriptor_checksum(fake):
    info = fake.ok("getdescriptorinfo", ["addr(%s)" % TESTNET_P2PKH])   # Bitcoin Core's own example
    assert info == {"descriptor": "addr(%s)#02wpgw69" % TESTNET_P2PKH, "checksum": "02wpgw69",
                    "isrange": False, "issolvable": False, "hasprivatekeys": False}
    assert fake.ok("getdescriptorinfo", ["raw(deadbeef)"])["checksum"] == "89f8spxm"
    wif = "tr(cRhCT5vC5NdnSrQ2Jrah6NPCcth41uT8DWFmA6uD8R4x2ufucnYX)"
    info = fake.ok("getdescriptorinfo", [wif])
    assert info["checksum"] == "gwfmkgga" and info["hasprivatekeys"] is True
    assert re.fullmatch(r"tr\([0-9a-f]{66}\)#[a-z0-9]{8}", info["descriptor"])   # public form
    err = fake.err("getdescriptorinfo", ["addr(%s)#02wpgw68" % TESTNET_P2PKH])
    assert err == {"code": -5, "message": "Provided checksum '02wpgw68' does not match computed checksum '02wpgw69'"}
    info = fake.ok("getdescriptorinfo", ["wpkh(%s/0/*)" % TPUB])
    assert info["isrange"] is True and info["descriptor"] == "wpkh(%s/0/*)#%s" % (TPUB, info["checksum"])
    assert fake.err("getdescriptorinfo", ["wpkh(%s/0/*)" % XPUB])["code"] == -5   # mainnet key on regtest


def test_importdescriptors_items(fake):
    fake.ok("createwallet", {"wallet_name": "watch", "disable_private_keys": True, "blank": True})
    body = "wpkh(%s/0/*)" % TPUB
    good = fake.ok("getdescriptorinfo", [body])["descriptor"]
    priv = fake.ok("getdescriptorinfo", ["wpkh(%s/0/*)" % TPRV])
    res = fake.ok("importdescriptors", [[
        {"desc": body, "timestamp": "now"},
        {"desc": body + "#aaaaaaaa", "timestamp": "now"},
        {"desc": "wpkh(%s/0/*)#%s" % (TPRV, priv["checksum"]), "timestamp": "now", "range": 10},
        {"desc": fake.ok("getdescriptorinfo", ["addr(%s)" % REGTEST_P2WPKH])["descriptor"],
         "timestamp": "now", "active": True},
        {"desc": good, "timestamp": 0, "active": True, "range": [0, 20]},
    ]], wallet="watch")
    assert res[0] == {"success": False, "error": {"code": -5, "message": "Missing checksum"}}
    assert res[1]["success"] is False and res[1]["error"]["code"] == -5
    assert res[1]["error"]["message"] == "Provided checksum 'aaaaaaaa' does not match computed checksum '%s'" \
        % good.split("#")[1]
    assert res[2] == {"success": False, "error": {
        "code": -4, "message": "Cannot import private keys to a wallet with private keys disabled"}}
    assert res[3] == {"success": False, "error": {"code": -8, "message": "Active descriptors must be ranged"}}
    assert res[4] == {"success": True}
    err = fake.err("importdescriptors", [[{"desc": good}]], wallet="watch")
    assert err == {"code": -3, "message": "Missing required timestamp field for key"}
    listed = fake.ok("listdescriptors", wallet="watch")["descriptors"]
    # the keypool (1000) tops the range up past the requested [0, 20], as in Core
    assert [(d["desc"], d["active"], d["range"]) for d in listed] == [(good, True, [0, 999])]


def test_getnewaddress_before_and_after_import(fake):
    fake.ok("createwallet", {"wallet_name": "watch", "disable_private_keys": True, "blank": True})
    err = fake.err("getnewaddress", wallet="watch")
    assert err["code"] == -4 and "This wallet has no available keys" in err["message"]
    desc = fake.ok("getdescriptorinfo", ["wpkh(%s/0/*)" % TPUB])["descriptor"]
    assert fake.ok("importdescriptors", [[{"desc": desc, "active": True, "range": [0, 9], "timestamp": "now"}]],
                   wallet="watch") == [{"success": True}]
    a1 = fake.ok("getnewaddress", wallet="watch")
    a2 = fake.ok("getnewaddress", ["invoice-2", "bech32"], wallet="watch")
    assert a1 != a2 and a1.startswith("bcrt1q") and a2.startswith("bcrt1q")
    for a in (a1, a2):
        assert fake.ok("validateaddress", [a])["isvalid"] is True
    assert fake.ok("deriveaddresses", [desc, [0, 1]]) == [a1, a2]
    info = fake.ok("getaddressinfo", [a2], wallet="watch")
    assert info["ismine"] is True and info["iswatchonly"] is False and info["labels"] == ["invoice-2"]
    assert info["parent_desc"] == desc
    assert fake.ok("getaddressinfo", [REGTEST_P2WPKH], wallet="watch")["ismine"] is False
    err = fake.err("getnewaddress", ["", "bech32m"], wallet="watch")
    assert err == {"code": -12, "message": "Error: No bech32m addresses available."}
    assert fake.err("getnewaddress", ["", "p2wpkh"], wallet="watch")["code"] == -5
    for _ in range(15):   # the keypool tops up past the imported range
        fake.ok("getnewaddress", wallet="watch")


# ------------------------------------------------------------ chain events

def receives(result, txid):
    return [e for e in result if e["txid"] == txid and e["category"] == "receive"]


def test_listsinceblock_confirmations(fake):
    watch_wallet(fake)
    addr = fake.ok("getnewaddress", ["inv-1"], wallet="watch")
    paid = fake.control("pay", {"address": addr, "amount_sat": 5000})
    txid = paid["txid"]
    _, _, text = fake.raw_rpc("listsinceblock", wallet="watch")
    assert re.search(r'"amount":\s*0\.00005000[,}]', text), text
    r = json.loads(text)["result"]
    [e] = receives(r["transactions"], txid)
    assert (e["address"], e["vout"], e["confirmations"], e["label"]) == (addr, paid["vout"], 0, "inv-1")
    assert e["bip125-replaceable"] == "yes" and e["trusted"] is False and "blockhash" not in e
    assert r["lastblock"] == fake.ok("getbestblockhash") and r["removed"] == []
    assert fake.ok("getbalance", wallet="watch") == 0      # unconfirmed and not ours: untrusted
    assert fake.ok("getbalances", wallet="watch")["mine"]["untrusted_pending"] == 0.00005
    lastblock = r["lastblock"]
    seen = []
    for _ in range(4):   # re-reported until it has target_confirmations (3)
        r = fake.ok("listsinceblock", [lastblock, 3], wallet="watch")
        got = receives(r["transactions"], txid)
        seen.append(got[0]["confirmations"] if got else None)
        lastblock = r["lastblock"]
        fake.control("mine", {"blocks": 1})
    assert seen == [0, 1, 2, 3]
    r = fake.ok("listsinceblock", [lastblock, 3], wallet="watch")
    assert receives(r["transactions"], txid) == []        # 4 confirmations, below lastblock: done
    tx = fake.ok("gettransaction", [txid], wallet="watch")
    assert tx["amount"] == 0.00005 and tx["confirmations"] == 4 and "fee" not in tx
    assert tx["details"][0]["category"] == "receive" and tx["blockheight"] == 102
    assert fake.ok("getbalance", wallet="watch") == 0.00005
    assert fake.ok("getreceivedbyaddress", [addr, 1], wallet="watch") == 0.00005


def test_reorg_back_to_mempool_and_dropped(fake):
    watch_wallet(fake)
    addr = fake.ok("getnewaddress", wallet="watch")
    txid = fake.control("pay", {"address": addr, "amount_sat": 7000})["txid"]
    fake.control("mine", {"blocks": 1})
    lb = fake.ok("listsinceblock", wallet="watch")["lastblock"]
    assert fake.ok("gettransaction", [txid], wallet="watch")["blockhash"] == lb
    out = fake.control("reorg", {"depth": 1})
    assert out["detached"] == [lb] and out["height"] == 102
    r = fake.ok("listsinceblock", [lb], wallet="watch")
    assert [e["confirmations"] for e in receives(r["removed"], txid)] == [0]       # left the chain
    assert [e["confirmations"] for e in receives(r["transactions"], txid)] == [0]  # back in the mempool
    assert fake.ok("getblockheader", [lb])["confirmations"] == -1
    # confirmed again, then double-spent by a reorg
    fake.control("mine", {"blocks": 1})
    lb2 = fake.ok("listsinceblock", wallet="watch")["lastblock"]
    assert fake.ok("gettransaction", [txid], wallet="watch")["confirmations"] == 1
    fake.control("reorg", {"depth": 1, "drop": [txid], "blocks": 2})
    tx = fake.ok("gettransaction", [txid], wallet="watch")
    assert tx["confirmations"] == -2 and tx["details"] == []
    r = fake.ok("listsinceblock", [lb2], wallet="watch")
    assert [e["confirmations"] for e in receives(r["removed"], txid)] == [-2]
    assert receives(r["transactions"], txid) == []
    assert fake.ok("getbalance", wallet="watch") == 0


def test_rbf_replacement(fake):
    watch_wallet(fake)
    addr = fake.ok("getnewaddress", wallet="watch")
    old = fake.control("pay", {"address": addr, "amount_sat": 9000})["txid"]
    new = fake.control("replace", {"txid": old, "amount_sat": 8800})["txid"]
    assert new != old
    r = fake.ok("listsinceblock", wallet="watch")
    [o] = receives(r["transactions"], old)
    [n] = receives(r["transactions"], new)
    assert o["confirmations"] == 0 and o["walletconflicts"] == [new] and o["mempoolconflicts"] == [new]
    assert o["trusted"] is False and n["amount"] == 0.000088 and n["walletconflicts"] == [old]
    fake.control("mine", {"blocks": 1})
    assert fake.ok("gettransaction", [old], wallet="watch")["confirmations"] == -1
    assert fake.ok("gettransaction", [new], wallet="watch")["confirmations"] == 1
    r = fake.ok("listsinceblock", wallet="watch")
    assert receives(r["transactions"], old) == [] and receives(r["transactions"], new)[0]["confirmations"] == 1
    assert fake.ok("getbalance", wallet="watch") == 0.000088


def test_ibd_and_estimatesmartfee(fake):
    fake.control("ibd", {"on": True})
    assert fake.ok("getblockchaininfo")["initialblockdownload"] is True
    fake.control("ibd", {"on": False})
    assert fake.ok("getblockchaininfo")["initialblockdownload"] is False
    assert fake.ok("estimatesmartfee", [6]) == {"errors": ["Insufficient data or no feerate found"], "blocks": 0}
    fake.control("feerate", {"sat_per_vb": 12})
    _, _, text = fake.raw_rpc("estimatesmartfee", [6, "conservative"])
    assert re.search(r'"feerate":\s*0\.00012000[,}]', text), text
    assert fake.err("estimatesmartfee", [0])["code"] == -8
