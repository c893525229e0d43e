"""qpayd migrate against a real PostgreSQL: order, idempotence, concurrency,
the schema's guarantees and the roles' least privilege."""
import os
import subprocess

import psycopg2
import pytest

from conftest import QPAYD, ROOT, base_env, free_port, run, server_config

TABLES = {"schema_migrations", "invoices", "invoice_payments", "refunds", "refund_events",
          "refund_transitions", "refund_attempts", "idempotency_keys", "payout_daily_totals",
          "webhook_outbox", "executor_heartbeats", "chain_state", "invoice_events",
          "refund_approvals", "webhook_attempts", "webhook_expiry_sweep"}


def migrate(tmp_path, dburl):
    cfg = tmp_path / "q.toml"
    if not cfg.exists():
        cfg.write_text(server_config(free_port()))
    return run(QPAYD, ["--config", str(cfg), "migrate"], base_env(dburl))


def tables(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r[0] for r in cur.fetchall()}


def test_migrate_twice_is_one_schema(tmp_path, dburl, cluster, dbname):
    first = migrate(tmp_path, dburl)
    assert first.returncode == 0, first.stderr
    assert "migrations applied" in first.stderr
    conn = cluster.connect(dbname)
    assert tables(conn) == TABLES
    with conn.cursor() as cur:
        cur.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        applied = cur.fetchall()
    assert applied[0] == (1, "001_schema.sql")
    # every file of sql/, in order (numbers are assigned per feature, so a
    # branch may lack one)
    files = sorted(f for f in os.listdir(f"{ROOT}/sql") if f[:3].isdigit())
    assert [(v, n) for v, n in applied] == [(int(f[:3]), f) for f in files]
    second = migrate(tmp_path, dburl)
    assert second.returncode == 0, second.stderr
    assert "0 migrations applied" in second.stdout
    with conn.cursor() as cur:
        cur.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        assert cur.fetchall() == applied
    assert tables(conn) == TABLES


