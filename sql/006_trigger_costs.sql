-- 006_trigger_costs.sql: the same guarantees for less work per payout.
--
-- qpayd_immutable_columns() turns both row versions into jsonb to compare
-- columns named at run time: about 24 µs per updated row, and every payout
-- updates a refund twice, its attempt once and its invoice once. The hot
-- tables now compare their columns directly (a few µs) and share one raiser,
-- so the error, SQLSTATE and constraint name stay exactly what they were.
-- refunds_commit_amount only acts when a refund releases its amount; its
-- update trigger now says so in a WHEN clause instead of entering PL/pgSQL
-- for every status change.

CREATE FUNCTION qpayd_immutable_violation(tbl text, col text, id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% cannot change after insert (id %)', tbl, col, id
        USING ERRCODE = 'check_violation', CONSTRAINT = tbl || '_immutable',
              TABLE = tbl, COLUMN = col;
END
$$;

CREATE FUNCTION refunds_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text := CASE
        WHEN NEW.id IS DISTINCT FROM OLD.id THEN 'id'
        WHEN NEW.store_id IS DISTINCT FROM OLD.store_id THEN 'store_id'
        WHEN NEW.invoice_id IS DISTINCT FROM OLD.invoice_id THEN 'invoice_id'
        WHEN NEW.amount_sats IS DISTINCT FROM OLD.amount_sats THEN 'amount_sats'
        WHEN NEW.destination IS DISTINCT FROM OLD.destination THEN 'destination'
        WHEN NEW.destination_type IS DISTINCT FROM OLD.destination_type THEN 'destination_type'
        WHEN NEW.payout_backend IS DISTINCT FROM OLD.payout_backend THEN 'payout_backend'
        WHEN NEW.reason IS DISTINCT FROM OLD.reason THEN 'reason'
        WHEN NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key THEN 'idempotency_key'
        WHEN NEW.created_at IS DISTINCT FROM OLD.created_at THEN 'created_at'
    END;
BEGIN
    IF col IS NOT NULL THEN
        PERFORM qpayd_immutable_violation(TG_TABLE_NAME, col, OLD.id);
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER refunds_immutable ON refunds;
CREATE TRIGGER refunds_immutable BEFORE UPDATE ON refunds
    FOR EACH ROW EXECUTE FUNCTION refunds_immutable();

CREATE FUNCTION refund_attempts_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text := CASE
        WHEN NEW.id IS DISTINCT FROM OLD.id THEN 'id'
        WHEN NEW.refund_id IS DISTINCT FROM OLD.refund_id THEN 'refund_id'
        WHEN NEW.attempt IS DISTINCT FROM OLD.attempt THEN 'attempt'
        WHEN NEW.started_at IS DISTINCT FROM OLD.started_at THEN 'started_at'
    END;
BEGIN
    IF col IS NOT NULL THEN
        PERFORM qpayd_immutable_violation(TG_TABLE_NAME, col, OLD.id::text);
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER refund_attempts_immutable ON refund_attempts;
CREATE TRIGGER refund_attempts_immutable BEFORE UPDATE ON refund_attempts
    FOR EACH ROW EXECUTE FUNCTION refund_attempts_immutable();

CREATE FUNCTION invoices_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text := CASE
        WHEN NEW.id IS DISTINCT FROM OLD.id THEN 'id'
        WHEN NEW.store_id IS DISTINCT FROM OLD.store_id THEN 'store_id'
        WHEN NEW.amount_sats IS DISTINCT FROM OLD.amount_sats THEN 'amount_sats'
        WHEN NEW.created_at IS DISTINCT FROM OLD.created_at THEN 'created_at'
    END;
BEGIN
    IF col IS NOT NULL THEN
        PERFORM qpayd_immutable_violation(TG_TABLE_NAME, col, OLD.id);
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER invoices_immutable ON invoices;
CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_immutable();

DROP TRIGGER refunds_commit_amount_update ON refunds;
CREATE TRIGGER refunds_commit_amount_update AFTER UPDATE OF status ON refunds
    FOR EACH ROW WHEN (OLD.status IN ('pending', 'processing', 'succeeded')
                       AND NEW.status IN ('failed', 'canceled'))
    EXECUTE FUNCTION refunds_commit_amount();
