-- 012_refund_create.sql: what refund create adds for issue 15.
--
-- 1. One refund in flight per invoice, when the store asks for it
--    (qpayd.toml [[stores]] one_refund_in_flight).
-- 2. The shop's fields (reference, metadata, buyer_pays_fee: sql/009) never
--    change after insert, like amount and destination: the executor pays by
--    buyer_pays_fee, and the shop reconciles by reference.
--
-- refund_in_flight_check is called by the refund create statement
-- (api/statements.c) for the invoice it is about to refund, inside that
-- statement's transaction. It locks the invoice row first, so two creates for
-- one invoice take turns; the refund read comes after the wait, in a
-- statement of its own, which (the function being VOLATILE) takes a fresh
-- snapshot and so sees a refund a concurrent create committed meanwhile. A
-- refund pending (approval required or not) or processing refuses the new
-- one with a check_violation naming the constraint refunds_one_in_flight,
-- which the API answers 409 refund_in_flight. With p_enabled false it does
-- nothing: the default, and automatic overpayment refunds, which nothing
-- would retry.
--
-- SECURITY INVOKER: it runs with qpayd_api's rights (UPDATE on invoices, for
-- the row lock; SELECT on refunds).

CREATE FUNCTION refund_in_flight_check(p_store text, p_invoice text, p_enabled boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_other text;
BEGIN
    IF NOT p_enabled THEN
        RETURN true;
    END IF;
    PERFORM 1 FROM invoices WHERE store_id = p_store AND id = p_invoice FOR NO KEY UPDATE;
    SELECT id INTO v_other
      FROM refunds
     WHERE store_id = p_store AND invoice_id = p_invoice AND status IN ('pending', 'processing')
     LIMIT 1;
    IF v_other IS NOT NULL THEN
        RAISE EXCEPTION 'invoice % already has refund % pending or processing', p_invoice, v_other
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_one_in_flight',
                  TABLE = 'refunds';
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION refund_in_flight_check(text, text, boolean) IS 'one_refund_in_flight: locks the invoice and refuses a refund while another is pending or processing.';

-- sql/006's refunds_immutable, with the shop's fields.
CREATE OR REPLACE FUNCTION refunds_immutable() RETURNS trigger
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
        WHEN NEW.reference IS DISTINCT FROM OLD.reference THEN 'reference'
        WHEN NEW.metadata IS DISTINCT FROM OLD.metadata THEN 'metadata'
        WHEN NEW.buyer_pays_fee IS DISTINCT FROM OLD.buyer_pays_fee THEN 'buyer_pays_fee'
        WHEN NEW.created_at IS DISTINCT FROM OLD.created_at THEN 'created_at'
    END;
BEGIN
    IF col IS NOT NULL THEN
        PERFORM qpayd_immutable_violation(TG_TABLE_NAME, col, OLD.id);
    END IF;
    RETURN NEW;
END
$$;