def test_concurrent_migrations_are_serialised(tmp_path, dburl, cluster, dbname):
    cfg = tmp_path / "q.toml"
    cfg.write_text(server_config(free_port()))
    procs = [subprocess.Popen([QPAYD, "--config", str(cfg), "migrate"], env=base_env(dburl),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outs
    applied = sum(int(o[0].split()[1]) for o in outs)
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM schema_migrations")
        assert applied == cur.fetchone()[0]


def test_migrate_without_database_fails_cleanly(tmp_path):
    r = migrate(tmp_path, f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    assert r.returncode == 1
    assert "cannot reach the database" in r.stderr


@pytest.fixture
def schema(tmp_path, dburl, cluster, dbname):
    assert migrate(tmp_path, dburl).returncode == 0
    conn = cluster.connect(dbname)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO invoices (id, store_id, amount_sats, amount_paid_sats, status, "
                    "paid_at) VALUES ('inv_1', 'main', 5000, 5000, 'paid', now())")
        cur.execute("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
                    "destination_type, payout_backend) VALUES ('rf_1', 'main', 'inv_1', 1000, "
                    "'bc1q', 'bitcoin_address', 'bitcoin')")
        cur.execute("INSERT INTO refund_events (refund_id, store_id, actor, event, to_status) "
                    "VALUES ('rf_1', 'main', 'payout', 'created', 'pending')")
    return conn


def refused(conn, sql, *args):
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT s")
        try:
            cur.execute(sql, args)
        except psycopg2.Error as e:
            cur.execute("ROLLBACK TO SAVEPOINT s")
            return e.pgcode
        cur.execute("RELEASE SAVEPOINT s")
    return None


@pytest.fixture
def tx(schema):
    schema.autocommit = False
    yield schema
    schema.rollback()


def test_refund_constraints(tx):
    bad = [
        "UPDATE refunds SET status = 'succeeded', completed_at = now() WHERE id = 'rf_1'",
        "UPDATE refunds SET amount_sats = 999 WHERE id = 'rf_1'",
        "UPDATE refunds SET status = 'bogus' WHERE id = 'rf_1'",
        "INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
        "destination_type, payout_backend) VALUES ('rf_2', 'main', 'inv_1', 0, 'x', "
        "'bitcoin_address', 'bitcoin')",
        "INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
        "destination_type, payout_backend) VALUES ('rf_3', 'other', 'inv_1', 1, 'x', "
        "'bitcoin_address', 'bitcoin')",
        "INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
        "destination_type, payout_backend) VALUES ('rf_4', 'main', 'inv_1', 2100000000000001, "
        "'x', 'bitcoin_address', 'bitcoin')",
    ]
    for sql in bad:
        assert refused(tx, sql) is not None, sql
    ok = "UPDATE refunds SET status = 'succeeded', completed_at = now(), tx_id = 'ab' WHERE id = 'rf_1'"
    assert refused(tx, ok) is None
    # a succeeded refund is never re-armed
    assert refused(tx, "UPDATE refunds SET status = 'pending', completed_at = NULL "
                       "WHERE id = 'rf_1'") == "23514"


def test_refund_events_are_append_only(tx):
    assert refused(tx, "UPDATE refund_events SET event = 'forged'") == "23514"
    assert refused(tx, "DELETE FROM refund_events") == "23514"


def role_refused(conn, role, sql):
    with conn.cursor() as cur:
        cur.execute(f"SET ROLE {role}")
    try:
        return refused(conn, sql)
    finally:
        with conn.cursor() as cur:
            cur.execute("RESET ROLE")


def test_roles_least_privilege(tx):
    denied = "42501"
    # the executor cannot create invoices or touch idempotency keys
    assert role_refused(tx, "qpayd_executor", "INSERT INTO invoices (id, store_id, amount_sats) "
                                              "VALUES ('inv_x', 'main', 1)") == denied
    assert role_refused(tx, "qpayd_executor", "SELECT * FROM idempotency_keys") == denied
    assert role_refused(tx, "qpayd_executor", "UPDATE refunds SET amount_sats = 1") == denied
    # neither role can rewrite the audit trail
    for role in ("qpayd_api", "qpayd_executor"):
        assert role_refused(tx, role, "UPDATE refund_events SET event = 'x'") == denied
        assert role_refused(tx, role, "DELETE FROM refund_events") == denied
    # the public daemon cannot start a payout or write executor bookkeeping
    assert role_refused(tx, "qpayd_api", "UPDATE refunds SET processing_started_at = now()") \
        == denied
    assert role_refused(tx, "qpayd_api", "INSERT INTO refund_attempts (refund_id, attempt, "
                                         "backend, executor) VALUES ('rf_1', 1, 'x', 'y')") \
        == denied
    # and what each needs works
    assert role_refused(tx, "qpayd_api", "SELECT count(*) FROM refunds") is None
    assert role_refused(tx, "qpayd_api", "INSERT INTO refund_events (refund_id, store_id, actor, "
                                         "event, to_status) VALUES ('rf_1', 'main', 'admin', "
                                         "'created', 'pending')") is None
    # every other event, and every change of state, goes through refund_transition()
    # (tests/blackbox/test_refund_roles.py tries each one as each role)
    assert role_refused(tx, "qpayd_api", "INSERT INTO refund_events (refund_id, store_id, actor, "
                                         "event) VALUES ('rf_1', 'main', 'admin', 'noted')") \
        == denied
    for role in ("qpayd_api", "qpayd_executor"):
        assert role_refused(tx, role, "UPDATE refunds SET status = 'processing', "
                                      "processing_started_at = now() WHERE id = 'rf_1'") == denied
    assert role_refused(tx, "qpayd_executor", "INSERT INTO refund_events (refund_id, store_id, "
                                              "actor, event) VALUES ('rf_1', 'main', "
                                              "'executor:x', 'noted')") == denied


def test_database_refuses_over_refund(tx):
    """Whoever writes refunds (a buggy or compromised API included), the
    invoice's committed total may never pass its paid amount; failing or
    canceling gives the amount back."""
    def committed():
        with tx.cursor() as cur:
            cur.execute("SELECT refund_committed_sats FROM invoices WHERE id = 'inv_1'")
            return cur.fetchone()[0]

    assert committed() == 1000  # rf_1 of the fixture
    insert = ("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
              "destination_type, payout_backend) VALUES (%s, 'main', 'inv_1', %s, 'bc1q', "
              "'bitcoin_address', 'bitcoin')")
    assert refused(tx, insert, "rf_big", 4001) == "23514"
    assert refused(tx, insert, "rf_fit", 4000) is None
    assert committed() == 5000
    assert refused(tx, insert, "rf_one", 1) == "23514"
    assert refused(tx, "UPDATE refunds SET status = 'canceled', completed_at = now() "
                       "WHERE id = 'rf_fit'") is None
    assert committed() == 1000
    assert refused(tx, "UPDATE refunds SET status = 'failed', failure_reason = 'x', "
                       "completed_at = now() WHERE id = 'rf_1'") is None
    assert committed() == 0
    assert refused(tx, insert, "rf_all", 5000) is None
    with tx.cursor() as cur:
        cur.execute("SELECT refund_json(r)::json FROM refunds r WHERE id = 'rf_all'")
        doc = cur.fetchone()[0]
    assert doc["amount_sats"] == 5000 and doc["status"] == "pending"
    assert doc["created_at"].endswith("Z") and doc["fee_sats"] is None


def violation(conn, sql):
    """(SQLSTATE, constraint name, message) of a refused statement."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT s")
        try:
            cur.execute(sql)
        except psycopg2.Error as e:
            cur.execute("ROLLBACK TO SAVEPOINT s")
            return e.pgcode, e.diag.constraint_name, e.diag.message_primary
        cur.execute("RELEASE SAVEPOINT s")
    return None


def test_written_once_columns_refuse_every_change(tx):
    with tx.cursor() as cur:
        cur.execute("INSERT INTO refund_attempts (refund_id, attempt, backend, executor) "
                    "VALUES ('rf_1', 1, 'bitcoind', 'x') RETURNING id")
        attempt_id = cur.fetchone()[0]
    cases = [
        ("refunds", "rf_1", ["store_id = 'other'", "invoice_id = 'inv_2'", "amount_sats = 999",
                             "destination = 'bc1qx'", "destination_type = 'bolt11'",
                             "payout_backend = 'lightning'", "reason = 'changed'",
                             "idempotency_key = 'k'", "created_at = now() - interval '1 day'",
                             "id = 'rf_9'"]),
        ("refund_attempts", str(attempt_id), ["refund_id = 'rf_2'", "attempt = 2",
                                              "started_at = now() - interval '1 day'",
                                              "id = id + 1"]),
        ("invoices", "inv_1", ["store_id = 'other'", "amount_sats = 1",
                               "created_at = now() - interval '1 day'", "id = 'inv_9'"]),
    ]
    for table, ident, sets in cases:
        key = "id = %s" % (ident if table == "refund_attempts" else "'%s'" % ident)
        for s in sets:
            col = s.split(" ")[0]
            got = violation(tx, f"UPDATE {table} SET {s} WHERE {key}")
            assert got == ("23514", f"{table}_immutable",
                           f"{table}.{col} cannot change after insert (id {ident})"), (table, s)
    # What may change still does, and a release still gives the amount back.
    assert violation(tx, "UPDATE refunds SET status = 'canceled', completed_at = now() "
                         "WHERE id = 'rf_1'") is None
    assert violation(tx, "UPDATE refund_attempts SET finished_at = now(), outcome = 'failed' "
                         f"WHERE id = {attempt_id}") is None
    with tx.cursor() as cur:
        cur.execute("SELECT refund_committed_sats FROM invoices WHERE id = 'inv_1'")
        assert cur.fetchone()[0] == 0
