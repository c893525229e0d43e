-- 012_refund_in_flight.sql: one refund in flight per invoice, when the store
-- asks for it (qpayd.toml [[stores]] one_refund_in_flight; issue 15).
--
-- Called by the refund create statement (api/statements.c) for the invoice
-- it is about to refund, inside that statement's transaction. It locks the
-- invoice row first, so two creates for one invoice take turns; the refund
-- read comes after the wait, in a statement of its own, which (the function
-- being VOLATILE) takes a fresh snapshot and so sees a refund a concurrent
-- create committed meanwhile. A refund pending (approval required or not) or
-- processing refuses the new one with a check_violation naming the
-- constraint refunds_one_in_flight, which the API answers 409
-- refund_in_flight. With p_enabled false it does nothing: the default, and
-- automatic overpayment refunds, which nothing would retry.
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
