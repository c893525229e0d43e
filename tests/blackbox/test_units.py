"""The systemd units in deploy/: hardened (systemd-analyze security, offline,
at most 2.0 each, the executor at least as strict as qpayd), valid
(systemd-analyze verify on a copy whose ExecStart paths name the binaries
under test), Type=notify with a watchdog, the start-up check offline, a
credential for every secret the example configs name (and read from
$CREDENTIALS_DIRECTORY by check-config), LimitNOFILE consistent with
qpayd's max_connections default, the executor's journal in its
StateDirectory. No systemd needs to run: these are offline tools."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN_DIR, EXECUTOR, QPAYD, ROOT, Server, base_env

UNITS = {"qpayd": ("qpayd.service", "qpayd.example.toml", QPAYD),
         "qpayd-executor": ("qpayd-executor.service", "executor.example.toml", EXECUTOR)}
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze is not installed")


def unit_text(name):
    with open(os.path.join(ROOT, "deploy", UNITS[name][0])) as f:
        return f.read()


def directives(name):
    """(key, value) pairs of [Service], in order (keys repeat)."""
    out, section = [], None
    for line in unit_text(name).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            k, v = line.split("=", 1)
            out.append((k, v))
    return out


def one(name, key):
    vals = [v for k, v in directives(name) if k == key]
    assert len(vals) == 1, f"{name}: {key} {vals}"
    return vals[0]


def exposure(name):
    r = subprocess.run(["systemd-analyze", "security", "--offline=true",
                        os.path.join(ROOT, "deploy", UNITS[name][0])],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9]+\.[0-9]+)", r.stdout)
    assert m, r.stdout + r.stderr
    return float(m.group(1))


def test_exposure_at_most_2_and_the_executor_strictest():
    got = {n: exposure(n) for n in UNITS}
    assert all(v <= MAX_EXPOSURE for v in got.values()), got
    assert got["qpayd-executor"] <= got["qpayd"], got
    # it alone may reach only private addresses: it holds the payout keys
    ex = dict(directives("qpayd-executor"))
    assert ex["IPAddressDeny"] == "any" and "IPAddressDeny" not in dict(directives("qpayd"))


def test_verify_a_copy_pointing_at_the_binaries(tmp_path):
    for name, (unit, _, binary) in UNITS.items():
        text = unit_text(name)
        assert "/usr/local/bin/" + name + " " in text  # the sources' paths (make install rewrites)
        (tmp_path / unit).write_text(text.replace("/usr/local/bin/", BIN_DIR + "/"))
    r = subprocess.run(["systemd-analyze", "verify"] + [u for u, _, _ in UNITS.values()],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
    # and verify does fail on a broken unit: the check above can fail
    (tmp_path / "broken.service").write_text("[Service]\nType=notify\nExecStart=/nonexistent\n")
    r = subprocess.run(["systemd-analyze", "verify", "broken.service"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0


def test_notify_watchdog_and_offline_check():
    for name in UNITS:
        d = directives(name)
        kv = dict(d)
        assert kv["Type"] == "notify" and kv["NotifyAccess"] == "main", name
        assert int(kv["WatchdogSec"]) >= 10, name
        assert re.fullmatch(r"\S+ --config \S+ check-config --offline", one(name, "ExecStartPre"))
        assert "/bin/kill -HUP $MAINPID" in [v for k, v in d if k == "ExecReload"], name
        assert int(kv["LimitNOFILE"]) > 0 and kv["UMask"] == "0077"
    # the executor's watchdog outlasts one backend call (request_timeout_seconds, 60)
    assert int(dict(directives("qpayd-executor"))["WatchdogSec"]) > 2 * 60


def env_keys(config_path):
    """The variables a config's *_env keys name (uncommented lines)."""
    names = set()
    with open(config_path) as f:
        for line in f:
            m = re.match(r'\s*\w+_env\s*=\s*"([A-Z0-9_]+)"', line)
            if m:
                names.add(m.group(1))
    return names


@pytest.mark.parametrize("name", list(UNITS))
def test_a_credential_for_every_secret(name, tmp_path):
    """LoadCredential names exactly the variables the example config names,
    and check-config --offline reads them from $CREDENTIALS_DIRECTORY (as
    systemd hands them over) with no QPAYD_* variable in the environment."""
    unit, example, binary = UNITS[name]
    creds = {}
    for k, v in directives(name):
        if k == "LoadCredential":
            cname, path = v.split(":", 1)
            assert path == "/etc/qpayd/credentials/" + cname
            creds[cname] = path
    want = env_keys(os.path.join(ROOT, "deploy", example))
    assert set(creds) == want, (sorted(creds), sorted(want))
    cdir = tmp_path / "credentials"
    cdir.mkdir()
    for cname in creds:
        f = cdir / cname
        f.write_text("postgresql://qpayd@127.0.0.1/qpayd" if cname == "QPAYD_DATABASE_URL"
                     else "user:secret-canary-" + cname.lower())
        os.chmod(f, 0o600)
    cfg = tmp_path / example
    text = open(os.path.join(ROOT, "deploy", example)).read()
    # the executor's journal default sits in its StateDirectory
    if name == "qpayd-executor":
        state = one(name, "StateDirectory")
        assert f'"/var/lib/{state}/journal"' in open(
            os.path.join(ROOT, "common", "config_table.c")).read()
        assert re.search(rf'(?m)^journal = "/var/lib/{state}/journal"', text)
        text = re.sub(r'(?m)^journal\s*=.*$', f'journal = "{tmp_path}/journal"', text)
    cfg.write_text(text)
    env = base_env()
    env = {k: v for k, v in env.items() if not k.startswith("QPAYD_")}
    env["CREDENTIALS_DIRECTORY"] = str(cdir)
    r = subprocess.run([binary, "--config", str(cfg), "check-config", "--offline"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "configuration OK" in r.stdout, r.stdout + r.stderr
    assert "canary" not in r.stdout + r.stderr
    # without them it fails, naming what is missing: the check above can fail
    shutil.rmtree(cdir)
    r = subprocess.run([binary, "--config", str(cfg), "check-config", "--offline"],
                       env={k: v for k, v in env.items() if k != "CREDENTIALS_DIRECTORY"},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr


def test_limit_nofile_gives_the_documented_max_connections(tmp_path, dburl, daemons):
    """qpayd under the unit's LimitNOFILE: max_connections (0) becomes the
    limit less 64 and 16 per worker, as the unit's comment and
    docs/operations.md say."""
    limit = int(one("qpayd", "LimitNOFILE"))
    workers = 4
    assert f"{limit} - 64 - 16 x {workers} workers = {limit - 64 - 16 * workers}" \
        in unit_text("qpayd")
    s = Server(tmp_path, dburl, workers=workers,
               argv_prefix=["prlimit", f"--nofile={limit}:{limit}", "--"])
    daemons.append(s)
    assert f"max_connections={limit - 64 - 16 * workers} " in s.daemon.text(), s.daemon.text()
