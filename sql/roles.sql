-- roles.sql: least-privilege group roles for the two programs. Applied by
-- `qpayd migrate` after the migrations, in its own transaction, every time:
-- it revokes, then grants, so re-running converges on exactly this table.
--
-- Both roles are NOLOGIN groups. Operators create login users and grant them
-- membership (docs/database.md): GRANT qpayd_api TO qpayd_web;
--
-- This file is the privilege-separation table of qpayd: what the public daemon
-- (qpayd_api) and the wallet host (qpayd_executor) may read and write, column
-- by column. Keep docs/database.md in step with it.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qpayd_api') THEN
        BEGIN
            CREATE ROLE qpayd_api NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN
            NULL; -- created meanwhile by a migration of another database
        END;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'qpayd_executor') THEN
        BEGIN
            CREATE ROLE qpayd_executor NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN
            NULL;
        END;
    END IF;
    -- Start from nothing. Schema-wide for our own two roles; PUBLIC loses its
    -- rights on qpayd's tables below, one by one, so that other applications
    -- sharing the schema are left alone.
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM qpayd_api, qpayd_executor',
                   current_schema());
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM qpayd_api, qpayd_executor',
                   current_schema());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO qpayd_api, qpayd_executor', current_schema());
END
$$;

REVOKE ALL ON schema_migrations, invoices, invoice_payments, refunds, refund_events,
    refund_transitions, refund_attempts, idempotency_keys, payout_daily_totals, webhook_outbox,
    executor_heartbeats, chain_state, invoice_events, refund_approvals FROM PUBLIC;
REVOKE ALL ON SEQUENCE invoice_payments_id_seq, refund_events_id_seq, refund_attempts_id_seq,
    webhook_outbox_id_seq, invoice_events_id_seq, refund_approvals_id_seq FROM PUBLIC;
-- The payment functions run with the caller's rights (qpayd_api's grants below).
REVOKE ALL ON FUNCTION invoice_payment_record(text, text, text, text, bigint, integer, text,
    text, jsonb), invoice_refresh(text, text, text) FROM PUBLIC;
-- Every refund state change of both roles goes through this function (sql/007),
-- which takes the caller's rights from its session's role: no role may UPDATE
-- refunds directly.
REVOKE ALL ON FUNCTION refund_transition(text, text, text, text, jsonb, text, text, bigint, text,
    text, text, text, integer, integer, text), refund_claimable(text, text, integer) FROM PUBLIC;
-- one_refund_in_flight (sql/012): runs with the caller's rights.
REVOKE ALL ON FUNCTION refund_in_flight_check(text, text, boolean) FROM PUBLIC;

-- qpayd_api: the public daemon -------------------------------------------

GRANT SELECT, INSERT, UPDATE ON invoices, invoice_payments TO qpayd_api;
GRANT SELECT ON refunds TO qpayd_api;
-- A new refund: its state columns keep their defaults (pending, unpaid); the
-- refunds_insert_guard trigger refuses a pre-approved one.
GRANT INSERT (id, store_id, invoice_id, amount_sats, destination, destination_type,
              payout_backend, reason, approval_status, idempotency_key, execution,
              execution_reason, payment_hash, reference, metadata, buyer_pays_fee)
    ON refunds TO qpayd_api;
-- Only a new refund's "created" event (row-level security, below).
GRANT SELECT, INSERT ON refund_events TO qpayd_api;
GRANT SELECT ON refund_transitions TO qpayd_api;
-- refund_events has row-level security (sql/007): both roles read every row;
-- qpayd_api inserts only a new refund's "created" event, the rest is written
-- by refund_transition(), which as the owner bypasses the policies.
DROP POLICY IF EXISTS refund_events_read ON refund_events;
DROP POLICY IF EXISTS refund_events_created ON refund_events;
CREATE POLICY refund_events_read ON refund_events FOR SELECT TO qpayd_api, qpayd_executor
    USING (true);
CREATE POLICY refund_events_created ON refund_events FOR INSERT TO qpayd_api
    WITH CHECK (event = 'created' AND from_status IS NULL
                AND to_status IN ('pending', 'awaiting_destination'));
