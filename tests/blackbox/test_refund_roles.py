"""The refund state machine, enforced by the database per role (sql/007):
login users of qpayd_api and qpayd_executor try every transition directly in
SQL, forbidden and allowed, and a compromised public host tries to re-arm a
payout against the real executor and the fakes' ledgers."""
import json

import psycopg2
import pytest

from apiutil import ADMIN, PAYOUT, REGTEST_ADDR
from payutil import ln_paid_invoice
from conftest import (EXECUTOR, PAYOUT_ENV, QPAYD, Server, base_env, free_port, run,
                      server_config)
from test_executor_pay import STORES, executor_config, fakes, refund, refunds_once  # noqa: F401

DENIED = "42501"      # insufficient_privilege
TRANSITION = "23514"  # check_violation (refunds_transition / refunds_insert)


@pytest.fixture
def users(tmp_path, cluster, dbname):
    """Migrates, then one login user per role; yields {role: connection}."""
    owner = cluster.connect(dbname)
    cfg = tmp_path / "migrate.toml"
    cfg.write_text(server_config(free_port()))
    r = run(QPAYD, ["--config", str(cfg), "migrate"], base_env(cluster.url(dbname)))
    assert r.returncode == 0, r.stderr
    names = {"qpayd_api": f"web_{dbname}", "qpayd_executor": f"wallet_{dbname}"}
    conns = {}
    with owner.cursor() as cur:
        for role, user in names.items():
            cur.execute(f"CREATE USER {user} IN ROLE {role}")
    for role, user in names.items():
        conns[role] = psycopg2.connect(cluster.url(dbname, user=user))
        conns[role].autocommit = True
    conns["owner"] = owner
    conns["urls"] = {role: cluster.url(dbname, user=user) for role, user in names.items()}
    yield conns
    for role in names:
        conns[role].close()
    with owner.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE usename = ANY (%s)", (list(names.values()),))
        for user in names.values():
            cur.execute(f"DROP USER {user}")
    owner.close()


def sql(conn, query, *args):
    """(SQLSTATE or None, rows) of one statement."""
    with conn.cursor() as cur:
        try:
            cur.execute(query, args)
        except psycopg2.Error as e:
            return e.pgcode, None
        return None, cur.fetchall() if cur.description else None


def transition(conn, rid, action, actor, **kw):
    """refund_transition() with named arguments; (SQLSTATE, rows)."""
    names = "".join(f", p_{k} => %s" for k in kw)
    return sql(conn, f"SELECT status, approval_status FROM refund_transition('main', %s, %s, "
                     f"%s, '{{}}'::jsonb{names})", rid, action, actor, *kw.values())


def state(conn, rid):
    return sql(conn, "SELECT status, approval_status, (SELECT count(*) FROM refund_events e "
                     "WHERE e.refund_id = r.id), attempts FROM refunds r WHERE id = %s", rid)[1][0]


