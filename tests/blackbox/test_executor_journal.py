"""The executor's journal: whatever the database says after a restore, a
re-armed row or a kill -9, a refund id is paid at most once, proven with the
fakes' ledgers; a journal that cannot be written stops every payout; audit
reports what the journal, the database and the backends disagree on."""
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import EXECUTOR, base_env, pg_bindir, run
from payutil import ln_pay
# paid_invoice pays through the fake phoenixd, where the executor verifies it
from test_executor_pay import (executor_config, fakes, get, paid_invoice, refund,  # noqa: F401
                               refunds_once, stack)

ADDR = "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9"


def pg(cluster, tool, *args):
    cmd = [os.path.join(pg_bindir(), tool), "-h", "127.0.0.1", "-p", str(cluster.port),
           "-U", "postgres", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def dump(cluster, dbname, path):
    pg(cluster, "pg_dump", "-Fc", "-f", str(path), dbname)


def restore(cluster, dbname, path):
    """The operator's restore: last night's dump over the same database."""
    pg(cluster, "pg_restore", "--clean", "--if-exists", "--single-transaction", "-d", dbname,
       str(path))


def rows(conn, sql, args=()):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def executor(cfg, env, *args):
    return run(EXECUTOR, ["--config", str(cfg), *args], env, timeout=120)


def ln_ledger_count(phoenixd):
    return len(phoenixd.ledger())


def test_restore_then_pay_again_pays_nothing_twice(stack, cluster, dbname, tmp_path):
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 20000)["id"]
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 2100})
    ids = [refund(server, inv, 2100, bolt11["invoice"]),
           refund(server, inv, 2200, "alice@example.com"),
           refund(server, inv, 2300, ADDR),
           refund(server, inv, 2400, ADDR)]
    dump(cluster, dbname, tmp_path / "before.dump")
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "claimed=4 succeeded=4" in r.stdout, r.stdout + r.stderr
    proofs = {i: (get(server, i)["tx_id"], get(server, i)["payment_proof"]) for i in ids}
    assert len(bitcoind.ledger()) == 2 and ln_ledger_count(phoenixd) == 2
    assert executor(cfg, env, "audit").returncode == 0

    restore(cluster, dbname, tmp_path / "before.dump")
    conn = cluster.connect(dbname)
    assert {s for (s,) in rows(conn, "SELECT status FROM refunds")} == {"pending"}
    r = refunds_once(cfg, env)
    # claimed again, paid by nobody: the journal holds every id
    assert r.returncode == 3 and "claimed=4 succeeded=0" in r.stdout, r.stdout + r.stderr
    assert r.stdout.count("already holds attempt 1 of this refund") == 4, r.stdout
    assert len(bitcoind.ledger()) == 2 and ln_ledger_count(phoenixd) == 2
    r = executor(cfg, env, "reconcile")
    assert r.returncode == 0 and "succeeded=4" in r.stdout, r.stdout + r.stderr
    assert refunds_once(cfg, env).returncode == 0
    assert len(bitcoind.ledger()) == 2 and ln_ledger_count(phoenixd) == 2
    for i in ids:
        got = get(server, i)
        assert got["status"] == "succeeded", got
        assert (got["tx_id"], got["payment_proof"]) == proofs[i]  # the original proof
    r = executor(cfg, env, "audit")
    assert r.returncode == 0, r.stdout + r.stderr


def test_re_armed_row_is_not_paid_again(stack, cluster, dbname):
    """A succeeded refund put back to pending in the database (what a
    compromised public host or a bad restore does): not paid again."""
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    rid = refund(server, inv, 1500, ADDR)
    assert refunds_once(cfg, env).returncode == 0
    tx = get(server, rid)["tx_id"]
    conn = cluster.connect(dbname)
    rows(conn, "ALTER TABLE refunds DISABLE TRIGGER USER; "
         "UPDATE refunds SET status = 'pending', tx_id = NULL, completed_at = NULL "
         "WHERE id = %s; ALTER TABLE refunds ENABLE TRIGGER USER; SELECT 1", (rid,))
    r = refunds_once(cfg, env)
    assert r.returncode == 3, r.stdout + r.stderr
    assert len(bitcoind.ledger()) == 1
    (detail,) = rows(conn, "SELECT detail->>'reason' FROM refund_events WHERE refund_id = %s "
                     "AND event = 'outcome_unknown'", (rid,))[0]
    assert "journal" in detail and "not paid again" in detail, detail
    assert executor(cfg, env, "reconcile").returncode == 0
    got = get(server, rid)
    assert got["status"] == "succeeded" and got["tx_id"] == tx
    assert len(bitcoind.ledger()) == 1


