"""qpayd-executor check-config reaches each payout backend with its payout
credential, read-only (each backend's `check`, executor/backend.h): phoenixd
getinfo and getbalance with the full password, barkd's balance with its
token, bitcoind's payout wallet (getwalletinfo), which must be able to sign;
each line gives the balance in sats, and a locked wallet is said. Nothing
is paid."""
import pytest

from conftest import EXECUTOR, PAYOUT_ENV, base_env, run
from test_executor_pay import Fake
from test_payable_verdicts import BARKD_TOKEN, FAKES, executor_config, fakes  # noqa: F401

DB = {"QPAYD_DATABASE_URL": "postgresql://qpayd@127.0.0.1/qpayd"}


def check(cfg, **env_extra):
    env = base_env(extra={**DB, **PAYOUT_ENV, "QPAYD_BARKD_TOKEN": BARKD_TOKEN, **env_extra})
    r = run(EXECUTOR, ["--config", str(cfg), "check-config"], env)
    out = r.stdout + r.stderr
    assert "canary" not in out and PAYOUT_ENV["QPAYD_LIGHTNING_REFUND_PASSWORD"] not in out
    assert "ERROR: AddressSanitizer" not in out and "runtime error:" not in out, out
    return r


@pytest.mark.parametrize("lightning", ["phoenixd", "barkd"])
def test_check_config_reaches_the_payout_backends(lightning, tmp_path, fakes):  # noqa: F811
    phoenixd, barkd, bitcoind = fakes
    cfg = executor_config(tmp_path, lightning, phoenixd, barkd, bitcoind)
    r = check(cfg)
    assert r.returncode == 0, r.stdout + r.stderr
    ln_url = phoenixd.url if lightning == "phoenixd" else barkd.url
    assert f"store main: lightning_payout {lightning} {ln_url}: ok" in r.stdout, r.stdout
    # the balances the backends hold, in sats, as they change
    for sat in (1234567, 0):
        (phoenixd if lightning == "phoenixd" else barkd).control("/_fake/balance", {"sat": sat})
        bitcoind.control("/_fake/balance", {"wallet": "refunds", "sat": sat + 1})
        r = check(cfg)
        assert r.returncode == 0, r.stdout + r.stderr
        if lightning == "phoenixd":
            assert f"store main: lightning_payout phoenixd {ln_url}: ok (chain regtest, balance " \
                f"{sat} sats, fee credit 0 sats)\n" in r.stdout, r.stdout
        else:
            assert f"store main: lightning_payout barkd {ln_url}: ok (token accepted, spendable " \
                f"{sat} sats)\n" in r.stdout, r.stdout
        assert f"store main: bitcoin_payout bitcoind {bitcoind.url}: ok (wallet refunds, balance " \
            f"{sat + 1} sats, not encrypted)\n" in r.stdout, r.stdout
        assert "configuration OK" in r.stdout
    # a wrong payout credential: refused, by name, the secret never printed
    if lightning == "phoenixd":
        r = check(cfg, QPAYD_LIGHTNING_REFUND_PASSWORD="wrong-canary")
    else:
        r = check(cfg, QPAYD_BARKD_TOKEN="wrong-canary")
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"lightning_payout {lightning} {ln_url}: ERROR" in r.stderr, r.stderr
    # an unreachable payout bitcoind
    cfg.write_text(cfg.read_text().replace(bitcoind.url, "http://127.0.0.1:9"))
    r = check(cfg)
    assert r.returncode == 1 and "bitcoin_payout bitcoind http://127.0.0.1:9: ERROR" in r.stderr
    assert phoenixd.ledger() == []
    assert barkd.ledger() == [] and bitcoind.ledger() == []


def test_stopped_backend_is_an_error_by_name(tmp_path, fakes):  # noqa: F811
    phoenixd, barkd, bitcoind = fakes
    cfg = executor_config(tmp_path, "phoenixd", phoenixd, barkd, bitcoind)
    phoenixd.stop()
    r = check(cfg)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"store main: lightning_payout phoenixd {phoenixd.url}: ERROR getinfo: " in r.stderr
    assert f"store main: bitcoin_payout bitcoind {bitcoind.url}: ok" in r.stdout
    assert "configuration OK" not in r.stdout
    # --offline calls no backend: the file alone is fine
    r = run(EXECUTOR, ["--config", str(cfg), "check-config", "--offline"],
            base_env(extra={**DB, **PAYOUT_ENV, "QPAYD_BARKD_TOKEN": BARKD_TOKEN}))
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stdout + r.stderr
    assert "lightning_payout" not in r.stdout + r.stderr
    assert bitcoind.ledger() == []


def test_locked_wallet_is_reported(tmp_path, fakes):  # noqa: F811
    """An encrypted payout wallet: locked until walletpassphrase, then
    unlocked (unlocked_until in the future). Reported both ways, exit 0:
    unlocking is the operator's step, not a configuration error."""
    phoenixd, barkd, _ = fakes
    user, password = PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].split(":")
    locked = Fake(["/usr/bin/python3", f"{FAKES}/bitcoind.py", "--port", "0", "--rpcauth",
                   f"{user}:{password}", "--chain", "regtest", "--ledger",
                   str(tmp_path / "locked.jsonl"), "--wallet-passphrase", "pass-canary"])
    try:
        cfg = executor_config(tmp_path, "phoenixd", phoenixd, barkd, locked)
        r = check(cfg)
        assert r.returncode == 0, r.stdout + r.stderr
        line = f"store main: bitcoin_payout bitcoind {locked.url}: "
        assert line + "ok (wallet refunds, balance " in r.stdout and " sats, locked)" in r.stdout
        assert line + "warning: wallet refunds is locked: the executor cannot pay on-chain " \
            "refunds until it is unlocked" in r.stdout, r.stdout
        import base64
        import json
        import urllib.request
        req = urllib.request.Request(
            locked.url + "/wallet/refunds", method="POST",
            data=json.dumps({"id": 1, "method": "walletpassphrase",
                             "params": ["pass-canary", 600]}).encode(),
            headers={"Authorization": "Basic " + base64.b64encode(
                f"{user}:{password}".encode()).decode()})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["error"] is None
        r = check(cfg)
        assert r.returncode == 0 and " sats, unlocked)" in r.stdout, r.stdout
        assert "is locked" not in r.stdout
        assert locked.ledger() == []
    finally:
        locked.stop()