class Refunds:
    """Refunds of one paid invoice created by the API's login user, each
    brought to its state through refund_transition by the right role."""

    def __init__(self, users):
        self.users = users
        self.n = 0
        err, _ = sql(users["owner"], "INSERT INTO invoices (id, store_id, amount_sats, "
                                     "amount_paid_sats, status, paid_at) VALUES ('inv_1', "
                                     "'main', 10000000, 10000000, 'paid', now())")
        assert err is None

    def new(self, status="pending", approval="not_required"):
        self.n += 1
        rid = f"rf_{self.n}"
        api, exe = self.users["qpayd_api"], self.users["qpayd_executor"]
        if status == "awaiting_destination":  # a claimable refund (sql/015)
            err, _ = sql(api, "WITH r AS (INSERT INTO refunds (id, store_id, invoice_id, "
                              "amount_sats, status, claim_token_hash, claim_expires_at) VALUES "
                              "(%s, 'main', 'inv_1', 1000, 'awaiting_destination', "
                              "encode(sha256(%s::bytea), 'hex'), now() + interval '1 day') "
                              "RETURNING id, store_id) INSERT INTO refund_events (refund_id, "
                              "store_id, actor, event, to_status) SELECT id, store_id, 'payout', "
                              "'created', 'awaiting_destination' FROM r", rid, rid)
            assert err is None, err
            return rid
        err, _ = sql(api, "WITH r AS (INSERT INTO refunds (id, store_id, invoice_id, amount_sats, "
                          "destination, destination_type, payout_backend, approval_status) "
                          "VALUES (%s, 'main', 'inv_1', 1000, %s, 'bitcoin_address', 'bitcoin', "
                          "%s) RETURNING id, store_id) INSERT INTO refund_events (refund_id, "
                          "store_id, actor, event, to_status) SELECT id, store_id, 'payout', "
                          "'created', 'pending' FROM r", rid, REGTEST_ADDR,
                     "required" if approval == "approved" else approval)
        assert err is None, err
        if approval == "approved":
            assert transition(api, rid, "approve", "admin")[0] is None
        if status != "pending":
            assert transition(exe, rid, "claim", "executor:w", backend="bitcoind",
                              executor="w")[0] is None
        if status == "succeeded":
            assert transition(exe, rid, "succeed", "executor:w", tx_id="ab" * 32,
                              attempt=1)[0] is None
        elif status in ("failed", "canceled"):
            assert transition(exe, rid, "fail", "executor:w", reason="x", attempt=1)[0] is None
        assert state(api, rid)[0] == ("failed" if status == "canceled" else status)
        return rid


def test_no_direct_write_reaches_a_refund(users):
    api, exe = users["qpayd_api"], users["qpayd_executor"]
    rs = Refunds(users)
    processing, succeeded, pending = rs.new("processing"), rs.new("succeeded"), rs.new()
    required = rs.new(approval="required")
    for conn in (api, exe):
        for rid in (processing, succeeded):
            assert sql(conn, "UPDATE refunds SET status = 'pending', completed_at = NULL "
                             "WHERE id = %s", rid)[0] == DENIED
        assert sql(conn, "UPDATE refunds SET approval_status = 'approved', approved_at = now() "
                         "WHERE id = %s", required)[0] == DENIED
        assert sql(conn, "UPDATE refunds SET status = 'processing', processing_started_at = "
                         "now() WHERE id = %s", pending)[0] == DENIED
        assert sql(conn, "DELETE FROM refunds WHERE id = %s", pending)[0] == DENIED
        assert sql(conn, "INSERT INTO refund_events (refund_id, store_id, actor, event, "
                         "from_status, to_status) VALUES (%s, 'main', 'executor:w', 'deferred', "
                         "'processing', 'pending')", processing)[0] == DENIED
        assert sql(conn, "UPDATE refund_attempts SET outcome = 'failed', finished_at = now() "
                         "WHERE refund_id = %s", processing)[0] == DENIED
        assert sql(conn, "INSERT INTO refund_attempts (refund_id, attempt, backend, executor) "
                         "VALUES (%s, 9, 'bitcoind', 'w')", pending)[0] == DENIED
    insert = ("INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination, "
              "destination_type, payout_backend{}) VALUES ('rf_new', 'main', 'inv_1', 1000, "
              "'bcrt1q', 'bitcoin_address', 'bitcoin'{})")
    born = [(", status, processing_started_at", ", 'processing', now()"),
            (", status, tx_id, completed_at", ", 'succeeded', 'ab', now()"),
            (", approval_status, approved_at", ", 'approved', now()"),
            (", attempts", ", 1")]
    for cols, vals in born:
        assert sql(api, insert.format(cols, vals))[0] == DENIED, cols
        assert sql(exe, insert.format(cols, vals))[0] == DENIED, cols
    # the granted columns alone cannot say "approved" either
    assert sql(api, insert.format(", approval_status", ", 'approved'"))[0] == TRANSITION
    assert sql(exe, insert.format("", ""))[0] == DENIED
    # nothing moved
    assert state(api, processing)[:3] == ("processing", "not_required", 2)
    assert state(api, succeeded)[:3] == ("succeeded", "not_required", 3)
    assert state(api, required)[:2] == ("pending", "required")