def test_second_line_backend_already_paid(stack, cluster, dbname, tmp_path):
    """Without the journal's record (another host's journal, a lost disk),
    the backend is asked first: bitcoind by the comment, phoenixd by the
    bolt11's hash. Already paid: recorded with the backend's proof."""
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 1700})
    ln = refund(server, inv, 1700, bolt11["invoice"])
    btc = refund(server, inv, 1800, ADDR)
    assert refunds_once(cfg, env).returncode == 0
    first = {i: get(server, i) for i in (ln, btc)}
    conn = cluster.connect(dbname)
    rows(conn, "ALTER TABLE refunds DISABLE TRIGGER USER; "
         "UPDATE refunds SET status = 'pending', tx_id = NULL, payment_proof = NULL, "
         "completed_at = NULL; ALTER TABLE refunds ENABLE TRIGGER USER; SELECT 1")
    other = tmp_path / "executor-b.toml"
    other.write_text(cfg.read_text().replace(f'{tmp_path}/journal', f'{tmp_path}/journal-b'))
    r = refunds_once(other, env)
    assert r.returncode == 0 and "claimed=2 succeeded=2" in r.stdout, r.stdout + r.stderr
    assert r.stdout.count("already paid") == 2, r.stdout
    assert len(bitcoind.ledger()) == 1 and ln_ledger_count(phoenixd) == 1
    assert get(server, btc)["tx_id"] == first[btc]["tx_id"]
    assert get(server, ln)["payment_proof"] == first[ln]["payment_proof"]


def test_audit_after_restore_and_ack(stack, cluster, dbname, tmp_path):
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    dump(cluster, dbname, tmp_path / "night.dump")  # before the refund was made
    lost = refund(server, inv, 3000, ADDR)
    assert refunds_once(cfg, env).returncode == 0
    r = executor(cfg, env, "audit")
    assert r.returncode == 0 and "disagreements=0" in r.stdout, r.stdout + r.stderr

    restore(cluster, dbname, tmp_path / "night.dump")
    server.restart()
    r = executor(cfg, env, "audit")
    assert r.returncode == 4, r.stdout + r.stderr
    assert f"refund={lost}" in r.stdout and "unknown to the database" in r.stdout
    # the shop asks again for the same refund: refused while unexplained
    again = refund(server, inv, 3000, ADDR)
    r = refunds_once(cfg, env)
    assert "deferred=1" in r.stdout and f"holds refund {lost}" in r.stdout, r.stdout
    assert get(server, again)["status"] == "pending"
    assert len(bitcoind.ledger()) == 1

    r = executor(cfg, env, "audit", "--ack", "rf_not_there")
    assert r.returncode == 1 and "rf_not_there" in r.stderr
    r = executor(cfg, env, "audit", "--ack", lost)
    assert r.returncode == 0, r.stdout + r.stderr
    r = executor(cfg, env, "audit")
    assert r.returncode == 0, r.stdout + r.stderr
    # once explained, the new refund is paid (here: the operator decided so)
    conn = cluster.connect(dbname)
    rows(conn, "UPDATE refunds SET next_attempt_at = NULL WHERE id = %s RETURNING 1", (again,))
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout
    assert len(bitcoind.ledger()) == 2
    assert executor(cfg, env, "audit").returncode == 0


