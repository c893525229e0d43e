-- 003_refund_committed.sql: the database itself refuses to over-refund.
--
-- invoices.refund_committed_sats is the sum of the invoice's pending,
-- processing and succeeded refunds, kept by triggers on refunds whoever
-- writes them, and CHECKed against amount_paid_sats. A refund insert adds its
-- amount: concurrent inserts for one invoice serialise on the invoice row,
-- and PostgreSQL re-checks the row after each wait, so no interleaving can
-- pass the CHECK twice. Failing or canceling a refund gives its amount back.
--
-- refund_json() is the one JSON form of a refund, used for every answer and
-- for stored idempotent responses.

ALTER TABLE invoices ADD COLUMN refund_committed_sats bigint NOT NULL DEFAULT 0
    CONSTRAINT invoices_refund_committed_sats_range
        CHECK (refund_committed_sats BETWEEN 0 AND 2100000000000000);
UPDATE invoices i SET refund_committed_sats = coalesce(
    (SELECT sum(r.amount_sats) FROM refunds r
      WHERE r.store_id = i.store_id AND r.invoice_id = i.id
        AND r.status IN ('pending', 'processing', 'succeeded')), 0);
ALTER TABLE invoices ADD CONSTRAINT invoices_refund_within_paid
    CHECK (refund_committed_sats <= amount_paid_sats);

CREATE FUNCTION refunds_commit_amount() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('pending', 'processing', 'succeeded') THEN
            UPDATE invoices SET refund_committed_sats = refund_committed_sats + NEW.amount_sats
             WHERE store_id = NEW.store_id AND id = NEW.invoice_id;
        END IF;
    ELSIF OLD.status IN ('pending', 'processing', 'succeeded')
          AND NEW.status IN ('failed', 'canceled') THEN
        UPDATE invoices SET refund_committed_sats = refund_committed_sats - NEW.amount_sats
         WHERE store_id = NEW.store_id AND id = NEW.invoice_id;
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION refunds_commit_amount() FROM PUBLIC;
CREATE TRIGGER refunds_commit_amount_insert AFTER INSERT ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_commit_amount();
CREATE TRIGGER refunds_commit_amount_update AFTER UPDATE OF status ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_commit_amount();

CREATE FUNCTION qpayd_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

CREATE FUNCTION refund_json(r refunds) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object(
        'id', r.id, 'store_id', r.store_id, 'invoice_id', r.invoice_id,
        'amount_sats', r.amount_sats, 'destination', r.destination,
        'destination_type', r.destination_type, 'payout_backend', r.payout_backend,
        'reason', r.reason, 'status', r.status, 'approval_status', r.approval_status,
        'execution', r.execution, 'execution_reason', r.execution_reason,
        'idempotency_key', r.idempotency_key, 'tx_id', r.tx_id,
        'payment_proof', r.payment_proof, 'fee_sats', r.fee_sats,
        'failure_reason', r.failure_reason, 'created_at', qpayd_ts(r.created_at),
        'updated_at', qpayd_ts(r.updated_at))::text
$$;
