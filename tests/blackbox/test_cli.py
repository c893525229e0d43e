"""Command lines of both programs: help, version, exit codes, the hand-off of
refund commands from qpayd to qpayd-executor."""
import os
import shutil

from conftest import EXECUTOR, QPAYD, base_env, run

DEPLOY = os.path.join(os.path.dirname(__file__), "..", "..", "deploy")


def test_help_lists_commands_and_exit_codes():
    r = run(QPAYD, ["--help"], base_env())
    assert r.returncode == 0
    for word in ("serve", "migrate", "check-config", "refunds-once", "exit codes"):
        assert word in r.stdout
    r = run(EXECUTOR, ["--help"], base_env())
    assert r.returncode == 0
    for word in ("refunds", "refunds-once", "reconcile", "check-config", "--dry-run", "exit codes"):
        assert word in r.stdout


def test_version():
    assert run(QPAYD, ["--version"], base_env()).stdout.startswith("qpayd ")
    assert run(EXECUTOR, ["--version"], base_env()).stdout.startswith("qpayd-executor ")


def test_usage_errors_exit_2():
    env = base_env()
    for binary in (QPAYD, EXECUTOR):
        r = run(binary, [], env)
        assert r.returncode == 2 and "command is required" in r.stderr
        r = run(binary, ["frobnicate"], env)
        assert r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr
        r = run(binary, ["--no-such-option", "check-config"], env)
        assert r.returncode == 2
        r = run(binary, ["--log-level", "loud", "check-config"], env)
        assert r.returncode == 2 and "--log-level" in r.stderr
    r = run(EXECUTOR, ["--limit", "0", "refunds-once"], env)
    assert r.returncode == 2 and "--limit" in r.stderr


def test_missing_config_file_is_exit_1(tmp_path):
    r = run(QPAYD, ["--config", str(tmp_path / "absent.toml"), "check-config"], base_env())
    assert r.returncode == 1
    assert "absent.toml" in r.stderr


def test_refund_commands_hand_over_to_the_executor(tmp_path):
    # qpayd and qpayd-executor side by side, as installed on the wallet host
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(QPAYD, bindir / "qpayd")
    marker = tmp_path / "argv.txt"
    fake = bindir / "qpayd-executor"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$0" "$@" > {marker}\nexit 7\n')
    fake.chmod(0o755)
    r = run(str(bindir / "qpayd"),
            ["--config", "x.toml", "refunds-once", "--store", "main", "--limit", "5"], base_env())
    assert r.returncode == 7, r.stderr
    lines = marker.read_text().splitlines()
    assert lines[0].endswith("qpayd-executor")
    assert lines[1:] == ["--config", "x.toml", "refunds-once", "--store", "main", "--limit", "5"]
    r = run(str(bindir / "qpayd"), ["refunds", "--config", "y.toml"], base_env())
    assert r.returncode == 7
    assert marker.read_text().splitlines()[1:] == ["refunds", "--config", "y.toml"]


def test_refund_commands_on_a_public_server_exit_2(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(QPAYD, bindir / "qpayd")
    for cmd in ("refunds", "refunds-once"):
        r = run(str(bindir / "qpayd"), ["--config", "q.toml", cmd], base_env())
        assert r.returncode == 2
        assert "qpayd-executor" in r.stderr and "wallet host" in r.stderr


def test_real_executor_reached_through_qpayd(tmp_path):
    # bin/qpayd execs the real bin/qpayd-executor beside it
    r = run(QPAYD, ["--config", os.path.join(DEPLOY, "executor.example.toml"), "refunds-once",
                    "--help"], base_env())
    assert r.returncode == 0
    assert "usage: qpayd-executor" in r.stdout
