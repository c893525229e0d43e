#include "statements.h"

#include "schema.h"

/* Refunds are rendered by refund_json() (sql/003) and invoices by
 * invoice_json() (sql/005): one JSON form for every answer and every stored
 * idempotent response (compacted on the way out: api/render.c). Times are
 * shown as qpayd_ts() (sql/003) writes them.
 *
 * One string literal per line of SQL, so that each statement reads as it
 * runs; clang-format would pack them into one another. */

/* clang-format off */
const struct db_stmt statements[] = {
    /* Version and compatibility level (common/schema.c). */
    {STMT_SCHEMA_VERSION, schema_read_sql, 0},
    /* What each qpayd-executor last reported (for /readyz). */
    {STMT_HEARTBEATS,
     "SELECT executor_id, host, pid, version, qpayd_ts(last_pass_at), counts,\n"
     "       extract(epoch FROM now() - coalesce(last_pass_at, started_at))::bigint\n"
     "  FROM executor_heartbeats\n"
     " ORDER BY executor_id\n"
     " LIMIT 50",
     0},

    /* $1 id, $2 store, $3 amount, $4 description, $5 metadata, $6 expiry seconds,
     * $7 refund destination, $8 bolt11, $9 payment hash, $10 address, $11 BIP21,
     * $12 notification_url */
    {STMT_INVOICE_INSERT,
     "INSERT INTO invoices (id, store_id, amount_sats, description, metadata, expires_at,\n"
     "                      refund_destination, bolt11, payment_hash, onchain_address, bip21,\n"
     "                      notification_url)\n"
     "VALUES ($1, $2, $3, $4, $5::jsonb, now() + make_interval(secs => $6::int),\n"
     "        $7, $8, $9, $10, $11, $12)\n"
     "RETURNING invoice_json(invoices)",
     12},
    {STMT_INVOICE_GET,
     "SELECT invoice_json(i) FROM invoices i WHERE store_id = $1 AND id = $2",
     2},
    {STMT_INVOICE_REFUND_DEST,
     "SELECT refund_destination FROM invoices WHERE store_id = $1 AND id = $2",
     2},
    /* Paid amount, status, window expired?, window end. $3 refund_window_days. */
    {STMT_INVOICE_SUMMARY,
     "SELECT amount_paid_sats,\n"
     "       CASE WHEN status = 'unpaid' AND expires_at < now() THEN 'expired'\n"
     "            ELSE status END,\n"
     "       $3::int > 0 AND paid_at + make_interval(days => $3::int) < now(),\n"
     "       CASE WHEN $3::int > 0\n"
     "            THEN qpayd_ts(paid_at + make_interval(days => $3::int)) END\n"
     "  FROM invoices\n"
     " WHERE store_id = $1 AND id = $2",
     3},
    /* One observation of one payment (sql/005): $1 store, $2 invoice, $3 method,
     * $4 reference, $5 amount, $6 confirmations, $7 state, $8 actor, $9 detail.
     * Returns changed, status, amount_sats, amount_paid_sats, refund_destination,
     * or no row when the invoice does not exist. */
    {STMT_PAYMENT_RECORD,
     "SELECT changed, status, amount_sats, amount_paid_sats, refund_destination\n"
     "  FROM invoice_payment_record($1, $2, $3, $4, $5::bigint, $6::int, $7, $8, $9::jsonb)",
     9},
    /* Lightning invoices the poller still asks phoenixd about: no Lightning
     * payment yet, not expired for more than ten minutes (clock skew). */
    {STMT_LN_OPEN,
     "SELECT i.id, i.payment_hash\n"
     "  FROM invoices i\n"
     " WHERE i.store_id = $1\n"
     "   AND i.payment_hash IS NOT NULL\n"
     "   AND i.expires_at > now() - interval '10 minutes'\n"
     "   AND NOT EXISTS (SELECT 1 FROM invoice_payments p\n"
     "                    WHERE p.method = 'lightning' AND p.reference = i.payment_hash)\n"
     " ORDER BY i.expires_at\n"
     " LIMIT $2",
     2},
    {STMT_INVOICE_BY_HASH,
     "SELECT id FROM invoices WHERE store_id = $1 AND payment_hash = $2",
     2},
    {STMT_INVOICE_BY_ADDRESS,
     "SELECT id FROM invoices WHERE store_id = $1 AND onchain_address = $2",
     2},
    /* On-chain payments still waiting for confirmations: re-checked when
     * listsinceblock stops listing them (double-spent between two polls). */
    {STMT_ONCHAIN_SEEN,
     "SELECT invoice_id, reference, amount_sats\n"
     "  FROM invoice_payments\n"
     " WHERE store_id = $1 AND method = 'onchain' AND state = 'seen'\n"
     " ORDER BY id\n"
     " LIMIT 1000",
     1},
    {STMT_CHAIN_GET,
     "SELECT last_block_hash FROM chain_state WHERE store_id = $1",
     1},
    {STMT_CHAIN_SET,
     "INSERT INTO chain_state (store_id, last_block_hash) VALUES ($1, $2)\n"
     "    ON CONFLICT (store_id) DO UPDATE SET last_block_hash = EXCLUDED.last_block_hash",
     2},
    {STMT_INVOICE_EVENTS,
     "SELECT e.id, e.actor, e.event, e.from_status, e.to_status, e.detail,\n"
     "       qpayd_ts(e.created_at)\n"
     "  FROM invoice_events e\n"
     " WHERE e.store_id = $1 AND e.invoice_id = $2\n"
     " ORDER BY e.id",
     2},
    /* Sums and counts by status for one invoice. */
    /* pending's sum counts the refunds awaiting a customer's destination
     * (sql/015): their amount is committed as well. */
    {STMT_REFUND_SUMS,
     "SELECT coalesce(sum(amount_sats) FILTER (WHERE status IN ('pending',\n"
     "                                                   'awaiting_destination')), 0),\n"
     "       coalesce(sum(amount_sats) FILTER (WHERE status = 'processing'), 0),\n"
     "       coalesce(sum(amount_sats) FILTER (WHERE status = 'succeeded'), 0),\n"
     "       count(*) FILTER (WHERE status = 'pending'),\n"
     "       count(*) FILTER (WHERE status = 'processing'),\n"
     "       count(*) FILTER (WHERE status = 'succeeded'),\n"
     "       count(*) FILTER (WHERE status = 'failed'),\n"
     "       count(*) FILTER (WHERE status = 'canceled'),\n"
     "       count(*) FILTER (WHERE status = 'awaiting_destination')\n"
     "  FROM refunds\n"
     " WHERE store_id = $1 AND invoice_id = $2",
     2},
    /* Refund create, one statement: the invoice must exist, be paid and
     * within its window; the refund, its "created" event and (with a key) the
     * stored response are written together. The refunds_commit_amount trigger
     * adds the amount to the invoice, whose CHECK refuses an over-refund.
     * $1 id, $2 store, $3 invoice, $4 amount, $5 destination, $6 type,
     * $7 backend, $8 reason, $9 approval, $10 idempotency key, $11 execution,
     * $12 execution reason, $13 actor, $14 event detail, $15 window days,
     * $16 role, $17 request fingerprint, $18 bolt11 payment hash or NULL,
     * $19 reference, $20 metadata, $21 buyer_pays_fee, $22 one_refund_in_flight
     * (refund_in_flight_check, sql/012: locks the invoice, then refuses while
     * another refund of it is pending or processing), $23 notification_url or
     * NULL. */
    {STMT_REFUND_CREATE,
     "WITH inv AS (\n"
     "    SELECT id FROM invoices\n"
     "     WHERE store_id = $2 AND id = $3 AND amount_paid_sats > 0\n"
     "       AND ($15::int = 0 OR paid_at + make_interval(days => $15::int) >= now())\n"
     "       AND refund_in_flight_check($2, $3, $22::boolean)),\n"
     "r AS (\n"
     "    INSERT INTO refunds (id, store_id, invoice_id, amount_sats, destination,\n"
     "                         destination_type, payout_backend, reason, approval_status,\n"
     "                         idempotency_key, execution, execution_reason, payment_hash,\n"
     "                         reference, metadata, buyer_pays_fee, notification_url)\n"
     "    SELECT $1, $2, inv.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $18,\n"
     "           $19, $20::jsonb, $21::boolean, $23 FROM inv\n"
     "    RETURNING *),\n"
     "e AS (\n"
     "    INSERT INTO refund_events (refund_id, store_id, actor, event, from_status,\n"
     "                               to_status, detail)\n"
     "    SELECT id, store_id, $13, 'created', NULL, 'pending', $14::jsonb FROM r),\n"
     "b AS (\n"
     "    SELECT r.id, refund_json(r::refunds) AS body FROM r),\n"
     "k AS (\n"
     "    INSERT INTO idempotency_keys (store_id, role, key, fingerprint, state,\n"
     "                                  response_status, response_body, resource_id)\n"
     "    SELECT $2, $16, $10, $17, 'done', 201, b.body, b.id FROM b\n"
     "     WHERE $10::text IS NOT NULL)\n"
     "SELECT body FROM b",
     23},
    {STMT_REFUND_BY_KEY,
     "SELECT refund_json(r), r.amount_sats, r.destination, r.claim_token_hash IS NOT NULL\n"
     "  FROM refunds r\n"
     " WHERE store_id = $1 AND invoice_id = $2 AND idempotency_key = $3",
     3},
    {STMT_REFUND_GET,
     "SELECT refund_json(r) FROM refunds r WHERE store_id = $1 AND id = $2",
     2},
    /* For a precise 409; refund_transition locks and checks again. */
    {STMT_REFUND_STATE,
     "SELECT id, status, approval_status FROM refunds WHERE store_id = $1 AND id = $2",
     2},
    /* The manual transitions, each one call of refund_transition() (sql/007):
     * it checks the move against the session's role, updates the refund and
     * appends the event. $1 store, $2 id, $3 actor, $4 event detail. */
    /* $5 tx_id, $6 payment_proof, $7 fee_sats */
    {STMT_REFUND_FINALIZE,
     "SELECT refund_json(t)\n"
     "  FROM refund_transition($1, $2, 'finalize', $3, $4::jsonb, p_tx_id => $5,\n"
     "                         p_payment_proof => $6, p_fee_sats => $7::bigint) t",
     7},
    /* $5 failure reason */
    {STMT_REFUND_FAIL,
     "SELECT refund_json(t)\n"
     "  FROM refund_transition($1, $2, 'fail', $3, $4::jsonb, p_reason => $5) t",
     5},
    {STMT_REFUND_CANCEL,
     "SELECT refund_json(t) FROM refund_transition($1, $2, 'cancel', $3, $4::jsonb) t",
     4},
    {STMT_REFUND_APPROVE,
     "SELECT refund_json(t) FROM refund_transition($1, $2, 'approve', $3, $4::jsonb) t",
     4},
    /* The signed fields of a refund (common/approval.h), created_at as the
     * API shows it. */
    {STMT_APPROVAL_FIELDS,
     "SELECT invoice_id, amount_sats, destination, qpayd_ts(created_at)\n"
     "  FROM refunds\n"
     " WHERE store_id = $1 AND id = $2",
     2},
    /* $3 public key, $4 signature: verified before the insert. */
    {STMT_APPROVAL_INSERT,
     "INSERT INTO refund_approvals (store_id, refund_id, public_key, signature)\n"
     "VALUES ($1, $2, $3, $4)",
     4},
    {STMT_REFUNDS_OF_INVOICE,
     "SELECT refund_json(r)\n"
     "  FROM refunds r\n"
     " WHERE store_id = $1 AND invoice_id = $2\n"
     " ORDER BY created_at, id",
     2},
    /* Listings and exports (docs/api.md "Listings and exports"): keyset
     * pages on (created_at, id), never OFFSET. A cursor is the last row's
     * qpayd_ts_us(created_at) and id; the first page's is a sentinel
     * ('infinity' newest first, '-infinity' oldest first) so that the keyset
     * condition is always there for the index (sql/013). Date bounds are
     * half open, [after, before); absent, -infinity and infinity. */
    /* Newest first. $1 store, $2 status, $3 created_after, $4 created_before,
     * $5 invoice_id, $6 reference, $7 metadata (jsonb containment), $11
     * approval_status, each NULL when not filtered; $8 $9 cursor; $10 limit + 1. */
    {STMT_REFUNDS_LIST,
     "SELECT refund_json(r), qpayd_ts_us(r.created_at), r.id\n"
     "  FROM refunds r\n"
     " WHERE r.store_id = $1\n"
     "   AND (r.created_at, r.id) < ($8::timestamptz, $9::text)\n"
     "   AND r.created_at >= $3::timestamptz AND r.created_at < $4::timestamptz\n"
     "   AND ($2::text IS NULL OR r.status = $2)\n"
     "   AND ($5::text IS NULL OR r.invoice_id = $5)\n"
     "   AND ($6::text IS NULL OR r.reference = $6)\n"
     "   AND ($7::jsonb IS NULL OR r.metadata @> $7::jsonb)\n"
     "   AND ($11::text IS NULL OR r.approval_status = $11)\n"
     " ORDER BY r.created_at DESC, r.id DESC\n"
     " LIMIT $10",
     11},
    /* starting_after=<refund id>: where that refund stands in the keyset. */
    {STMT_REFUND_CURSOR,
     "SELECT qpayd_ts_us(created_at) FROM refunds WHERE store_id = $1 AND id = $2",
     2},
    /* Newest first. $1 store, $2 status (as the API shows it: an unpaid
     * invoice past expires_at is expired), $3 created_after,
     * $4 created_before, $5 paid_after, $6 paid_before, $7 metadata; $8 $9
     * cursor; $10 limit + 1. */
    {STMT_INVOICES_LIST,
     "SELECT invoice_json(i), qpayd_ts_us(i.created_at), i.id\n"
     "  FROM invoices i\n"
     " WHERE i.store_id = $1\n"
     "   AND (i.created_at, i.id) < ($8::timestamptz, $9::text)\n"
     "   AND i.created_at >= $3::timestamptz AND i.created_at < $4::timestamptz\n"
     "   AND ($2::text IS NULL OR\n"
     "        CASE WHEN i.status = 'unpaid' AND i.expires_at < now() THEN 'expired'\n"
     "             ELSE i.status END = $2)\n"
     "   AND ($5::timestamptz IS NULL OR i.paid_at >= $5::timestamptz)\n"
     "   AND ($6::timestamptz IS NULL OR i.paid_at < $6::timestamptz)\n"
     "   AND ($7::jsonb IS NULL OR i.metadata @> $7::jsonb)\n"
     " ORDER BY i.created_at DESC, i.id DESC\n"
     " LIMIT $10",
     10},
    /* The CSV exports (api/export_kinds.c): the columns of the file in
     * order, then the cursor. Oldest first; parameters as the lists', the
     * last one the page size. */
    {STMT_EXPORT_INVOICES,
     "SELECT i.id,\n"
     "       CASE WHEN i.status = 'unpaid' AND i.expires_at < now() THEN 'expired'\n"
     "            ELSE i.status END,\n"
     "       i.amount_sats, i.amount_sats, i.amount_paid_sats, i.amount_paid_sats,\n"
     "       i.amount_refunded_sats, i.amount_refunded_sats, i.description, i.metadata,\n"
     "       i.payment_hash, i.onchain_address, qpayd_csv_ts(i.created_at),\n"
     "       qpayd_csv_ts(i.expires_at), qpayd_csv_ts(i.paid_at),\n"
     "       qpayd_ts_us(i.created_at), i.id\n"
     "  FROM invoices i\n"
     " WHERE i.store_id = $1\n"
     "   AND (i.created_at, i.id) > ($8::timestamptz, $9::text)\n"
     "   AND i.created_at >= $3::timestamptz AND i.created_at < $4::timestamptz\n"
     "   AND ($2::text IS NULL OR\n"
     "        CASE WHEN i.status = 'unpaid' AND i.expires_at < now() THEN 'expired'\n"
     "             ELSE i.status END = $2)\n"
     "   AND ($5::timestamptz IS NULL OR i.paid_at >= $5::timestamptz)\n"
     "   AND ($6::timestamptz IS NULL OR i.paid_at < $6::timestamptz)\n"
     "   AND ($7::jsonb IS NULL OR i.metadata @> $7::jsonb)\n"
     " ORDER BY i.created_at, i.id\n"
     " LIMIT $10",
     10},
    {STMT_EXPORT_REFUNDS,
     "SELECT r.id, r.invoice_id, r.reference, r.status, r.payout_backend,\n"
     "       r.destination_type, r.destination, r.amount_sats, r.amount_sats,\n"
     "       r.fee_sats, r.fee_sats, r.received_sats, r.received_sats, r.buyer_pays_fee,\n"
     "       r.tx_id, r.payment_proof, r.tx_status, r.confirmations, r.reason,\n"
     "       r.failure_reason, qpayd_csv_ts(r.created_at), qpayd_csv_ts(r.completed_at),\n"
     "       qpayd_csv_ts(r.confirmed_at), qpayd_ts_us(r.created_at), r.id\n"
     "  FROM refunds r\n"
     " WHERE r.store_id = $1\n"
     "   AND (r.created_at, r.id) > ($8::timestamptz, $9::text)\n"
     "   AND r.created_at >= $3::timestamptz AND r.created_at < $4::timestamptz\n"
     "   AND ($2::text IS NULL OR r.status = $2)\n"
     "   AND ($5::text IS NULL OR r.invoice_id = $5)\n"
     "   AND ($6::text IS NULL OR r.reference = $6)\n"
     "   AND ($7::jsonb IS NULL OR r.metadata @> $7::jsonb)\n"
     "   AND ($11::text IS NULL OR r.approval_status = $11)\n"
     " ORDER BY r.created_at, r.id\n"
     " LIMIT $10",
     11},
    /* $2 method, $3 state, $4 first seen after, $5 before; $6 $7 cursor
     * (first_seen_at, id); $8 page size. */
    {STMT_EXPORT_PAYMENTS,
     "SELECT p.invoice_id, p.method, p.reference, p.state, p.amount_sats, p.amount_sats,\n"
     "       p.confirmations, p.late, qpayd_csv_ts(p.first_seen_at),\n"
     "       qpayd_csv_ts(p.credited_at), qpayd_ts_us(p.first_seen_at), p.id\n"
     "  FROM invoice_payments p\n"
     " WHERE p.store_id = $1\n"
     "   AND (p.first_seen_at, p.id) > ($6::timestamptz, $7::bigint)\n"
     "   AND p.first_seen_at >= $4::timestamptz AND p.first_seen_at < $5::timestamptz\n"
     "   AND ($2::text IS NULL OR p.method = $2)\n"
     "   AND ($3::text IS NULL OR p.state = $3)\n"
     " ORDER BY p.first_seen_at, p.id\n"
     " LIMIT $8",
     8},
    /* /metrics (api/metrics_refunds.c): kind, two labels, value. Refunds by
     * backend and status; the age in seconds of the oldest pending refund
     * (since created) and processing one (since claimed), 0 when none;
     * payout attempts of every executor by backend and outcome (in_flight:
     * not finished). */
    {STMT_METRICS_REFUNDS,
     "SELECT 'refunds', payout_backend, status, count(*)::text\n"
     "  FROM refunds GROUP BY payout_backend, status\n"
     "UNION ALL\n"
     "SELECT 'oldest', 'pending', '',\n"
     "       coalesce(round(extract(epoch FROM now() - min(created_at)), 3), 0)::text\n"
     "  FROM refunds WHERE status = 'pending'\n"
     "UNION ALL\n"
     "SELECT 'oldest', 'processing', '',\n"
     "       coalesce(round(extract(epoch FROM now() - min(processing_started_at)), 3), 0)::text\n"
     "  FROM refunds WHERE status = 'processing'\n"
     "UNION ALL\n"
     "SELECT 'payouts', backend, coalesce(outcome, 'in_flight'), count(*)::text\n"
     "  FROM refund_attempts GROUP BY backend, outcome",
     0},
    {STMT_EVENTS_LIST,
     "SELECT e.id, e.actor, e.event, e.from_status, e.to_status, e.detail,\n"
     "       qpayd_ts(e.created_at)\n"
     "  FROM refund_events e\n"
     " WHERE e.store_id = $1 AND e.refund_id = $2\n"
     " ORDER BY e.id",
     2},
    {STMT_IDEM_GET,
     "SELECT fingerprint, state, response_status, response_body, expires_at < now()\n"
     "  FROM idempotency_keys\n"
     " WHERE store_id = $1 AND role = $2 AND key = $3",
     3},
    /* The other POSTs (idempotency_begin): the key is claimed first in the
     * request's transaction, so a duplicate waits on it, then its response
     * is stored before the commit. $4 fingerprint; $4 status, $5 body,
     * $6 resource id. */
    {STMT_IDEM_CLAIM,
     "INSERT INTO idempotency_keys (store_id, role, key, fingerprint)\n"
     "VALUES ($1, $2, $3, $4)",
     4},
    {STMT_IDEM_STORE,
     "UPDATE idempotency_keys\n"
     "   SET state = 'done', response_status = $4::int, response_body = $5, resource_id = $6\n"
     " WHERE store_id = $1 AND role = $2 AND key = $3",
     6},
    /* A key past its 24 hours may be used again. */
    {STMT_IDEM_DELETE_EXPIRED,
     "DELETE FROM idempotency_keys\n"
     " WHERE store_id = $1 AND role = $2 AND key = $3 AND expires_at < now()",
     3},
    {STMT_IDEM_PRUNE,
     "DELETE FROM idempotency_keys\n"
     " WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT 1000)",
     0},

    /* ---- outgoing webhooks (sql/010, docs/webhooks.md) ---- */
    /* Webhook deliveries (sql/010), newest first: $2 status or NULL (all but
     * skipped), $3 cursor delivery id or NULL, $4 limit + 1, $5 object id or
     * NULL. */
    {STMT_HOOK_LIST,
     "SELECT webhook_delivery_json(o)\n"
     "  FROM webhook_outbox o\n"
     " WHERE store_id = $1\n"
     "   AND CASE WHEN $2::text IS NULL THEN status <> 'skipped' ELSE status = $2 END\n"
     "   AND ($3::bigint IS NULL OR id < $3::bigint)\n"
     "   AND ($5::text IS NULL OR object_id = $5)\n"
     " ORDER BY id DESC\n"
     " LIMIT $4",
     5},
    /* Due again at once, whatever its state; the sender records the attempt.
     * A delivery being sent right now is locked by its sender (up to 10 s):
     * not waited for. Returns the delivery (NULL: not changed) and whether
     * it exists. */
    {STMT_HOOK_REDELIVER,
     "WITH d AS (\n"
     "    SELECT id FROM webhook_outbox\n"
     "     WHERE store_id = $1 AND id = $2::bigint\n"
     "       FOR UPDATE SKIP LOCKED),\n"
     "u AS (\n"
     "    UPDATE webhook_outbox o\n"
     "       SET status = 'pending', next_attempt_at = now(), delivered_at = NULL\n"
     "      FROM d WHERE o.id = d.id\n"
     "    RETURNING webhook_delivery_json(o) AS body)\n"
     "SELECT (SELECT body FROM u),\n"
     "       EXISTS (SELECT 1 FROM webhook_outbox WHERE store_id = $1 AND id = $2::bigint)",
     2},
    /* The sender (api/hook_sender.c), on its own connections. */
    {STMT_HOOK_DUE_STORES,
     "SELECT DISTINCT store_id FROM webhook_outbox\n"
     " WHERE status = 'pending' AND next_attempt_at <= now()\n"
     " LIMIT 1000",
     0},
    /* One sender per store, across every qpayd of the database. */
    {STMT_HOOK_LOCK_STORE,
     "SELECT pg_try_advisory_xact_lock(1752015, hashtext($1))",
     1},
    /* The store's oldest due delivery that is its object's (and target's)
     * oldest pending one. */
    {STMT_HOOK_CLAIM,
     "SELECT o.id, o.event_type, o.alias, o.url, o.object_type, o.object_id, o.attempts,\n"
     "       json_build_object('id', 'evt_' || o.id, 'type', o.event_type,\n"
     "                         'created_at', qpayd_ts(o.created_at), 'data', o.payload)::text,\n"
     "       extract(epoch FROM now() - o.created_at)::bigint\n"
     "  FROM webhook_outbox o\n"
     " WHERE o.store_id = $1 AND o.status = 'pending' AND o.next_attempt_at <= now()\n"
     "   AND NOT EXISTS (SELECT 1 FROM webhook_outbox p\n"
     "                    WHERE p.store_id = o.store_id AND p.object_id = o.object_id\n"
     "                      AND p.status = 'pending' AND p.id < o.id\n"
     "                      AND p.url IS NOT DISTINCT FROM o.url)\n"
     " ORDER BY o.id\n"
     " LIMIT 1\n"
     "   FOR UPDATE OF o SKIP LOCKED",
     1},
    {STMT_HOOK_SKIP,
     "UPDATE webhook_outbox SET status = 'skipped' WHERE id = $1",
     1},
    /* $2: every target, or only the store's url (url NULL) */
    {STMT_HOOK_SKIP_STORE,
     "UPDATE webhook_outbox SET status = 'skipped'\n"
     " WHERE store_id = $1 AND status = 'pending' AND ($2::boolean OR url IS NULL)",
     2},
    /* $1 outbox id, $2 attempt, $3 result, $4 HTTP status, $5 answer,
     * $6 error, $7 address, $8 duration in ms */
    {STMT_HOOK_ATTEMPT,
     "INSERT INTO webhook_attempts (outbox_id, attempt, result, http_status, response, error,\n"
     "                              address, duration_ms)\n"
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
     8},
    /* $2 status, $3 attempts, $4 seconds to the next attempt, $5 error,
     * $6 HTTP status, $7 answer */
    {STMT_HOOK_RESULT,
     "UPDATE webhook_outbox\n"
     "   SET status = $2, attempts = $3,\n"
     "       next_attempt_at = now() + make_interval(secs => $4::double precision),\n"
     "       last_error = $5, last_status = $6, last_response = $7, last_attempt_at = now(),\n"
     "       delivered_at = CASE WHEN $2 = 'delivered' THEN now() END\n"
     " WHERE id = $1",
     7},
    {STMT_HOOK_NOTIFIED,
     "SELECT webhook_refund_notified($1, $2)",
     2},
    {STMT_HOOK_EXPIRE,
     "SELECT webhook_expire_invoices()",
     0},
    /* Claimable refunds (sql/015, docs/claims.md). */
    {STMT_CLAIM_EXPIRE,
     "SELECT refund_claims_expire()",
     0},
    /* $1 id, $2 store, $3 invoice, $4 amount, $5 reason, $6 Idempotency-Key,
     * $7 actor, $8 event detail, $9 refund window days, $10 key's role, $11
     * its fingerprint, $12 reference, $13 metadata, $14 one_refund_in_flight,
     * $15 notification_url, $16 token hash, $17 claim lifetime days. As
     * STMT_REFUND_CREATE, without a destination. */
    {STMT_CLAIM_CREATE,
     "WITH inv AS (\n"
     "    SELECT id FROM invoices\n"
     "     WHERE store_id = $2 AND id = $3 AND amount_paid_sats > 0\n"
     "       AND ($9::int = 0 OR paid_at + make_interval(days => $9::int) >= now())\n"
     "       AND refund_in_flight_check($2, $3, $14::boolean)),\n"
     "r AS (\n"
     "    INSERT INTO refunds (id, store_id, invoice_id, amount_sats, reason, idempotency_key,\n"
     "                         reference, metadata, notification_url, status,\n"
     "                         claim_token_hash, claim_expires_at)\n"
     "    SELECT $1, $2, inv.id, $4, $5, $6, $12, $13::jsonb, $15, 'awaiting_destination',\n"
     "           $16, now() + make_interval(days => $17::int) FROM inv\n"
     "    RETURNING *),\n"
     "e AS (\n"
     "    INSERT INTO refund_events (refund_id, store_id, actor, event, from_status,\n"
     "                               to_status, detail)\n"
     "    SELECT id, store_id, $7, 'created', NULL, 'awaiting_destination', $8::jsonb\n"
     "      FROM r),\n"
     "b AS (\n"
     "    SELECT r.id, refund_json(r::refunds) AS body FROM r),\n"
     "k AS (\n"
     "    INSERT INTO idempotency_keys (store_id, role, key, fingerprint, state,\n"
     "                                  response_status, response_body, resource_id)\n"
     "    SELECT $2, $10, $6, $11, 'done', 201, b.body, b.id FROM b\n"
     "     WHERE $6::text IS NOT NULL)\n"
     "SELECT body FROM b",
     17},
    /* What the claim page shows, by the token's hash: never the invoice's
     * other data or other refunds. */
    {STMT_CLAIM_VIEW,
     "SELECT store_id, id, amount_sats, status,\n"
     "       to_char(claim_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),\n"
     "       claim_expires_at <= now(), reason, claimed_at IS NOT NULL,\n"
     "       extract(epoch FROM claim_expires_at)::bigint\n"
     "  FROM refunds\n"
     " WHERE claim_token_hash = $1",
     1},
    /* $1 token hash, $2 destination, $3 type, $4 backend, $5 approval, $6
     * execution, $7 its reason, $8 bolt11 payment hash, $9 event detail. */
    {STMT_CLAIM,
     "SELECT refund_json(t), t.store_id, t.id\n"
     "  FROM refund_claim($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) t",
     9},
    {STMT_CLAIM_RENEW,
     "SELECT refund_json(t) FROM refund_claim_renew($1, $2, $3, $4) t",
     4},
    {STMT_HOOK_BACKLOG,
     "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint\n"
     "  FROM webhook_outbox\n"
     " WHERE status = 'pending'",
     0},
    /* Retention (docs/webhooks.md): skipped rows after a day, delivered and
     * failed ones with their attempts after 30 days; up to 1000 at a time. */
    {STMT_HOOK_PRUNE,
     "WITH old AS (\n"
     "    (SELECT id FROM webhook_outbox\n"
     "      WHERE status = 'skipped' AND created_at < now() - interval '1 day'\n"
     "      LIMIT 500)\n"
     "    UNION ALL\n"
     "    (SELECT id FROM webhook_outbox\n"
     "      WHERE status IN ('delivered', 'failed')\n"
     "        AND created_at < now() - interval '30 days'\n"
     "      LIMIT 500)),\n"
     "a AS (DELETE FROM webhook_attempts WHERE outbox_id IN (SELECT id FROM old))\n"
     "DELETE FROM webhook_outbox WHERE id IN (SELECT id FROM old)",
     0},
};
/* clang-format on */
const size_t statements_count = sizeof(statements) / sizeof(statements[0]);
