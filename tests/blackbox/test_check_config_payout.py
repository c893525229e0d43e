"""qpayd-executor check-config reaches each payout backend with its payout
credential, read-only (each backend's `check`, executor/backend.h): phoenixd
getinfo with the full password, barkd's balance with its token, bitcoind's
payout wallet, which must be able to sign. Nothing is paid."""
import pytest

from conftest import EXECUTOR, PAYOUT_ENV, base_env, run
from test_payable_verdicts import BARKD_TOKEN, executor_config, fakes  # noqa: F401

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
    assert f"store main: bitcoin_payout bitcoind {bitcoind.url}: ok (wallet refunds)" in r.stdout
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