def test_audit_reports_amounts_and_missing_records(stack, cluster, dbname, tmp_path):
    server, phoenixd, bitcoind, cfg, env = stack
    inv = paid_invoice(server, 10000)["id"]
    a = refund(server, inv, 1000, ADDR)
    b = refund(server, inv, 1100, ADDR)
    assert refunds_once(cfg, env).returncode == 0
    conn = cluster.connect(dbname)
    rows(conn, "ALTER TABLE refunds DISABLE TRIGGER USER; UPDATE refunds SET amount_sats = 999 "
         "WHERE id = %s; ALTER TABLE refunds ENABLE TRIGGER USER; SELECT 1", (a,))
    r = executor(cfg, env, "audit")
    assert r.returncode == 4
    assert f"refund={a}" in r.stdout and "amounts differ: journal 1000 sat, database 999 sat" \
        in r.stdout, r.stdout
    assert f"refund={b}" not in r.stdout
    # the journal lost (a new path): both paid refunds are unaccounted for
    other = tmp_path / "executor-b.toml"
    other.write_text(cfg.read_text().replace(f'{tmp_path}/journal', f'{tmp_path}/journal-b'))
    (tmp_path / "journal-b").write_text("")
    r = executor(other, env, "audit")
    assert r.returncode == 4 and r.stdout.count("absent from the journal") == 2, r.stdout


def test_kill_9_at_random_points_with_the_journal(stack, cluster, dbname, tmp_path):
    """kill -9 at random moments over 200 payouts, restarting until none is
    left pending; then reconcile: no double payment, nothing lost."""
    server, phoenixd, bitcoind, cfg, env = stack
    cfg.write_text(cfg.read_text().replace("request_timeout_seconds = 3",
                                           "request_timeout_seconds = 1"))
    n = 200
    conn = cluster.connect(dbname)
    rows(conn, "INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
         "paid_at) VALUES ('inv_k9', 'main', 100000000, 100000000, 'paid', now()) RETURNING 1")
    # one payment the fake phoenixd really received carries all 200 refunds
    ln_pay(conn, phoenixd.url, "inv_k9", 1000000)
    rows(conn, "INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
         "destination_type, payout_backend) SELECT 'rf_k' || g, 'main', 'inv_k9', 1000 + g, "
         "%s, 'bitcoin_address', 'bitcoin' FROM generate_series(1, %s) g RETURNING 1",
         (ADDR, n))
    bitcoind.control("/_fake/fault", {"method": "sendtoaddress", "fault": "delay:0.01",
                                      "count": -1})
    rng = random.Random(13)
    kills = 0
    for _ in range(80):
        rows(conn, "UPDATE refunds SET next_attempt_at = NULL WHERE invoice_id = 'inv_k9' "
             "RETURNING 1")
        (left,) = rows(conn, "SELECT count(*) FROM refunds WHERE invoice_id = 'inv_k9' "
                       "AND status = 'pending'")[0]
        if left == 0:
            break
        p = subprocess.Popen([EXECUTOR, "--config", str(cfg), "refunds"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 0.8))
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
    assert kills >= 5
    r = refunds_once(cfg, env)
    assert r.returncode in (0, 3), r.stdout + r.stderr
    time.sleep(2 * 1 + 5 + 0.5)  # abandoned attempts are no longer "in flight"
    r = executor(cfg, env, "reconcile")
    assert r.returncode == 0, r.stdout + r.stderr
    ledger = bitcoind.ledger()
    paid = {}
    for e in ledger:
        paid.setdefault(e["comment"], []).append(e["txid"])
    assert all(len(v) == 1 for v in paid.values()), "a refund was paid twice"
    states = {}
    for rid, status, txid, reason in rows(conn, "SELECT id, status, tx_id, failure_reason "
                                          "FROM refunds WHERE invoice_id = 'inv_k9'"):
        states[status] = states.get(status, 0) + 1
        if status == "succeeded":
            assert paid[rid] == [txid]
        else:
            assert status == "failed" and rid not in paid and "nothing was sent" in reason, \
                (rid, status, reason)
    assert set(states) <= {"succeeded", "failed"}, states
    # each kill strands the batch it had claimed: reconcile proves it unsent
    assert states.get("succeeded", 0) == len(ledger) > 0, states
    print(f"kills={kills} states={states}")
    r = executor(cfg, env, "audit")
    assert r.returncode == 0, r.stdout + r.stderr


def mount_tmpfs(path, opts):
    path.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")