# (role, action, from status, from approval, expected SQLSTATE): every move
# the function must refuse. Executor-only actions as the API, API-only ones
# as the executor, and anything out of a final state or out of processing.
FORBIDDEN = [
    ("qpayd_api", "claim", "pending", "not_required", DENIED),
    ("qpayd_api", "succeed", "processing", "not_required", DENIED),
    ("qpayd_api", "fail", "processing", "not_required", DENIED),
    ("qpayd_api", "defer", "processing", "not_required", DENIED),
    ("qpayd_api", "unknown", "processing", "not_required", DENIED),
    ("qpayd_api", "note", "processing", "not_required", DENIED),
    ("qpayd_api", "cancel", "processing", "not_required", TRANSITION),
    ("qpayd_api", "approve", "processing", "not_required", TRANSITION),
    ("qpayd_api", "approve", "pending", "not_required", TRANSITION),
    ("qpayd_api", "finalize", "pending", "required", TRANSITION),
    ("qpayd_api", "claim", "pending", "required", TRANSITION),
    ("qpayd_executor", "claim", "pending", "required", TRANSITION),
    ("qpayd_executor", "approve", "pending", "required", DENIED),
    ("qpayd_executor", "cancel", "pending", "not_required", DENIED),
    ("qpayd_executor", "finalize", "pending", "not_required", DENIED),
    ("qpayd_executor", "finalize", "processing", "not_required", DENIED),
    ("qpayd_executor", "succeed", "pending", "not_required", TRANSITION),
    ("qpayd_executor", "defer", "pending", "not_required", TRANSITION),
    ("qpayd_executor", "bogus", "pending", "not_required", "22023"),
] + [(role, action, final, "not_required", TRANSITION)
     for role, actions in (("qpayd_api", ("finalize", "fail", "cancel", "approve",
                                          "require_approval")),
                           ("qpayd_executor", ("claim", "succeed", "fail", "defer", "unknown",
                                               "note", "require_approval")))
     for action in actions for final in ("succeeded", "failed")]

ARGS = {"claim": {"backend": "bitcoind", "executor": "w"}, "succeed": {"tx_id": "cd" * 32},
        "finalize": {"tx_id": "cd" * 32}, "fail": {"reason": "x"}, "note": {"event": "noted"},
        "defer": {"retry_secs": 0}, "unknown": {}}


@pytest.mark.parametrize("role,action,status,approval,code", FORBIDDEN)
def test_function_refuses(users, role, action, status, approval, code):
    rs = Refunds(users)
    rid = rs.new(status, approval)
    before = state(users["owner"], rid)
    actor = "executor:w" if role == "qpayd_executor" else "admin"
    err, _ = transition(users[role], rid, action, actor, **ARGS.get(action, {}))
    assert err == code
    assert state(users["owner"], rid) == before  # no change, no event


def test_actor_cannot_borrow_the_other_role(users):
    rs = Refunds(users)
    pending, processing = rs.new(), rs.new("processing")
    # the API calling itself the executor gains nothing
    assert transition(users["qpayd_api"], processing, "defer", "executor:w",
                      attempt=1)[0] == DENIED
    assert transition(users["qpayd_api"], pending, "cancel", "executor:w")[0] == DENIED
    # nor does the executor writing as the API
    assert transition(users["qpayd_executor"], pending, "fail", "admin", reason="x")[0] == DENIED
    assert state(users["owner"], processing)[0] == "processing"
    assert state(users["owner"], pending)[0] == "pending"


