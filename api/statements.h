/* Every SQL statement qpayd serve runs, prepared on each worker connection.
 * Statements returning invoices select invoice_json() (sql/005) and those
 * returning refunds refund_json() (sql/003) first. */
#ifndef QPAYD_API_STATEMENTS_H
#define QPAYD_API_STATEMENTS_H

#include "db.h"

#define STMT_SCHEMA_VERSION      "schema_version"
#define STMT_HEARTBEATS          "heartbeats"
#define STMT_INVOICE_INSERT      "invoice_insert"
#define STMT_INVOICE_GET         "invoice_get"
#define STMT_INVOICE_SUMMARY     "invoice_summary"
#define STMT_INVOICE_REFUND_DEST "invoice_refund_dest"
#define STMT_INVOICE_BY_HASH     "invoice_by_hash"
#define STMT_INVOICE_BY_ADDRESS  "invoice_by_address"
#define STMT_INVOICE_EVENTS      "invoice_events"
#define STMT_PAYMENT_RECORD      "payment_record"
#define STMT_LN_OPEN             "ln_open"
#define STMT_ONCHAIN_SEEN        "onchain_seen"
#define STMT_CHAIN_GET           "chain_get"
#define STMT_CHAIN_SET           "chain_set"
#define STMT_REFUND_SUMS         "refund_sums"
#define STMT_REFUND_CREATE       "refund_create"
#define STMT_REFUND_BY_KEY       "refund_by_key"
#define STMT_REFUND_GET          "refund_get"
#define STMT_REFUND_STATE        "refund_state"
#define STMT_REFUND_FINALIZE     "refund_finalize"
#define STMT_REFUND_FAIL         "refund_fail"
#define STMT_REFUND_CANCEL       "refund_cancel"
#define STMT_REFUND_APPROVE      "refund_approve"
#define STMT_APPROVAL_FIELDS     "approval_fields"
#define STMT_APPROVAL_INSERT     "approval_insert"
#define STMT_REFUNDS_OF_INVOICE  "refunds_of_invoice"
#define STMT_REFUNDS_LIST        "refunds_list"
#define STMT_EVENTS_LIST         "events_list"
#define STMT_IDEM_GET            "idem_get"
#define STMT_IDEM_DELETE_EXPIRED "idem_delete_expired"
#define STMT_IDEM_PRUNE          "idem_prune"
#define STMT_HOOK_LIST           "hook_list"
#define STMT_HOOK_REDELIVER      "hook_redeliver"
#define STMT_HOOK_DUE_STORES     "hook_due_stores"
#define STMT_HOOK_LOCK_STORE     "hook_lock_store"
#define STMT_HOOK_CLAIM          "hook_claim"
#define STMT_HOOK_SKIP           "hook_skip"
#define STMT_HOOK_SKIP_STORE     "hook_skip_store"
#define STMT_HOOK_ATTEMPT        "hook_attempt"
#define STMT_HOOK_RESULT         "hook_result"
#define STMT_HOOK_NOTIFIED       "hook_notified"
#define STMT_HOOK_EXPIRE         "hook_expire"
#define STMT_HOOK_BACKLOG        "hook_backlog"
#define STMT_HOOK_PRUNE          "hook_prune"

extern const struct db_stmt statements[];
extern const size_t statements_count;

#endif
