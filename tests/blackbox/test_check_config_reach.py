"""qpayd check-config reaches each store's receive backends: phoenixd with
the limited password (and refuses the full one), bitcoind's chain and
watch-only wallet; --offline checks the file alone. No PostgreSQL needed."""
import subprocess

import pytest

from conftest import QPAYD, ROOT, TEST_ENV, base_env, free_port, run
from test_wallet_init import DESC, Bitcoind

DB = {"QPAYD_DATABASE_URL": "postgresql://qpayd@127.0.0.1/qpayd"}
LIMITED = TEST_ENV["QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"]
FULL = "full-password-canary"
PHOENIXD = f"{ROOT}/tests/fakes/phoenixd.py"


class Phoenixd:
    def __init__(self, tmp_path, network="regtest"):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", PHOENIXD, "--port", "0", "--password", FULL,
             "--limited-password", LIMITED, "--ledger", str(tmp_path / "phoenixd.jsonl"),
             "--network", network], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening "), line
        self.url = "http://" + line.split()[1]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def backends(tmp_path):
    ln = Phoenixd(tmp_path)
    btc = Bitcoind(tmp_path)
    yield ln, btc
    ln.stop()
    btc.stop()


def config(tmp_path, ln_url, btc_url, network="regtest", wallet="watch", store="main"):
    cfg = tmp_path / "qpayd.toml"
    cfg.write_text(f"""
[database]
url_env = "QPAYD_DATABASE_URL"

[auth]
api_token_env = "QPAYD_API_TOKEN"

[[stores]]
id = "{store}"
network = "{network}"

[stores.lightning]
backend = "phoenixd"
url = "{ln_url}"
limited_api_password_env = "QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD"
webhook_secret_env = "QPAYD_MAIN_PHOENIXD_WEBHOOK_SECRET"

[stores.bitcoin]
backend = "bitcoind"
url = "{btc_url}"
wallet = "{wallet}"
rpc_auth_env = "QPAYD_MAIN_BITCOIN_WATCH_RPC_AUTH"
""")
    return cfg


def check(cfg, *extra, env_extra=None):
    r = run(QPAYD, ["--config", str(cfg), "check-config"] + list(extra),
            base_env(extra={**DB, **(env_extra or {})}))
    out = r.stdout + r.stderr
    assert "canary" not in out, "a secret reached the output:\n" + out
    assert "ERROR: AddressSanitizer" not in out and "runtime error:" not in out, out
    return r, out


def init_wallet(cfg):
    r = run(QPAYD, ["--config", str(cfg), "wallet-init", "--store", "main", "--descriptor", DESC],
            base_env(extra=DB))
    assert r.returncode == 0, r.stderr


def test_all_reachable(tmp_path, backends):
    ln, btc = backends
    cfg = config(tmp_path, ln.url, btc.url)
    init_wallet(cfg)
    r, out = check(cfg)
    assert r.returncode == 0, out
    assert f"store main: lightning phoenixd {ln.url}: ok (chain regtest" in r.stdout
    assert f"store main: bitcoin bitcoind {btc.url}: ok (chain regtest, watch-only wallet watch)" \
        in r.stdout
    assert r.stdout.rstrip().endswith("configuration OK (1 store)")


def test_watch_wallet_from_start_and_ibd_is_a_warning(tmp_path):
    ln = Phoenixd(tmp_path)
    btc = Bitcoind(tmp_path, "--watch-wallet", "watch")
    try:
        btc.control("ibd", {"on": True})
        r, out = check(config(tmp_path, ln.url, btc.url))
        assert r.returncode == 0, out
        assert "warning: bitcoind is in initial block download" in r.stdout
        assert "configuration OK" in r.stdout
    finally:
        ln.stop()
        btc.stop()


def test_full_password_as_the_limited_one(tmp_path, backends):
    ln, btc = backends
    cfg = config(tmp_path, ln.url, btc.url)
    init_wallet(cfg)
    r, out = check(cfg, env_extra={"QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD": FULL})
    assert r.returncode == 1
    assert ("the limited_api_password_env of store main opens payinvoice: it is the full "
            "password; qpayd must hold only the limited one") in r.stderr
    assert "configuration OK" not in out
    assert f"store main: bitcoin bitcoind {btc.url}: ok" in r.stdout   # the others still checked


def test_wrong_password(tmp_path, backends):
    ln, btc = backends
    cfg = config(tmp_path, ln.url, btc.url)
    init_wallet(cfg)
    r, out = check(cfg, env_extra={"QPAYD_MAIN_LIGHTNING_LIMITED_PASSWORD": "nope-canary"})
    assert r.returncode == 1 and "401" in r.stderr and f"store main: lightning phoenixd {ln.url}" \
        in r.stderr


def test_wrong_network(tmp_path):
    ln = Phoenixd(tmp_path, network="mainnet")
    btc = Bitcoind(tmp_path, "--watch-wallet", "watch")
    try:
        r, out = check(config(tmp_path, ln.url, btc.url, network="signet"))
        assert r.returncode == 1
        assert f"store main: lightning phoenixd {ln.url}: ERROR" in r.stderr
        assert "chain mainnet but the store's network is signet" in r.stderr
        assert f"store main: bitcoin bitcoind {btc.url}: ERROR" in r.stderr
        assert "chain regtest but the store's network is signet" in r.stderr
        assert "configuration OK" not in out
    finally:
        ln.stop()
        btc.stop()


def test_phoenixd_down_is_a_warning(tmp_path, backends):
    """A backend that does not answer at all is a warning, exit 0 (serve
    starts without it and keeps trying); one that answers wrongly (401,
    another chain, the full password) stays an error (tests above)."""
    _, btc = backends
    down = f"http://127.0.0.1:{free_port()}"
    cfg = config(tmp_path, down, btc.url, store="shop")
    init = run(QPAYD, ["--config", str(cfg), "wallet-init", "--store", "shop", "--descriptor",
                       DESC], base_env(extra=DB))
    assert init.returncode == 0, init.stderr
    r, out = check(cfg)
    assert r.returncode == 0, out
    assert f"store shop: lightning phoenixd {down}: warning: not reachable (getinfo: " in r.stdout
    assert "payments to this store are not detected until it answers" in r.stdout
    assert f"store shop: bitcoin bitcoind {btc.url}: ok" in r.stdout
    assert "configuration OK" in r.stdout and "ERROR" not in out


def test_wallet_missing_suggests_wallet_init(tmp_path, backends):
    ln, btc = backends
    r, out = check(config(tmp_path, ln.url, btc.url))
    assert r.returncode == 1
    assert "wallet watch does not exist or is not loaded" in r.stderr
    assert "qpayd wallet-init --store main" in r.stderr


def test_spending_wallet_configured_as_the_watch_wallet(tmp_path, backends):
    ln, btc = backends
    r, out = check(config(tmp_path, ln.url, btc.url, wallet="refunds"))
    assert r.returncode == 1
    assert f"store main: bitcoin bitcoind {btc.url}: ERROR wallet refunds has private keys " \
        "enabled: qpayd must use a watch-only wallet" in r.stderr


def test_offline_with_everything_down(tmp_path):
    cfg = config(tmp_path, f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}")
    r, out = check(cfg, "--offline")
    assert r.returncode == 0, out
    assert "configuration OK" in r.stdout and "store main" not in out
    r, out = check(cfg)
    assert r.returncode == 0, out
    assert "store main: lightning phoenixd http://127.0.0.1:" in r.stdout
    assert "store main: bitcoin bitcoind http://127.0.0.1:" in r.stdout
    assert r.stdout.count(": warning: not reachable (") == 2, r.stdout

