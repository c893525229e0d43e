#include "queries.h"

const struct db_stmt executor_queries[] = {
    /* Payable refunds of one store and backend, oldest first: pending and not
     * waiting for an approval. The invoice's figures come from its refunds,
     * not from a total the public server could have written. $3 limit. */
    {Q_CANDIDATES,
     "SELECT r.id, r.amount_sats, r.destination, r.destination_type, r.payout_backend, "
     "r.approval_status, i.amount_paid_sats, "
     "(SELECT coalesce(sum(o.amount_sats), 0) FROM refunds o WHERE o.store_id = r.store_id "
     "AND o.invoice_id = r.invoice_id AND o.id <> r.id "
     "AND o.status IN ('pending', 'processing', 'succeeded')) "
     "FROM refunds r JOIN invoices i ON i.store_id = r.store_id AND i.id = r.invoice_id "
     "WHERE r.store_id = $1 AND r.payout_backend = $2 AND r.status = 'pending' "
     "AND r.approval_status IN ('not_required', 'approved') "
     "AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= now()) "
     "ORDER BY r.created_at, r.id LIMIT $3",
     3},
    /* Today's (UTC: sessions run in UTC) succeeded payouts of one store and
     * backend, and everything in flight. */
    {Q_DAY_TOTALS,
     "SELECT coalesce(sum(amount_sats) FILTER (WHERE status = 'succeeded' "
     "AND completed_at >= date_trunc('day', now())), 0), "
     "coalesce(sum(amount_sats) FILTER (WHERE status = 'processing'), 0) "
     "FROM refunds WHERE store_id = $1 AND payout_backend = $2 "
     "AND status IN ('succeeded', 'processing')",
     2},
};
const size_t executor_queries_count = sizeof(executor_queries) / sizeof(executor_queries[0]);
