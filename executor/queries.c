#include "queries.h"

#include <stdlib.h>

#include "log.h"

/* Payable refunds of one store and backend, oldest first: pending and not
 * waiting for an approval. The invoice's figures come from its refunds, not
 * from a total the public server could have written. $3 limit. */
#define CANDIDATES_SQL                                                                             \
        "SELECT r.id, r.amount_sats, r.destination, r.destination_type, r.payout_backend, "        \
        "r.approval_status, i.amount_paid_sats, "                                                  \
        "(SELECT coalesce(sum(o.amount_sats), 0) FROM refunds o WHERE o.store_id = r.store_id "    \
        "AND o.invoice_id = r.invoice_id AND o.id <> r.id "                                        \
        "AND o.status IN ('pending', 'processing', 'succeeded')), r.invoice_id "                   \
        "FROM refunds r JOIN invoices i ON i.store_id = r.store_id AND i.id = r.invoice_id "       \
        "WHERE r.store_id = $1 AND r.payout_backend = $2 AND r.status = 'pending' "                \
        "AND r.approval_status IN ('not_required', 'approved') "                                   \
        "AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= now()) "                           \
        "ORDER BY r.created_at, r.id LIMIT $3"

/* The end of an outcome statement (after its "WITH u AS (UPDATE refunds
 * ... RETURNING id, store_id), "): the attempt's end and the event.
 * $1 id, $3 attempt, $4 actor, $5 detail. */
#define RECORD_TAIL(outcome, event, to)                                                            \
        "a AS (UPDATE refund_attempts SET finished_at = now(), outcome = '" outcome "', "          \
        "detail = $5::jsonb WHERE refund_id = $1 AND attempt = $3::int), "                         \
        "e AS (INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, "        \
        "to_status, detail) SELECT id, store_id, $4, '" event "', 'processing', '" to "', "        \
        "$5::jsonb FROM u) SELECT count(*) FROM u"

