-- 002_refunded_totals.sql: an invoice's refunded total and its 'refunded'
-- status follow its succeeded refunds, whoever settles them: the API's
-- finalize or the executor (whose role cannot update invoices). One trigger,
-- owned by the migrating role, keeps them exact.

CREATE FUNCTION refunds_credit_invoice() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE invoices
       SET amount_refunded_sats = amount_refunded_sats + NEW.amount_sats,
           status = CASE WHEN amount_refunded_sats + NEW.amount_sats >= amount_paid_sats
                         THEN 'refunded' ELSE status END
     WHERE store_id = NEW.store_id AND id = NEW.invoice_id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION refunds_credit_invoice() FROM PUBLIC;

CREATE TRIGGER refunds_credit_invoice AFTER UPDATE OF status ON refunds
    FOR EACH ROW WHEN (NEW.status = 'succeeded' AND OLD.status <> 'succeeded')
    EXECUTE FUNCTION refunds_credit_invoice();