@pytest.mark.parametrize("kind", ["dev_full", "full_tmpfs", "read_only", "no_directory"])
def test_unwritable_journal_refuses_to_pay(stack, cluster, dbname, tmp_path, kind):
    server, phoenixd, bitcoind, cfg, env = stack
    mnt = tmp_path / "mnt"
    if kind == "dev_full":
        journal = "/dev/full"
    elif kind == "full_tmpfs":
        mount_tmpfs(mnt, "size=8k")
        with open(mnt / "filler", "wb") as f:
            try:
                f.write(b"x" * 65536)
            except OSError:
                pass
        journal = f"{mnt}/journal"
    elif kind == "read_only":
        mount_tmpfs(mnt, "ro,size=64k")
        journal = f"{mnt}/journal"
    else:
        journal = f"{tmp_path}/missing/journal"
    try:
        cfg.write_text(cfg.read_text().replace(f'"{tmp_path}/journal"', f'"{journal}"'))
        r = executor(cfg, env, "check-config")
        assert r.returncode == 0 and "journal" in r.stderr and "nothing will be paid" in \
            r.stderr, r.stdout + r.stderr
        inv = paid_invoice(server, 10000)["id"]
        bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 1000})
        ids = [refund(server, inv, 1000, bolt11["invoice"]), refund(server, inv, 1100, ADDR)]
        r = refunds_once(cfg, env)
        assert r.returncode == 0 and "claimed=2 succeeded=0 failed=0 processing=0 deferred=2" \
            in r.stdout, r.stdout + r.stderr
        assert r.stdout.count(f"journal {journal}") == 2, r.stdout
        for i in ids:
            assert get(server, i)["status"] == "pending"
        assert bitcoind.ledger() == [] and phoenixd.ledger() == []
        conn = cluster.connect(dbname)
        reasons = [d for (d,) in rows(conn, "SELECT detail->>'reason' FROM refund_events "
                                      "WHERE event = 'deferred'")]
        assert len(reasons) == 2 and all(journal in d for d in reasons), reasons
    finally:
        if kind in ("full_tmpfs", "read_only"):
            subprocess.run(["umount", str(mnt)], check=False)


def bitcoind_send(bitcoind, comment, amount="0.00001000"):
    """A send made through the same wallet by someone else (another host's
    executor), carrying a refund id as its comment."""
    import base64
    import json
    import urllib.request
    from conftest import PAYOUT_ENV
    auth = base64.b64encode(PAYOUT_ENV["QPAYD_BITCOIN_REFUND_RPC_AUTH"].encode()).decode()
    body = json.dumps({"jsonrpc": "1.0", "id": "t", "method": "sendtoaddress",
                       "params": [ADDR, amount, comment, "", False, True]}).encode()
    req = urllib.request.Request(bitcoind.url + "/wallet/refunds", data=body,
                                 headers={"Authorization": "Basic " + auth})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["result"]


@pytest.mark.parametrize("others", [3, 150])
def test_second_line_sees_sends_made_while_it_runs(stack, cluster, dbname, tmp_path, daemons,
                                                   others):
    """The running service looks at the wallet's newest transactions only
    after its first look: a send made meanwhile by another host (a few, or
    more than one short page) is still seen, and not paid again."""
    from conftest import Daemon
    from test_executor_pay import wait_status
    server, phoenixd, bitcoind, cfg, env = stack
    d = Daemon([EXECUTOR, "--config", str(cfg), "refunds"], env, str(tmp_path / "executor.log"))
    daemons.append(d)
    d.wait_for_log("refund executor started")
    inv = paid_invoice(server, 100000)["id"]
    first = refund(server, inv, 1000, ADDR)
    wait_status(server, first, "succeeded", 10)  # the service has looked at the wallet
    for i in range(others):
        bitcoind_send(bitcoind, f"rf_elsewhere{i}")
    txid = bitcoind_send(bitcoind, "rf_twice")
    conn = cluster.connect(dbname)
    rows(conn, "INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
         "destination_type, payout_backend) VALUES ('rf_twice', 'main', %s, 1000, %s, "
         "'bitcoin_address', 'bitcoin') RETURNING 1", (inv, ADDR))
    rows(conn, "NOTIFY qpayd_refunds; SELECT 1")
    deadline = time.time() + 10
    while time.time() < deadline:
        got = rows(conn, "SELECT status, tx_id FROM refunds WHERE id = 'rf_twice'")[0]
        if got[0] not in ("pending", "processing"):
            break
        time.sleep(0.05)
    assert got == ("succeeded", txid), got
    assert [e["comment"] for e in bitcoind.ledger()].count("rf_twice") == 1
    assert "already paid" in d.text()