GRANT SELECT ON refund_attempts TO qpayd_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO qpayd_api;
GRANT SELECT ON payout_daily_totals TO qpayd_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_outbox TO qpayd_api;
GRANT SELECT ON executor_heartbeats TO qpayd_api;
GRANT SELECT ON schema_migrations TO qpayd_api;
GRANT SELECT, INSERT, UPDATE ON chain_state TO qpayd_api;
GRANT SELECT, INSERT ON invoice_events TO qpayd_api;
-- Append-only (008): the executor verifies every row against its own keys.
GRANT SELECT, INSERT ON refund_approvals TO qpayd_api;
GRANT USAGE ON SEQUENCE refund_approvals_id_seq TO qpayd_api;
GRANT EXECUTE ON FUNCTION invoice_payment_record(text, text, text, text, bigint, integer, text,
    text, jsonb), invoice_refresh(text, text, text) TO qpayd_api;
GRANT EXECUTE ON FUNCTION refund_in_flight_check(text, text, boolean) TO qpayd_api;
GRANT USAGE ON SEQUENCE invoice_payments_id_seq, refund_events_id_seq, webhook_outbox_id_seq,
    invoice_events_id_seq TO qpayd_api;

-- qpayd_executor: the wallet host ----------------------------------------

GRANT SELECT ON invoices, invoice_payments, invoice_events TO qpayd_executor;
GRANT SELECT ON refunds, refund_events, refund_attempts, refund_transitions TO qpayd_executor;
GRANT SELECT ON refund_approvals TO qpayd_executor;
GRANT SELECT, INSERT, UPDATE ON payout_daily_totals, executor_heartbeats TO qpayd_executor;
GRANT INSERT ON webhook_outbox TO qpayd_executor;
GRANT SELECT ON schema_migrations TO qpayd_executor;
GRANT USAGE ON SEQUENCE webhook_outbox_id_seq TO qpayd_executor;
-- The claim's row locks (SELECT ... FOR UPDATE would need UPDATE on refunds).
GRANT EXECUTE ON FUNCTION refund_claimable(text, text, integer) TO qpayd_executor;

-- Both: refund state changes, each checked against the session's role.
GRANT EXECUTE ON FUNCTION refund_transition(text, text, text, text, jsonb, text, text, bigint,
    text, text, text, text, integer, integer, text) TO qpayd_api, qpayd_executor;

-- The executor's writes of what it learns after a payout (sql/011): the fee,
-- last_error, the chain's view of an on-chain refund. Each function checks
-- the session is a qpayd_executor and changes only those columns.
REVOKE ALL ON FUNCTION refund_chain_succeed(text, text, text, jsonb, text, text, bigint, integer,
    integer), refund_chain_defer(text, text, text, jsonb, integer, integer, text),
    refund_chain_observe(text, text, text, text, integer, bigint, integer, integer, text),
    refund_chain_note(text, text, text, text, jsonb, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refund_chain_succeed(text, text, text, jsonb, text, text, bigint,
    integer, integer), refund_chain_defer(text, text, text, jsonb, integer, integer, text),
    refund_chain_observe(text, text, text, text, integer, bigint, integer, integer, text),
    refund_chain_note(text, text, text, text, jsonb, text)
    TO qpayd_executor;

-- Outgoing webhooks (sql/010, docs/webhooks.md): qpayd delivers the outbox
-- and keeps the attempt log; the triggers that fill the outbox and the two
-- functions below run as the owner, so the executor needs nothing more.
REVOKE ALL ON webhook_attempts, webhook_expiry_sweep FROM PUBLIC;
REVOKE ALL ON SEQUENCE webhook_attempts_id_seq FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON webhook_attempts TO qpayd_api;
GRANT USAGE ON SEQUENCE webhook_attempts_id_seq TO qpayd_api;
GRANT INSERT (notification_url) ON refunds TO qpayd_api;
GRANT EXECUTE ON FUNCTION webhook_expire_invoices(), webhook_refund_notified(text, text)
    TO qpayd_api;

-- Refunds the customer claims (sql/015, docs/claims.md): qpayd creates them
-- awaiting a destination, with the token's hash and the claim's expiry; the
-- claim, a new link and the expiry sweep are functions that change only
-- those rows.
GRANT INSERT (status, claim_token_hash, claim_expires_at) ON refunds TO qpayd_api;
REVOKE ALL ON FUNCTION refund_claim(text, text, text, text, text, text, text, text, jsonb),
    refund_claim_renew(text, text, text, text), refund_claims_expire() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refund_claim(text, text, text, text, text, text, text, text, jsonb),
    refund_claim_renew(text, text, text, text), refund_claims_expire() TO qpayd_api;
