/* Every SQL statement qpayd-executor runs, prepared on its connection. The
 * executor's role (sql/roles.sql, qpayd_executor) can read these tables and
 * changes refunds only through refund_transition() (sql/007) and the
 * refund_chain_* functions (sql/011). */
#ifndef QPAYD_EXECUTOR_QUERIES_H
#define QPAYD_EXECUTOR_QUERIES_H

#include "config.h"
#include "db.h"
#include "policy.h"

#define Q_CANDIDATES       "x_candidates"
#define Q_DAY_TOTALS       "x_day_totals"
#define Q_CLAIM            "x_claim"
#define Q_CLAIM_ONE        "x_claim_one"
#define Q_NOTE             "x_note"
#define Q_EVENT_EXISTS     "x_event_exists"
#define Q_FAIL_PENDING     "x_fail_pending"
#define Q_REQUIRE_APPROVAL "x_require_approval"
#define Q_RECORD_SUCCEED   "x_record_succeed"
#define Q_RECORD_FAIL      "x_record_fail"
#define Q_RECORD_DEFER     "x_record_defer"
#define Q_RECORD_UNKNOWN   "x_record_unknown"
#define Q_PROCESSING_LEFT  "x_processing_left"
#define Q_HEARTBEAT        "x_heartbeat"
#define Q_RECONCILE        "x_reconcile"
#define Q_APPROVALS        "x_approvals"
#define Q_VERIFY_PAYMENTS  "x_verify_payments"
#define Q_VERIFY_LOCK      "x_verify_lock"
#define Q_VERIFY_COMMITTED "x_verify_committed"
#define Q_REFUND_STATUS    "x_refund_status"
#define Q_AUDIT_REFUNDS    "x_audit_refunds"
#define Q_CHAIN_WATCH      "x_chain_watch"
#define Q_CHAIN_OBSERVE    "x_chain_observe"

/* Columns of Q_CANDIDATES. */
enum candidate_col {
        CAND_ID,
        CAND_AMOUNT,
        CAND_DEST,
        CAND_DEST_TYPE,
        CAND_BACKEND,
        CAND_APPROVAL,
        CAND_INVOICE_PAID,
        CAND_INVOICE_OTHER,
        CAND_INVOICE_ID,
};

/* Row i of a Q_CANDIDATES or Q_CLAIM result, for policy_check (borrows
 * from r). */
void queries_candidate_from_row(const PGresult *r, int i, struct policy_refund *out);

/* Opens db on cfg's database with every executor statement prepared,
 * retrying attempts times. 0, or -1 after logging why. */
int queries_db_open(struct db *db, const struct config *cfg, int attempts);

extern const struct db_stmt queries_statements[];
extern const size_t queries_statements_count;

#endif