const struct db_stmt executor_queries[] = {
    {Q_CANDIDATES, CANDIDATES_SQL, 3},
    /* Today's (UTC: sessions run in UTC) succeeded payouts of one store and
     * backend, and everything in flight. */
    {Q_DAY_TOTALS,
     "SELECT coalesce(sum(amount_sats) FILTER (WHERE status = 'succeeded' "
     "AND completed_at >= date_trunc('day', now())), 0), "
     "coalesce(sum(amount_sats) FILTER (WHERE status = 'processing'), 0) "
     "FROM refunds WHERE store_id = $1 AND payout_backend = $2 "
     "AND status IN ('succeeded', 'processing')",
     2},
    /* The same rows, claimed: locked, skipping those another executor holds. */
    {Q_CLAIM, CANDIDATES_SQL " FOR UPDATE OF r SKIP LOCKED", 3},
    /* Claim, one statement: processing, the attempt, and the "claimed" event.
     * $1 id, $2 store, $3 payment hash (bolt11) or NULL, $4 backend,
     * $5 executor, $6 actor, $7 reason. Returns the attempt number, or no row
     * when the refund is no longer pending. */
    {Q_CLAIM_ONE,
     "WITH u AS (UPDATE refunds SET status = 'processing', processing_started_at = now(), "
     "attempts = attempts + 1, payment_hash = coalesce($3, payment_hash) "
     "WHERE id = $1 AND store_id = $2 AND status = 'pending' RETURNING id, store_id, attempts), "
     "a AS (INSERT INTO refund_attempts (refund_id, attempt, backend, executor) "
     "SELECT id, attempts, $4, $5 FROM u), "
     "e AS (INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, "
     "to_status, detail) SELECT id, store_id, $6, 'claimed', 'pending', 'processing', "
     "jsonb_build_object('reason', $7::text, 'backend', $4::text, 'attempt', attempts) FROM u) "
     "SELECT attempts FROM u",
     7},
    /* $1 refund, $2 attempt, $3 outcome, $4 detail */
    {Q_ATTEMPT_FINISH,
     "UPDATE refund_attempts SET finished_at = now(), outcome = $3, detail = $4::jsonb "
     "WHERE refund_id = $1 AND attempt = $2",
     4},
    /* $1 refund, $2 store, $3 actor, $4 event, $5 from, $6 to, $7 detail */
    {Q_EVENT,
     "INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, to_status, "
     "detail) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
     7},
    {Q_EVENT_EXISTS,
     "SELECT 1 FROM refund_events WHERE store_id = $1 AND refund_id = $2 AND event = $3 "
     "LIMIT 1",
     3},
    /* $3 failure reason */
    {Q_FAIL_PENDING,
     "UPDATE refunds SET status = 'failed', failure_reason = $3, completed_at = now() "
     "WHERE id = $1 AND store_id = $2 AND status = 'pending'",
     3},
    {Q_REQUIRE_APPROVAL,
     "UPDATE refunds SET approval_status = 'required' WHERE id = $1 AND store_id = $2 "
     "AND status = 'pending' AND approval_status = 'not_required'",
     2},
    /* An outcome, one statement each (atomic): the refund's new status, the
     * end of its attempt and the event. $1 id, $2 store, $3 attempt,
     * $4 actor, $5 detail (attempt and event), then the outcome's own. */
    /* $6 tx_id, $7 payment_proof, $8 fee_sats */
    {Q_RECORD_SUCCEED,
     "WITH u AS (UPDATE refunds SET status = 'succeeded', tx_id = $6, payment_proof = $7, "
     "fee_sats = $8, completed_at = now() WHERE id = $1 AND store_id = $2 "
     "AND status = 'processing' RETURNING id, store_id), " RECORD_TAIL("succeeded", "succeeded",
                                                                       "succeeded"),
     8},
    /* $6 failure reason */
    {Q_RECORD_FAIL,
     "WITH u AS (UPDATE refunds SET status = 'failed', failure_reason = $6, "
     "completed_at = now() WHERE id = $1 AND store_id = $2 AND status = 'processing' "
     "RETURNING id, store_id), " RECORD_TAIL("failed", "failed", "failed"),
     6},
    /* Nothing was sent: back to pending, not before $6 seconds from now. */
    {Q_RECORD_DEFER,
     "WITH u AS (UPDATE refunds SET status = 'pending', next_attempt_at = now() + "
     "make_interval(secs => $6::int) WHERE id = $1 AND store_id = $2 "
     "AND status = 'processing' RETURNING id, store_id), " RECORD_TAIL("deferred", "deferred",
                                                                       "pending"),
     6},
    /* Refunds left processing for an operator: not those another executor is
     * paying right now (an unfinished attempt younger than $2 seconds), but
     * the ambiguous ones and those a crashed executor abandoned. */
    {Q_PROCESSING_LEFT,
     "SELECT count(*) FROM refunds r WHERE r.store_id = $1 AND r.status = 'processing' "
     "AND NOT EXISTS (SELECT 1 FROM refund_attempts a WHERE a.refund_id = r.id "
     "AND a.finished_at IS NULL AND a.started_at > now() - make_interval(secs => $2::int))",
     2},
    /* $1 executor name, $2 host, $3 pid, $4 version, $5 counts */
    {Q_HEARTBEAT,
     "INSERT INTO executor_heartbeats (executor_id, host, pid, version, last_pass_at, counts) "
     "VALUES ($1, $2, $3, $4, now(), $5::jsonb) ON CONFLICT (executor_id) DO UPDATE SET "
     "host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version, "
     "last_pass_at = now(), counts = EXCLUDED.counts",
     5},
    /* Refunds left processing: $2 one refund or NULL, processing for at least
     * $3 seconds, and not being paid right now (no unfinished attempt
     * younger than $4 seconds). */
    {Q_RECONCILE,
     "SELECT r.id, r.amount_sats, r.destination, r.destination_type, r.payout_backend, "
     "r.payment_hash, r.attempts FROM refunds r WHERE r.store_id = $1 "
     "AND r.status = 'processing' AND ($2::text IS NULL OR r.id = $2) "
     "AND r.processing_started_at <= now() - make_interval(secs => $3::int) "
     "AND NOT EXISTS (SELECT 1 FROM refund_attempts a WHERE a.refund_id = r.id "
     "AND a.finished_at IS NULL AND a.started_at > now() - make_interval(secs => $4::int)) "
     "ORDER BY r.processing_started_at, r.id",
     4},
    /* A payment hash only the backend's answer told (barkd), for reconcile. */
    {Q_SET_HASH,
     "UPDATE refunds SET payment_hash = $3 WHERE id = $1 AND store_id = $2 "
     "AND status = 'processing' AND payment_hash IS NULL",
     3},
    /* The journal's checks (executor/guard.c, executor/audit.c): one refund's
     * status ($1 store, $2 id), and every refund of a store. */
    {Q_REFUND_STATUS, "SELECT status FROM refunds WHERE store_id = $1 AND id = $2", 2},
    {Q_AUDIT_REFUNDS,
     "SELECT r.id, r.status, r.amount_sats, coalesce(r.tx_id, ''), "
     "coalesce(r.payment_proof, ''), r.payout_backend, "
     "EXISTS (SELECT 1 FROM refund_attempts a WHERE a.refund_id = r.id) "
     "FROM refunds r WHERE r.store_id = $1 ORDER BY r.id",
     1},
};
const size_t executor_queries_count = sizeof(executor_queries) / sizeof(executor_queries[0]);

void
candidate_from_row(const PGresult *r, int i, struct policy_refund *out)
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
executor_db_open(struct db *db, const struct config *cfg, int attempts)
{
        if (db_open(db, cfg->database_url, executor_queries, executor_queries_count, attempts) == 0)
                return 0;
        log_error("cannot reach the database", "error", db->last_error);
        db_close(db);
        return -1;
}
