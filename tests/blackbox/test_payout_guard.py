"""The payout-credential guard of qpayd (issue 12, item 10): with the shipped
split layout, whose qpayd.toml names no payout credential, the reference
documentation's payout variables in qpayd's environment or credentials
directory still stop check-config, serve, migrate and wallet-init; a payout
table with a credential key is refused at file:line:key; qpayd-executor,
which needs those variables, is unaffected."""
import os
import re
import shutil

import pytest

from conftest import (EXECUTOR, PAYOUT_ENV, QPAYD, Daemon, assert_no_sanitizer, base_env,
                      free_port, run, server_config)

DEPLOY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "deploy"))
QPAYD_EXAMPLE = os.path.join(DEPLOY, "qpayd.example.toml")
EXECUTOR_EXAMPLE = os.path.join(DEPLOY, "executor.example.toml")
WITH_PAYOUT_TABLES = os.path.join(os.path.dirname(__file__), "data", "with_payout_tables.toml")
DB = {"QPAYD_DATABASE_URL": "postgresql://qpayd@127.0.0.1/qpayd"}

# The fixed list: the reference documentation's names, and the barkd token
# name of deploy/executor.example.toml. Values are canaries.
REFERENCE_PAYOUT_ENV = {**PAYOUT_ENV, "QPAYD_BARKD_TOKEN": "bark-canary-121"}

# The public server's file of the split layout: refund policy, no credential.
POLICY_ONLY = """
[auth]
api_token_env = "QPAYD_API_TOKEN"
admin_token_env = "QPAYD_ADMIN_TOKEN"
payout_token_env = "QPAYD_PAYOUT_TOKEN"

[[stores]]
id = "main"
network = "regtest"

[stores.lightning_payout.refunds]
enabled = true
max_refund_sats = 100000

[stores.bitcoin_payout.refunds]
enabled = true
max_refund_sats = 100000
"""


def assert_refused(r, name, value):
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert re.search(r":0: " + name + r" (is set in the environment of qpayd|is present in "
                     r"qpayd's \$CREDENTIALS_DIRECTORY); it is a payout credential name", r.stderr), \
        r.stderr
    assert value not in out
    assert "canary" not in out
    assert_no_sanitizer(out, "qpayd")


def creds_dir(tmp_path, items):
    d = tmp_path / "creds"
    d.mkdir()
    for name, value in items.items():
        f = d / name
        f.write_text(value + "\n")
        f.chmod(0o600)
    return str(d)


def test_the_shipped_layout_is_clean_without_them():
    """The control: the examples pass as they are, each with its variables."""
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "check-config", "--offline"], base_env(extra=DB))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("name", sorted(REFERENCE_PAYOUT_ENV))
@pytest.mark.parametrize("offline", [True, False])
def test_check_config_refuses_reference_name_in_environment(name, offline):
    value = REFERENCE_PAYOUT_ENV[name]
    args = ["--config", QPAYD_EXAMPLE, "check-config"] + (["--offline"] if offline else [])
    r = run(QPAYD, args, base_env(extra={**DB, name: value}))
    assert_refused(r, name, value)
    # refused before any backend is reached
    assert "backend" not in r.stderr


@pytest.mark.parametrize("name", sorted(REFERENCE_PAYOUT_ENV))
def test_check_config_refuses_reference_name_even_empty(name):
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "check-config", "--offline"],
            base_env(extra={**DB, name: ""}))
    assert r.returncode == 1
    assert f"{name} is set in the environment of qpayd" in r.stderr


@pytest.mark.parametrize("name", sorted(REFERENCE_PAYOUT_ENV))
def test_check_config_refuses_reference_name_in_credentials_directory(tmp_path, name):
    value = REFERENCE_PAYOUT_ENV[name]
    env = base_env(extra=DB)
    env["CREDENTIALS_DIRECTORY"] = creds_dir(tmp_path, {name: value})
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "check-config", "--offline"], env)
    assert_refused(r, name, value)
    assert f"{name} is present in qpayd's $CREDENTIALS_DIRECTORY" in r.stderr


def test_all_of_them_are_reported_at_once():
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "check-config", "--offline"],
            base_env(extra={**DB, **REFERENCE_PAYOUT_ENV}))
    assert r.returncode == 1
    for name in REFERENCE_PAYOUT_ENV:
        assert name in r.stderr
    assert f"{len(REFERENCE_PAYOUT_ENV)} errors in" in r.stderr
    assert "canary" not in r.stdout + r.stderr


def serve(tmp_path, dburl, env_extra, creds=None):
    """Migrates, then runs qpayd serve on the policy-only config; returns the
    daemon once it has exited or is listening."""
    config = tmp_path / "qpayd.toml"
    config.write_text(server_config(free_port(), stores=POLICY_ONLY))
    env = base_env(dburl)
    r = run(QPAYD, ["--config", str(config), "migrate"], env)
    assert r.returncode == 0, r.stderr
    env.update(env_extra)
    if creds is not None:
        env["CREDENTIALS_DIRECTORY"] = creds
    return Daemon([QPAYD, "--config", str(config), "serve"], env, str(tmp_path / "serve.log"))


