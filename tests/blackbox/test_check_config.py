"""check-config of both programs on good and bad files."""
import os
import re

from conftest import EXECUTOR, PAYOUT_ENV, QPAYD, TEST_ENV, base_env, run

DEPLOY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "deploy"))
QPAYD_EXAMPLE = os.path.join(DEPLOY, "qpayd.example.toml")
EXECUTOR_EXAMPLE = os.path.join(DEPLOY, "executor.example.toml")
DB = {"QPAYD_DATABASE_URL": "postgresql://qpayd@127.0.0.1/qpayd"}


def test_qpayd_example_is_valid():
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "check-config", "--offline"], base_env(extra=DB))
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stdout


def test_executor_example_is_valid():
    env = base_env(extra={**DB, **PAYOUT_ENV})
    # --offline: the file alone (its receive backends are not running here)
    r = run(EXECUTOR, ["--config", EXECUTOR_EXAMPLE, "check-config", "--offline"], env)
    assert r.returncode == 0, r.stderr
    assert "configuration OK" in r.stdout


def test_executor_needs_its_payout_credentials():
    r = run(EXECUTOR, ["--config", EXECUTOR_EXAMPLE, "check-config"], base_env(extra=DB))
    assert r.returncode == 1
    assert "QPAYD_LIGHTNING_REFUND_PASSWORD" in r.stderr
    assert "QPAYD_BITCOIN_REFUND_RPC_AUTH" in r.stderr


def test_qpayd_refuses_payout_credentials_in_its_environment():
    env = base_env(extra={**DB, "QPAYD_LIGHTNING_REFUND_PASSWORD": PAYOUT_ENV[
        "QPAYD_LIGHTNING_REFUND_PASSWORD"]})
    config = os.path.join(os.path.dirname(__file__), "data", "with_payout_tables.toml")
    r = run(QPAYD, ["--config", config, "check-config"], env)
    assert r.returncode == 1
    assert "QPAYD_LIGHTNING_REFUND_PASSWORD" in r.stderr
    assert "canary" not in r.stderr + r.stdout


def test_missing_secret_names_the_variable_not_a_value():
    env = base_env(extra=DB)
    del env["QPAYD_MAIN_ADMIN_TOKEN"]
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "check-config", "--offline"], env)
    assert r.returncode == 1
    assert "QPAYD_MAIN_ADMIN_TOKEN" in r.stderr
    assert "canary" not in r.stderr + r.stdout


def test_three_mistakes_three_errors_with_lines(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        "[database]\n"                      # 1
        "url_env = \"QPAYD_DATABASE_URL\"\n"  # 2
        "\n"                                # 3
        "[server]\n"                        # 4
        "workers = many\n"                  # 5: not an integer
        "listen = \"127.0.0.1:8080\"\n"     # 6
        "colour = \"blue\"\n"               # 7: unknown key
        "\n"                                # 8
        "[auth]\n"                          # 9
        "api_token_env = \"QPAYD_API_TOKEN\"\n"  # 10
        "\n"                                # 11
        "[[stores]]\n"                      # 12
        "id = \"main\"\n"                   # 13
        "network = \"moonnet\"\n"           # 14: bad network
    )
    r = run(QPAYD, ["--config", str(cfg), "check-config"], base_env(extra=DB))
    assert r.returncode == 1
    errors = [l for l in r.stderr.splitlines() if l.startswith(str(cfg) + ":")]
    assert len(errors) == 3, r.stderr
    lines = [int(re.match(re.escape(str(cfg)) + r":(\d+):", e).group(1)) for e in errors]
    assert lines == [5, 7, 14]
    assert "workers" in errors[0] and "colour" in errors[1] and "network" in errors[2]
    assert "3 errors" in r.stderr


def test_executor_reports_every_error_too(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[database]\nurl_env = \"QPAYD_DATABASE_URL\"\n[executor]\n"
                   "request_timeout_seconds = 0\n[nonsense]\n[[stores]]\nid = \"Main Store\"\n")
    r = run(EXECUTOR, ["--config", str(cfg), "check-config"], base_env(extra=DB))
    assert r.returncode == 1
    errors = [l for l in r.stderr.splitlines() if l.startswith(str(cfg) + ":")]
    assert len(errors) == 3, r.stderr
    assert ":4:" in errors[0] and ":5:" in errors[1] and ":7:" in errors[2]


def test_credentials_directory_is_read(tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    env = base_env(extra=DB)
    for name in TEST_ENV:
        del env[name]
    for name, value in TEST_ENV.items():
        f = creds / name
        f.write_text(value + "\n")
        f.chmod(0o600)
    env["CREDENTIALS_DIRECTORY"] = str(creds)
    r = run(QPAYD, ["--config", QPAYD_EXAMPLE, "check-config", "--offline"], env)
    assert r.returncode == 0, r.stderr