# (role, action, from status, from approval, to status, to approval)
ALLOWED = [
    ("qpayd_api", "approve", "pending", "required", "pending", "approved"),
    ("qpayd_api", "require_approval", "pending", "not_required", "pending", "required"),
    ("qpayd_api", "cancel", "pending", "not_required", "canceled", "not_required"),
    ("qpayd_api", "cancel", "awaiting_destination", "not_required", "canceled", "not_required"),
    ("qpayd_api", "fail", "pending", "not_required", "failed", "not_required"),
    ("qpayd_api", "finalize", "pending", "not_required", "succeeded", "not_required"),
    ("qpayd_api", "finalize", "pending", "approved", "succeeded", "approved"),
    ("qpayd_api", "finalize", "processing", "not_required", "succeeded", "not_required"),
    ("qpayd_executor", "require_approval", "pending", "not_required", "pending", "required"),
    ("qpayd_executor", "fail", "pending", "not_required", "failed", "not_required"),
    ("qpayd_executor", "fail", "processing", "not_required", "failed", "not_required"),
    ("qpayd_executor", "claim", "pending", "not_required", "processing", "not_required"),
    ("qpayd_executor", "claim", "pending", "approved", "processing", "approved"),
    ("qpayd_executor", "succeed", "processing", "not_required", "succeeded", "not_required"),
    ("qpayd_executor", "defer", "processing", "not_required", "pending", "not_required"),
    ("qpayd_executor", "unknown", "processing", "not_required", "processing", "not_required"),
    ("qpayd_executor", "note", "pending", "not_required", "pending", "not_required"),
    ("qpayd_executor", "note", "processing", "not_required", "processing", "not_required"),
]


def test_allowed_rows_cover_the_transition_table(users):
    err, rows = sql(users["qpayd_api"], "SELECT role, action, from_status FROM refund_transitions")
    assert err is None
    assert set(rows) == {(r, a, s) for r, a, s, _, _, _ in ALLOWED}


@pytest.mark.parametrize("role,action,status,approval,to,to_approval", ALLOWED)
def test_allowed_transition_writes_one_event(users, role, action, status, approval, to,
                                             to_approval):
    rs = Refunds(users)
    rid = rs.new(status, approval)
    _, _, events, attempts = state(users["owner"], rid)
    actor = "executor:w" if role == "qpayd_executor" else "admin"
    args = dict(ARGS.get(action, {}))
    if action in ("succeed", "fail", "defer", "unknown") and status == "processing":
        args["attempt"] = 1
    err, rows = transition(users[role], rid, action, actor, **args)
    assert err is None
    assert rows == [(to, to_approval)]
    assert state(users["owner"], rid) == (to, to_approval, events + 1,
                                          attempts + (action == "claim"))
    err, ev = sql(users["owner"], "SELECT actor, from_status, to_status FROM refund_events "
                                  "WHERE refund_id = %s ORDER BY id DESC LIMIT 1", rid)
    assert ev == [(actor, status, to)]
    if "attempt" in args:  # the outcome ends the attempt it names
        _, out = sql(users["owner"], "SELECT outcome FROM refund_attempts WHERE refund_id = %s "
                                     "AND attempt = 1", rid)
        expect = {"succeed": "succeeded", "fail": "failed", "defer": "deferred",
                  "unknown": "unknown"}[action]
        assert out == [(expect,)]