def test_serve_starts_with_the_policy_only_config(tmp_path, dburl, daemons):
    """The control for the refusals below: same file, same database."""
    d = serve(tmp_path, dburl, {})
    daemons.append(d)
    d.wait_for_log("msg=listening")


@pytest.mark.parametrize("name", sorted(REFERENCE_PAYOUT_ENV))
def test_serve_refuses_reference_name_in_environment(tmp_path, dburl, name):
    value = REFERENCE_PAYOUT_ENV[name]
    d = serve(tmp_path, dburl, {name: value})
    assert d.proc.wait(30) == 1
    text = d.text()
    assert f"{name} is set in the environment of qpayd" in text
    assert "listening" not in text
    assert value not in text and "canary" not in text
    assert_no_sanitizer(text, "qpayd")


@pytest.mark.parametrize("name", sorted(PAYOUT_ENV))
def test_serve_refuses_reference_name_in_credentials_directory(tmp_path, dburl, name):
    value = PAYOUT_ENV[name]
    d = serve(tmp_path, dburl, {}, creds=creds_dir(tmp_path, {name: value}))
    assert d.proc.wait(30) == 1
    text = d.text()
    assert f"{name} is present in qpayd's $CREDENTIALS_DIRECTORY" in text
    assert "listening" not in text
    assert value not in text and "canary" not in text


def test_migrate_and_wallet_init_refuse_too(tmp_path):
    env = base_env(extra={**DB, **PAYOUT_ENV})
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "migrate"], env)
    assert_refused(r, "QPAYD_LIGHTNING_REFUND_PASSWORD", PAYOUT_ENV[
        "QPAYD_LIGHTNING_REFUND_PASSWORD"])
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "wallet-init", "--store", "main",
                    "--descriptor", "wpkh(xpub/0/*)"], env)
    assert_refused(r, "QPAYD_BITCOIN_REFUND_RPC_AUTH", PAYOUT_ENV[
        "QPAYD_BITCOIN_REFUND_RPC_AUTH"])


def test_payout_table_with_credential_key_is_refused_at_file_line_key():
    # the variable it names is absent: the key alone is the error
    r = run(QPAYD, ["--config", WITH_PAYOUT_TABLES, "check-config", "--offline"],
            base_env(extra=DB))
    assert r.returncode == 1
    assert (f"{WITH_PAYOUT_TABLES}:18: [stores.lightning_payout] full_api_password_env: "
            "a payout credential key has no place in qpayd's configuration") in r.stderr
    assert "1 error in" in r.stderr


def test_payout_key_naming_another_variable(tmp_path):
    """A name outside the fixed list is caught when a payout key names it."""
    cfg = tmp_path / "q.toml"
    cfg.write_text(server_config(8080, stores=POLICY_ONLY) +
                   "[stores.bitcoin_payout]\n"
                   "backend = \"bitcoind\"\n"
                   "url = \"http://127.0.0.1:8332\"\n"
                   "wallet = \"refunds\"\n"
                   "rpc_auth_env = \"SHOP_SPEND_AUTH\"\n")
    lineno = len(cfg.read_text().splitlines())
    env = base_env(extra={**DB, "SHOP_SPEND_AUTH": "spend:canary-131"})
    r = run(QPAYD, ["--config", str(cfg), "check-config", "--offline"], env)
    assert r.returncode == 1
    prefix = f"{cfg}:{lineno}: [stores.bitcoin_payout] rpc_auth_env: "
    assert prefix + "a payout credential key" in r.stderr
    assert prefix + "SHOP_SPEND_AUTH is set in the environment of qpayd" in r.stderr
    assert "canary" not in r.stdout + r.stderr


def test_executor_keeps_its_variables(tmp_path):
    env = base_env(extra={**DB, **REFERENCE_PAYOUT_ENV})
    r = run(EXECUTOR, ["--config", EXECUTOR_EXAMPLE, "check-config", "--offline"], env)
    assert r.returncode == 0, r.stderr
    env = base_env(extra=DB)
    env["CREDENTIALS_DIRECTORY"] = creds_dir(tmp_path, PAYOUT_ENV)
    r = run(EXECUTOR, ["--config", EXECUTOR_EXAMPLE, "check-config", "--offline"], env)
    assert r.returncode == 0, r.stderr


def test_refund_commands_still_hand_over_with_them(tmp_path):
    """On the wallet host the variables are there for qpayd-executor: the
    hand-off happens before any config is read, so the guard is not in it."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(QPAYD, bindir / "qpayd")
    fake = bindir / "qpayd-executor"
    fake.write_text("#!/bin/sh\nexit 7\n")
    fake.chmod(0o755)
    r = run(str(bindir / "qpayd"), ["--config", EXECUTOR_EXAMPLE, "refunds-once"],
            base_env(extra={**DB, **REFERENCE_PAYOUT_ENV}))
    assert r.returncode == 7, r.stderr
