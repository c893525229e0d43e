-- 009_refund_fields.sql: what a shop needs to reconcile a refund (issue 15).
--
-- The shop's own reference and metadata, the customer-pays-the-fee choice of
-- an on-chain refund, what the customer received, the chain's view of the
-- refund transaction (confirmations, or that it left the wallet's view), why
-- an automatic refund is waiting (last_error beside next_attempt_at), and
-- when the shop was last notified. fee_sats and next_attempt_at exist since
-- 001. refund_json() shows them all, in one fixed key order.

ALTER TABLE refunds
    ADD COLUMN reference            text
        CHECK (length(reference) BETWEEN 1 AND 100 AND reference !~ '[[:cntrl:]]'),
    ADD COLUMN metadata             jsonb
        CHECK (jsonb_typeof(metadata) = 'object' AND octet_length(metadata::text) <= 16384),
    ADD COLUMN buyer_pays_fee       boolean     NOT NULL DEFAULT false,
    ADD COLUMN received_sats        bigint
        CHECK (received_sats BETWEEN 0 AND 2100000000000000),
    ADD COLUMN tx_status            text
        CHECK (tx_status IN ('unconfirmed', 'confirmed', 'conflicted', 'dropped')),
    ADD COLUMN confirmations        integer     CHECK (confirmations >= 0),
    ADD COLUMN confirmed_at         timestamptz,
    ADD COLUMN last_error           text        CHECK (length(last_error) BETWEEN 1 AND 1000),
    ADD COLUMN last_notification_at timestamptz,
    -- The customer pays the fee only where the wallet can take it from the
    -- amount: bitcoind's subtractfeefromamount. Lightning refunds refuse it.
    ADD CONSTRAINT refunds_buyer_pays_fee_onchain
        CHECK (NOT buyer_pays_fee OR payout_backend = 'bitcoin'),
    ADD CONSTRAINT refunds_confirmed_at
        CHECK ((tx_status = 'confirmed') = (confirmed_at IS NOT NULL));
COMMENT ON COLUMN refunds.reference IS 'The shop''s own reference, up to 100 printable characters.';
COMMENT ON COLUMN refunds.received_sats IS 'What the customer received: amount_sats less the fee when buyer_pays_fee.';
COMMENT ON COLUMN refunds.tx_status IS 'On-chain refunds: the wallet''s view of tx_id (conflicted or dropped needs an operator).';
COMMENT ON COLUMN refunds.last_error IS 'Why an automatic refund is waiting (with next_attempt_at).';
CREATE INDEX refunds_reference ON refunds (store_id, reference) WHERE reference IS NOT NULL;

CREATE OR REPLACE FUNCTION refund_json(r refunds) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object(
        'id', r.id, 'store_id', r.store_id, 'invoice_id', r.invoice_id,
        'reference', r.reference, 'amount_sats', r.amount_sats,
        'destination', r.destination, 'destination_type', r.destination_type,
        'payout_backend', r.payout_backend, 'reason', r.reason, 'metadata', r.metadata,
        'status', r.status, 'approval_status', r.approval_status,
        'execution', r.execution, 'execution_reason', r.execution_reason,
        'idempotency_key', r.idempotency_key, 'buyer_pays_fee', r.buyer_pays_fee,
        'tx_id', r.tx_id, 'tx_status', r.tx_status, 'confirmations', r.confirmations,
        'confirmed_at', qpayd_ts(r.confirmed_at), 'payment_proof', r.payment_proof,
        'fee_sats', r.fee_sats, 'received_sats', r.received_sats,
        'failure_reason', r.failure_reason, 'last_error', r.last_error,
        'next_attempt_at', qpayd_ts(r.next_attempt_at),
        'last_notification_at', qpayd_ts(r.last_notification_at),
        'created_at', qpayd_ts(r.created_at), 'updated_at', qpayd_ts(r.updated_at))::text
$$;