def test_compromised_public_host_cannot_rearm_a_payout(tmp_path, users, dburl, daemons, fakes):
    """The attack of issue 13: the public host's role re-arms a paid and a
    processing refund, directly and through the function; the real executor
    runs again and again, and the fakes' ledgers show every refund paid once."""
    phoenixd, bitcoind = fakes
    server = Server(tmp_path, dburl, stores=STORES)
    daemons.append(server)
    # qpayd itself runs as the public host's login user
    server.env["QPAYD_DATABASE_URL"] = users["urls"]["qpayd_api"]
    server.restart()
    cfg = executor_config(tmp_path, phoenixd, bitcoind)
    env = base_env(users["urls"]["qpayd_executor"], PAYOUT_ENV)

    # paid where the executor looks (it verifies the payment at phoenixd)
    inv = ln_paid_invoice(server, users["owner"], phoenixd.url, 20000)["id"]
    bolt11 = phoenixd.control("/_fake/invoice", {"amount_sat": 2000})
    ln = refund(server, inv, 2000, bolt11["invoice"])
    paid = refund(server, inv, 3000, REGTEST_ADDR)
    r = refunds_once(cfg, env)
    assert r.returncode == 0 and "succeeded=2" in r.stdout, r.stdout + r.stderr
    # one more, whose outcome is lost: it stays processing with the money sent
    stuck = refund(server, inv, 1500, REGTEST_ADDR)
    bitcoind.control("/_fake/fault", {"method": "sendtoaddress", "fault": "pay_then_drop",
                                      "count": 1})
    r = refunds_once(cfg, env)
    assert r.returncode == 3 and "processing=1" in r.stdout, r.stdout + r.stderr

    api = users["qpayd_api"]
    for rid in (ln, paid, stuck):
        assert sql(api, "UPDATE refunds SET status = 'pending', completed_at = NULL, "
                        "next_attempt_at = NULL WHERE id = %s", rid)[0] == DENIED
        for action in ("defer", "claim", "fail"):
            err, _ = transition(api, rid, action, "executor:wallet-test", reason="x", attempt=1)
            assert err in (DENIED, TRANSITION), (rid, action, err)
    # the same through the public API: fail of processing is the wallet host's call
    status, _, err = server.request("POST", f"/v1/stores/main/refunds/{stuck}/fail",
                                    {"failure_reason": "never sent, honest"}, token=PAYOUT)
    assert status == 409 and "qpayd-executor reconcile" in err["error"]["message"]

    for _ in range(2):
        r = refunds_once(cfg, env)
        assert "claimed=0 " in r.stdout, r.stdout + r.stderr
    r = run(EXECUTOR, ["--config", str(cfg), "reconcile"], env)
    assert r.returncode == 0 and "succeeded=1" in r.stdout, r.stdout + r.stderr

    comments = [e.get("comment") for e in bitcoind.ledger()]
    assert sorted(comments) == sorted([paid, stuck])  # each paid exactly once
    hashes = [e.get("payment_hash") or e.get("paymentHash") for e in phoenixd.ledger()]
    assert hashes == [bolt11["payment_hash"]]
    for rid in (ln, paid, stuck):
        got = server.request("GET", f"/v1/stores/main/refunds/{rid}", token=ADMIN)[2]
        assert got["status"] == "succeeded", got
    _, _, ev = server.request("GET", f"/v1/stores/main/refunds/{stuck}/events", token=ADMIN)
    # (the wallet's fee, 141 sat, is above the default 1% of 1500 sat)
    assert [e["event"] for e in ev["data"]] == ["created", "claimed", "outcome_unknown",
                                                "succeeded", "fee_warning"]
    assert json.dumps(ev)  # the trail is readable by the public host, not writable


def test_claimable_refund_changes_only_by_its_claim(users):
    """sql/015: the public host's role creates a claimable refund and claims it
    once through refund_claim(); nothing pays, approves or finalizes it while
    it awaits, and the executor may not claim a destination."""
    rs = Refunds(users)
    rid = rs.new("awaiting_destination")
    api, exe = users["qpayd_api"], users["qpayd_executor"]
    token_hash = sql(users["owner"], "SELECT claim_token_hash FROM refunds WHERE id = %s",
                     rid)[1][0][0]
    for action, actor, role in (("approve", "admin", api), ("finalize", "payout", api),
                                ("fail", "payout", api), ("claim", "executor:w", exe)):
        kw = {"reason": "x"} if action == "fail" else {}
        if action == "claim":
            kw = {"backend": "bitcoind", "executor": "w"}
        assert transition(role, rid, action, actor, **kw)[0] in (DENIED, TRANSITION), action
    assert sql(exe, "SELECT id FROM refund_claimable('main', 'bitcoin', 10)")[1] == []
    claim = ("SELECT status, destination FROM refund_claim(%s, %s, 'bitcoin_address', "
             "'bitcoin', 'not_required', 'auto', NULL, NULL, '{}')")
    assert sql(exe, claim, token_hash, REGTEST_ADDR)[0] == "42501"
    # a direct write of the destination is refused whoever tries
    assert sql(api, "UPDATE refunds SET destination = 'x' WHERE id = %s", rid)[0] == "42501"
    assert sql(api, claim, token_hash, REGTEST_ADDR) == (None, [("pending", REGTEST_ADDR)])
    assert sql(api, claim, token_hash, "bcrt1qother")[1] == []
    assert state(users["owner"], rid)[0] == "pending"
    assert [r[0] for r in sql(exe, "SELECT id FROM refund_claimable('main', 'bitcoin', 10)")[1]] \
        == [rid]
