#include "queries.h"

#include <stdlib.h>

#include "log.h"

/* Every change of a refund's state is one call of refund_transition()
 * (sql/007), which checks it against this session's role (qpayd_executor),
 * updates the refund, ends the attempt and appends the event atomically: its
 * first two arguments are the store ($2) and the refund ($1).
 *
 * One string literal per line of SQL, so that each statement reads as it
 * runs; clang-format would pack them into one another. */

/* clang-format off */
const struct db_stmt queries_statements[] = {
    /* Payable refunds of one store and backend, oldest first: pending and
     * not waiting for an approval (the dry run's list; the claim's is
     * refund_claimable() in sql/007: keep them in step). The invoice's
     * figures come from its refunds, not from a total the public server
     * could have written. $3 limit. */
    {Q_CANDIDATES,
     "SELECT r.id, r.amount_sats, r.destination, r.destination_type, r.payout_backend,\n"
     "       r.approval_status, i.amount_paid_sats,\n"
     "       (SELECT coalesce(sum(o.amount_sats), 0)\n"
     "          FROM refunds o\n"
     "         WHERE o.store_id = r.store_id AND o.invoice_id = r.invoice_id\n"
     "           AND o.id <> r.id\n"
     "           AND o.status IN ('pending', 'processing', 'succeeded')),\n"
     "       r.invoice_id\n"
     "  FROM refunds r\n"
     "  JOIN invoices i ON i.store_id = r.store_id AND i.id = r.invoice_id\n"
     " WHERE r.store_id = $1 AND r.payout_backend = $2 AND r.status = 'pending'\n"
     "   AND r.approval_status IN ('not_required', 'approved')\n"
     "   AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= now())\n"
     " ORDER BY r.created_at, r.id\n"
     " LIMIT $3",
     3},
    /* Today's (UTC: sessions run in UTC) succeeded payouts of one store and
     * backend, and everything in flight. */
    {Q_DAY_TOTALS,
     "SELECT coalesce(sum(amount_sats) FILTER (WHERE status = 'succeeded'\n"
     "                     AND completed_at >= date_trunc('day', now())), 0),\n"
     "       coalesce(sum(amount_sats) FILTER (WHERE status = 'processing'), 0)\n"
     "  FROM refunds\n"
     " WHERE store_id = $1 AND payout_backend = $2\n"
     "   AND status IN ('succeeded', 'processing')",
     2},
    /* The same rows, claimed: locked, skipping those another executor holds
     * (sql/007: no role may lock refunds itself). */
    {Q_CLAIM,
     "SELECT * FROM refund_claimable($1, $2, $3::int)",
     3},
    /* Claim: processing, the attempt, and the "claimed" event. $1 id,
     * $2 store, $3 payment hash (bolt11) or NULL, $4 backend, $5 executor,
     * $6 actor, $7 reason. Returns the attempt number and buyer_pays_fee. */
    {Q_CLAIM_ONE,
     "SELECT r.attempts, r.buyer_pays_fee\n"
     "  FROM refund_transition($2, $1, 'claim', $6, jsonb_build_object('reason', $7::text),\n"
     "                         p_payment_hash => $3, p_backend => $4, p_executor => $5) r",
     7},
    {Q_EVENT_EXISTS,
     "SELECT 1 FROM refund_events\n"
     " WHERE store_id = $1 AND refund_id = $2 AND event = $3\n"
     " LIMIT 1",
     3},
    /* An event without a change of state (sql/011 refund_chain_note: on a
     * pending refund, $6 the reason also becomes last_error). $3 actor,
     * $4 event, $5 detail. */
    {Q_NOTE,
     "SELECT r.attempts\n"
     "  FROM refund_chain_note($2, $1, $3, $4, $5::jsonb, $6) r",
     6},
    /* $3 actor, $4 detail, $5 failure reason */
    {Q_FAIL_PENDING,
     "SELECT r.attempts\n"
     "  FROM refund_transition($2, $1, 'fail', $3, $4::jsonb, p_reason => $5) r",
     5},
    /* $3 actor, $4 detail */
    {Q_REQUIRE_APPROVAL,
     "SELECT r.attempts\n"
     "  FROM refund_transition($2, $1, 'require_approval', $3, $4::jsonb) r",
     4},
    /* An outcome, one call each: $1 id, $2 store, $3 attempt, $4 actor,
     * $5 detail (attempt and event), then the outcome's own. */
    /* $6 tx_id, $7 payment_proof, $8 fee_sats, $9 the store's
     * fee_warning_percent (sql/011: also clears last_error, records
     * received_sats and starts watching an on-chain refund) */
    {Q_RECORD_SUCCEED,
     "SELECT r.attempts\n"
     "  FROM refund_chain_succeed($2, $1, $4, $5::jsonb, $6, $7, $8::bigint, $3::int,\n"
     "                            $9::int) r",
     9},
    /* $6 failure reason */
    {Q_RECORD_FAIL,
     "SELECT r.attempts\n"
     "  FROM refund_transition($2, $1, 'fail', $4, $5::jsonb, p_reason => $6,\n"
     "                         p_attempt => $3::int) r",
     6},
    /* Nothing was sent: back to pending, not before $6 seconds from now,
     * with $7 the backend's reason as last_error (sql/011). */
    {Q_RECORD_DEFER,
     "SELECT r.attempts\n"
     "  FROM refund_chain_defer($2, $1, $4, $5::jsonb, $6::int, $3::int, $7) r",
     7},
    /* Stays processing; $6 the payment hash only the backend's answer told
     * (barkd), for reconcile, or NULL. */
    {Q_RECORD_UNKNOWN,
     "SELECT r.attempts\n"
     "  FROM refund_transition($2, $1, 'unknown', $4, $5::jsonb, p_payment_hash => $6,\n"
     "                         p_attempt => $3::int) r",
     6},
    /* Refunds left processing for an operator: not those another executor is
     * paying right now (an unfinished attempt younger than $2 seconds), but
     * the ambiguous ones and those a crashed executor abandoned. */
    {Q_PROCESSING_LEFT,
     "SELECT count(*)\n"
     "  FROM refunds r\n"
     " WHERE r.store_id = $1 AND r.status = 'processing'\n"
     "   AND NOT EXISTS (SELECT 1 FROM refund_attempts a\n"
     "                    WHERE a.refund_id = r.id AND a.finished_at IS NULL\n"
     "                      AND a.started_at > now() - make_interval(secs => $2::int))",
     2},
    /* $1 executor name, $2 host, $3 pid, $4 version, $5 counts */
    {Q_HEARTBEAT,
     "INSERT INTO executor_heartbeats (executor_id, host, pid, version, last_pass_at, counts)\n"
     "VALUES ($1, $2, $3, $4, now(), $5::jsonb)\n"
     "    ON CONFLICT (executor_id) DO UPDATE\n"
     "   SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,\n"
     "       last_pass_at = now(), counts = EXCLUDED.counts",
     5},
    /* Refunds left processing: $2 one refund or NULL, processing for at least
     * $3 seconds, and not being paid right now (no unfinished attempt
     * younger than $4 seconds). */
    {Q_RECONCILE,
     "SELECT r.id, r.amount_sats, r.destination, r.destination_type, r.payout_backend,\n"
     "       r.payment_hash, r.attempts\n"
     "  FROM refunds r\n"
     " WHERE r.store_id = $1 AND r.status = 'processing'\n"
     "   AND ($2::text IS NULL OR r.id = $2)\n"
     "   AND r.processing_started_at <= now() - make_interval(secs => $3::int)\n"
     "   AND NOT EXISTS (SELECT 1 FROM refund_attempts a\n"
     "                    WHERE a.refund_id = r.id AND a.finished_at IS NULL\n"
     "                      AND a.started_at > now() - make_interval(secs => $4::int))\n"
     " ORDER BY r.processing_started_at, r.id",
     4},
    /* The payments of one invoice, for the executor to verify at their
     * backends (verify.c): the rows only say where to look. */
    {Q_VERIFY_PAYMENTS,
     "SELECT method, reference, amount_sats\n"
     "  FROM invoice_payments\n"
     " WHERE store_id = $1 AND invoice_id = $2 AND state <> 'removed'\n"
     " ORDER BY id",
     2},
    /* One transaction lock per invoice of a claimed batch ($2, a text array),
     * to commit (verify_claim_begin). Taken in invoice order, in one
     * statement (volatile select-list functions run after the sort): two
     * executors never wait on each other in a cycle. */
    {Q_VERIFY_LOCK,
     "SELECT pg_advisory_xact_lock(hashtextextended('qpayd-verify:' || $1 || ':' || k, 0))\n"
     "  FROM (SELECT DISTINCT unnest($2::text[]) AS k) i\n"
     " ORDER BY k",
     2},
    /* What those invoices' refunds have taken or are taking (after the lock:
     * its own statement, so its snapshot sees what committed before). */
    {Q_VERIFY_COMMITTED,
     "SELECT invoice_id, sum(amount_sats)\n"
     "  FROM refunds\n"
     " WHERE store_id = $1 AND invoice_id = ANY ($2::text[])\n"
     "   AND status IN ('processing', 'succeeded')\n"
     " GROUP BY invoice_id",
     2},
    /* A refund's signed fields not passed by the caller (invoice, created_at
     * as common/approval.h spells it: qpayd_ts(), sql/003) and its stored
     * approvals, one row per approval (NULLs when none), oldest first.
     * exec_approval.c verifies them. */
    {Q_APPROVALS,
     "SELECT r.invoice_id, qpayd_ts(r.created_at), a.public_key, a.signature\n"
     "  FROM refunds r\n"
     "  LEFT JOIN refund_approvals a ON a.store_id = r.store_id AND a.refund_id = r.id\n"
     " WHERE r.store_id = $1 AND r.id = $2\n"
     " ORDER BY a.id\n"
     " LIMIT 100",
     2},
    /* The journal's checks (executor/guard.c, executor/audit.c): one refund's
     * status ($1 store, $2 id), and every refund of a store. */
    {Q_REFUND_STATUS,
     "SELECT status FROM refunds WHERE store_id = $1 AND id = $2",
     2},
    /* The chain watch (executor/chainwatch.c): one store's on-chain refunds
     * sent and not yet confirmed, in id order after $2, at most $3. */
    {Q_CHAIN_WATCH,
     "SELECT id, tx_id, confirmations\n"
     "  FROM refunds\n"
     " WHERE store_id = $1 AND tx_status = 'unconfirmed' AND id > $2\n"
     " ORDER BY id\n"
     " LIMIT $3",
     3},
    /* $3 actor, $4 state (seen, conflicted, dropped), $5 confirmations,
     * $6 fee_sats or NULL, $7 confirmations_required, $8 fee_warning_percent,
     * $9 reason. Returns the refund's tx_status and confirmations. */
    {Q_CHAIN_OBSERVE,
     "SELECT r.tx_status, r.confirmations\n"
     "  FROM refund_chain_observe($1, $2, $3, $4, $5::int, $6::bigint, $7::int, $8::int, $9) r",
     9},
    {Q_AUDIT_REFUNDS,
     "SELECT r.id, r.status, r.amount_sats, coalesce(r.tx_id, ''),\n"
     "       coalesce(r.payment_proof, ''), r.payout_backend,\n"
     "       EXISTS (SELECT 1 FROM refund_attempts a WHERE a.refund_id = r.id)\n"
     "  FROM refunds r\n"
     " WHERE r.store_id = $1\n"
     " ORDER BY r.id",
     1},
};
/* clang-format on */
const size_t queries_statements_count = sizeof(queries_statements) / sizeof(queries_statements[0]);

void
queries_candidate_from_row(const PGresult *r, int i, struct policy_refund *out)
{
        out->id = PQgetvalue(r, i, CAND_ID);
        out->amount_sats = strtoll(PQgetvalue(r, i, CAND_AMOUNT), NULL, 10);
        out->destination = PQgetvalue(r, i, CAND_DEST);
        out->destination_type = PQgetvalue(r, i, CAND_DEST_TYPE);
        out->payout_backend = PQgetvalue(r, i, CAND_BACKEND);
        out->approval_status = PQgetvalue(r, i, CAND_APPROVAL);
        out->invoice_paid_sats = strtoll(PQgetvalue(r, i, CAND_INVOICE_PAID), NULL, 10);
        out->invoice_other_sats = strtoll(PQgetvalue(r, i, CAND_INVOICE_OTHER), NULL, 10);
}

int
queries_db_open(struct db *db, const struct config *cfg, int attempts)
{
        if (db_open(db, cfg->database_url, queries_statements, queries_statements_count,
                    attempts) == 0)
                return 0;
        log_error("cannot reach the database", "error", db->last_error);
        db_close(db);
        return -1;
}
