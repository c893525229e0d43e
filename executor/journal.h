/* The executor's own journal on the wallet host: an append-only file where a
 * start record is written and fsynced before any backend call that can move
 * money, and the outcome after it. The executor never calls a paying endpoint
 * for a refund id the journal holds, whatever the database says.
 *
 * One record a line: TYPE '\t' REFUND_ID '\t' JSON '\t' CHECKSUM '\n', where
 * TYPE is S (start), O (outcome) or A (ack), and CHECKSUM is the hex BLAKE2b
 * (crypto_generichash, 16 bytes) of everything before it. A line that is
 * cut short or whose checksum does not match is "torn": when its refund id
 * can be read, that refund counts as started (the call may have happened).
 * Several processes share one file: every read-decide-append happens under
 * flock(LOCK_EX), after reading what the others appended. */
#ifndef QPAYD_EXECUTOR_JOURNAL_H
#define QPAYD_EXECUTOR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

enum journal_state {
        JOURNAL_STARTED,   /* a start record, no outcome: the call may have happened */
        JOURNAL_SUCCEEDED, /* paid, with the backend's proof */
        JOURNAL_FAILED,    /* the backend proved nothing was paid */
        JOURNAL_DEFERRED,  /* nothing was sent: the id may be paid again */
        JOURNAL_UNKNOWN,   /* the call may have paid: reconcile decides */
        JOURNAL_TORN,      /* a damaged record: treated as started */
};

/* The latest known state of one refund id. Strings are "" when unknown. */
struct journal_entry {
        char id[65];
        char store[65];
        char invoice[65];
        char backend[16];  /* "lightning" or "bitcoin" */
        char *destination; /* owned by the journal */
        int64_t amount_sats;
        int attempt;
        int64_t time; /* of the start, seconds since the epoch */
        enum journal_state state;
        char tx_id[65], proof[65], payment_hash[65];
        int64_t fee_sats; /* -1 when unknown */
        int acked;        /* an operator explained it: audit --ack */
};

/* A start record's fields (borrowed). */
struct journal_start {
        const char *id, *store, *invoice, *backend, *destination;
        int64_t amount_sats;
        int attempt;
};

/* An outcome record's fields (borrowed; NULL or "" when absent). */
struct journal_outcome {
        const char *id;
        int attempt;
        enum journal_state state; /* SUCCEEDED, FAILED, DEFERRED or UNKNOWN */
        const char *tx_id, *proof, *payment_hash;
        int64_t fee_sats;
};

struct journal;

/* Opens (creating it, mode 0600, and fsyncing its directory) the journal at
 * path and reads it. NULL with err (naming the path) filled on failure. */
struct journal *journal_open(const char *path, char *err, size_t errlen);
/* Opens an existing journal read-only (audit without --ack): NULL with err. */
struct journal *journal_open_readonly(const char *path, char *err, size_t errlen);
void journal_free(struct journal *j);
const char *journal_path(const struct journal *j);

/* Takes the exclusive lock and reads what other processes appended since.
 * Every decision on what the journal holds is made between lock and unlock.
 * -1 with err on failure (the lock is not held then). */
int journal_lock(struct journal *j, char *err, size_t errlen);
/* Makes what was appended durable (fsync) when sync is set, then unlocks.
 * -1 with err when the fsync failed (the lock is released anyway). */
int journal_unlock(struct journal *j, int sync, char *err, size_t errlen);
/* fdatasync of what was appended, without the lock: other processes need
 * not wait for the disk, and nothing may be called before it returns 0. */
int journal_sync(struct journal *j, char *err, size_t errlen);
/* Re-reads what other processes appended (a short lock). */
int journal_refresh(struct journal *j, char *err, size_t errlen);

/* Appends a record (under the lock). A record that cannot be written whole
 * is cut off again, so that a full disk leaves no torn start behind. */
int journal_append_start(struct journal *j, const struct journal_start *s, char *err,
                         size_t errlen);
int journal_append_outcome(struct journal *j, const struct journal_outcome *o, char *err,
                           size_t errlen);
int journal_append_ack(struct journal *j, const char *id, char *err, size_t errlen);

/* The entry of refund id, or NULL when the journal never saw it (borrowed,
 * valid until the next read). */
const struct journal_entry *journal_find(const struct journal *j, const char *id);
/* True when a paying call for id may have happened or did: any entry whose
 * latest record is not a deferred outcome. */
int journal_started(const struct journal *j, const char *id);
size_t journal_count(const struct journal *j);
/* Entry i, in the order the ids first appeared. */
const struct journal_entry *journal_at(const struct journal *j, size_t i);
/* Records that failed their checksum or were cut short, read so far. */
size_t journal_torn_records(const struct journal *j);

const char *journal_state_name(enum journal_state s);

#endif
