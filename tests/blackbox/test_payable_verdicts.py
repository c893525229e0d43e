"""One answer to "can this backend pay this destination" (common/payable.c):
for every destination type and every payout backend it can reach, the API's
`execution` field, `refunds-once --dry-run` and the real `refunds-once` say
the same: auto <-> would-claim <-> claimed, manual <-> verdict=manual <->
manual_only. A Lightning destination is paid by the store's
lightning_payout (phoenixd or barkd), a Bitcoin address by its
bitcoin_payout (bitcoind): those are the pairs a refund can meet."""
import os
import re
import sys

import pytest

from apiutil import ADMIN
from conftest import EXECUTOR, PAYOUT_ENV, ROOT, Server, base_env, run
from lnutil import bech32_encode, convertbits, make_bolt11
from payutil import EXECUTOR_LIGHTNING, LIMITED, ln_paid_invoice
from test_executor_pay import STORES, Fake, get, refund

FAKES = f"{ROOT}/tests/fakes"
sys.path.insert(0, FAKES)
import fakeutil  # noqa: E402

ADDR = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"
LNURL = bech32_encode("lnurl", convertbits(b"https://example.com/lnurlp/alice", 8, 5))
BARKD_TOKEN = "barkd-canary-token"

# What each payout backend can pay (docs/executor.md, The payout backends).
PAYABLE = {
    "phoenixd": {"bolt11", "bolt11_no_amount", "bolt12_offer", "lightning_address",
                 "bitcoin_address"},
    "barkd": {"bolt11", "bolt11_no_amount", "bolt12_offer", "lightning_address", "lnurl",
              "bitcoin_address"},
}


def destinations(amount):
    """{name: destination} of every type dest.h knows, for a refund of amount."""
    return {
        "bolt11": make_bolt11("regtest", amount * 1000)[0],
        "bolt11_no_amount": make_bolt11("regtest", None)[0],
        "bolt12_offer": fakeutil.make_offer("regtest", None),
        "lightning_address": "alice@example.com",
        "lnurl": LNURL,
        "bitcoin_address": ADDR,
    }


def executor_config(tmp_path, lightning, phoenixd, barkd, bitcoind):
    if lightning == "phoenixd":
        payout = f'backend = "phoenixd"\nurl = "{phoenixd.url}"\n' \
                 'full_api_password_env = "QPAYD_LIGHTNING_REFUND_PASSWORD"'
    else:
        payout = f'backend = "barkd"\nurl = "{barkd.url}"\ntoken_env = "QPAYD_BARKD_TOKEN"'
    cfg = tmp_path / "executor.toml"
    cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[executor]
name = "wallet-test"
request_timeout_seconds = 5
journal = "{tmp_path}/journal"

[[stores]]
id = "main"
network = "regtest"

{EXECUTOR_LIGHTNING.format(url=phoenixd.url)}
[stores.lightning_payout]
{payout}

[stores.lightning_payout.refunds]
enabled = true
max_refund_sats = 100000

[stores.bitcoin_payout]
backend = "bitcoind"
url = "{bitcoind.url}"
wallet = "refunds"
rpc_auth_env = "QPAYD_BITCOIN_REFUND_RPC_AUTH"

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
""")
    return cfg


@pytest.fixture
def fakes(tmp_path):
    user, password = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
    started = []
    try:
        for argv in (
                [f"{FAKES}/phoenixd.py", "--password",
                 PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"], "--limited-password", LIMITED,
                 "--ledger", str(tmp_path / "phoenixd.jsonl"), "--network", "regtest"],
                [f"{FAKES}/barkd.py", "--token", BARKD_TOKEN, "--ledger",
                 str(tmp_path / "barkd.jsonl"), "--network", "regtest", "--settle-after", "0.3"],
                [f"{FAKES}/bitcoind.py", "--rpcauth", f"{user}:{password}", "--chain",
                 "regtest", "--ledger", str(tmp_path / "bitcoind.jsonl")]):
            started.append(Fake(["/usr/bin/python3", argv[0], "--port", "0"] + argv[1:]))
        yield started
    finally:
        for f in started:
            f.stop()


def events(server, rid):
    st, _, ev = server.request("GET", f"/v1/stores/main/refunds/{rid}/events", token=ADMIN)
    assert st == 200, ev
    return [e["event"] for e in ev["data"]]


@pytest.mark.parametrize("lightning", ["phoenixd", "barkd"])
def test_api_dry_run_and_pass_agree(lightning, tmp_path, dburl, daemons, fakes, cluster, dbname):
    phoenixd, barkd, bitcoind = fakes
    # qpayd's file names the payout tables' backends (no credential): then the
    # API's execution field can give the executor's answer
    stores = STORES.replace(
        "[stores.lightning_payout.refunds]",
        f'[stores.lightning_payout]\nbackend = "{lightning}"\nurl = "http://127.0.0.1:9"\n\n'
        "[stores.lightning_payout.refunds]").replace(
        "[stores.bitcoin_payout.refunds]",
        '[stores.bitcoin_payout]\nbackend = "bitcoind"\nurl = "http://127.0.0.1:9"\n'
        'wallet = "refunds"\n\n[stores.bitcoin_payout.refunds]')
    server = Server(tmp_path, dburl, stores=stores)
    daemons.append(server)
    inv = ln_paid_invoice(server, cluster.connect(dbname), phoenixd.url, 20000)["id"]
    amount = 1000
    ids, execution = {}, {}
    for name, dest in destinations(amount).items():
        rid = refund(server, inv, amount, dest)
        ids[name] = rid
        execution[name] = get(server, rid)["execution"]
    cfg = executor_config(tmp_path, lightning, phoenixd, barkd, bitcoind)
    env = base_env(dburl, {**PAYOUT_ENV, "QPAYD_BARKD_TOKEN": BARKD_TOKEN})

    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once", "--dry-run"], env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    dry = {m.group(2): (m.group(1), m.group(3))
           for m in re.finditer(r"^(would-\w+) refund=(\S+) .*\n(?:  verdict=(\w+)\n)?",
                                r.stdout, re.M)}

    r = run(EXECUTOR, ["--config", str(cfg), "refunds-once"], env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "canary" not in r.stdout + r.stderr

    for name, rid in ids.items():
        want = name in PAYABLE[lightning]
        ev = events(server, rid)
        what = (name, lightning, dry.get(rid), execution[name], ev)
        if want:
            assert dry.get(rid) == ("would-claim", None), what
            assert execution[name] == "auto", what
            assert "claimed" in ev and "manual_only" not in ev, what
        else:
            assert dry.get(rid) == ("would-skip", "manual"), what
            assert execution[name] == "manual", what
            assert "claimed" not in ev and "manual_only" in ev, what
            assert get(server, rid)["status"] == "pending", what
    if lightning == "phoenixd":  # the case that disagreed: LNURL through phoenixd
        assert execution["lnurl"] == "manual"
        assert "phoenixd cannot pay a lnurl" in get(server, ids["lnurl"])["execution_reason"]
