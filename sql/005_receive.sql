-- 005_receive.sql: payments qpayd detects itself (Lightning via phoenixd,
-- on-chain via a watch-only wallet), recorded one row per payment in
-- invoice_payments, with the invoice's paid amount and status derived from
-- those rows by one function, and an append-only trail of invoice events.
--
-- A payment's state follows what the backend last said: 'seen' (unconfirmed
-- or under-confirmed), 'credited' (counts toward amount_paid_sats), 'removed'
-- (reorged out, conflicted, replaced). Recording the same observation twice
-- changes nothing, so webhook, poller and watcher may all report a payment,
-- any number of times, from any number of qpayd processes.

-- invoice_events -------------------------------------------------------------

CREATE TABLE invoice_events (
    id          bigserial   PRIMARY KEY,
    invoice_id  text        NOT NULL,
    store_id    text        NOT NULL,
    actor       text        NOT NULL
                CHECK (actor IN ('api', 'admin', 'system', 'lightning', 'onchain')),
    event       text        NOT NULL CHECK (event ~ '^[a-z][a-z_]{0,63}$'),
    from_status text,
    to_status   text,
    payment_id  bigint      REFERENCES invoice_payments (id),
    detail      jsonb       CHECK (detail IS NULL OR jsonb_typeof(detail) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoice_events_invoice_fkey FOREIGN KEY (store_id, invoice_id)
        REFERENCES invoices (store_id, id)
);
COMMENT ON TABLE invoice_events IS 'Append-only audit trail of an invoice: payments seen, credited, removed; status changes.';
CREATE INDEX invoice_events_invoice ON invoice_events (store_id, invoice_id, id);

CREATE FUNCTION invoice_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoice_events is append-only: % refused', TG_OP
        USING ERRCODE = 'check_violation', CONSTRAINT = 'invoice_events_append_only',
              TABLE = 'invoice_events';
END
$$;
CREATE TRIGGER invoice_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON invoice_events
    FOR EACH STATEMENT EXECUTE FUNCTION invoice_events_append_only();

-- What the backend said about a payment (address, fees, block), shown in the API.
ALTER TABLE invoice_payments ADD COLUMN detail jsonb
    CHECK (detail IS NULL OR jsonb_typeof(detail) = 'object');

-- On-chain payments waiting for confirmations, which the watcher re-checks.
CREATE INDEX invoice_payments_onchain_seen ON invoice_payments (store_id, id)
    WHERE method = 'onchain' AND state = 'seen';

-- Lightning invoices the poller still asks phoenixd about.
CREATE INDEX invoices_lightning_open ON invoices (store_id, expires_at)
    WHERE payment_hash IS NOT NULL;

-- The over-refund guard moves from a CHECK on the invoice to the refund
-- insert: a reorg must be able to lower amount_paid_sats below refunds
-- already paid (that money has left; the event says so), while a new refund
-- still can never pass the paid amount. The insert updates the invoice row,
-- so concurrent inserts for one invoice still serialise on it, and the sum is
-- read from the row version that won.
ALTER TABLE invoices DROP CONSTRAINT invoices_refund_within_paid;

CREATE OR REPLACE FUNCTION refunds_commit_amount() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    committed bigint;
    paid      bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('pending', 'processing', 'succeeded') THEN
            UPDATE invoices SET refund_committed_sats = refund_committed_sats + NEW.amount_sats
             WHERE store_id = NEW.store_id AND id = NEW.invoice_id
            RETURNING refund_committed_sats, amount_paid_sats INTO committed, paid;
            IF committed > paid THEN
                RAISE EXCEPTION 'refund % of % sat: invoice % has % sat paid and would have % sat committed to refunds',
                    NEW.id, NEW.amount_sats, NEW.invoice_id, paid, committed
                    USING ERRCODE = 'check_violation',
                          CONSTRAINT = 'invoices_refund_within_paid', TABLE = 'invoices';
            END IF;
        END IF;
    ELSIF OLD.status IN ('pending', 'processing', 'succeeded')
          AND NEW.status IN ('failed', 'canceled') THEN
        UPDATE invoices SET refund_committed_sats = refund_committed_sats - NEW.amount_sats
         WHERE store_id = NEW.store_id AND id = NEW.invoice_id;
    END IF;
    RETURN NULL;
END
$$;

-- Derives amount_paid_sats, paid_at and status from the invoice's payments.
-- The caller holds the invoice row lock. Returns the new status.
CREATE FUNCTION invoice_refresh(p_store text, p_invoice text, p_actor text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    inv        invoices;
    paid       bigint;
    seen       integer;
    first_paid timestamptz;
    st         text;
BEGIN
    SELECT * INTO inv FROM invoices WHERE store_id = p_store AND id = p_invoice;
    SELECT coalesce(sum(amount_sats) FILTER (WHERE state = 'credited'), 0),
           count(*) FILTER (WHERE state = 'seen'),
           min(credited_at) FILTER (WHERE state = 'credited')
      INTO paid, seen, first_paid
      FROM invoice_payments WHERE store_id = p_store AND invoice_id = p_invoice;
    st := CASE
        WHEN paid > 0 AND inv.amount_refunded_sats >= paid THEN 'refunded'
        WHEN paid < inv.amount_sats AND seen > 0 THEN 'processing'
        WHEN paid = 0 THEN 'unpaid'
        WHEN paid < inv.amount_sats THEN 'underpaid'
        WHEN paid = inv.amount_sats THEN 'paid'
        ELSE 'overpaid' END;
    IF paid IS DISTINCT FROM inv.amount_paid_sats OR st IS DISTINCT FROM inv.status
       OR first_paid IS DISTINCT FROM inv.paid_at THEN
        UPDATE invoices SET amount_paid_sats = paid, status = st, paid_at = first_paid
         WHERE store_id = p_store AND id = p_invoice;
    END IF;
    IF st IS DISTINCT FROM inv.status THEN
        INSERT INTO invoice_events (invoice_id, store_id, actor, event, from_status, to_status,
                                    detail)
        VALUES (p_invoice, p_store, p_actor, 'status_changed', inv.status, st,
                jsonb_build_object('amount_paid_sats', paid, 'amount_sats', inv.amount_sats));
    END IF;
    IF paid < inv.refund_committed_sats AND inv.amount_paid_sats >= inv.refund_committed_sats THEN
        INSERT INTO invoice_events (invoice_id, store_id, actor, event, detail)
        VALUES (p_invoice, p_store, p_actor, 'refunds_exceed_paid',
                jsonb_build_object('amount_paid_sats', paid,
                                   'refund_committed_sats', inv.refund_committed_sats));
    END IF;
    RETURN st;
END
$$;

-- Records one observation of one payment and refreshes its invoice, in the
-- caller's transaction. p_state: 'seen', 'credited' or 'removed'. A payment
-- first seen as removed is not recorded. A reference already recorded for
-- another invoice is refused. Returns no row when the invoice does not exist.
CREATE FUNCTION invoice_payment_record(p_store text, p_invoice text, p_method text,
                                       p_reference text, p_amount bigint,
                                       p_confirmations integer, p_state text, p_actor text,
                                       p_detail jsonb)
RETURNS TABLE (changed boolean, status text, amount_sats bigint, amount_paid_sats bigint,
               refund_destination text)
LANGUAGE plpgsql AS $$
DECLARE
    inv   invoices;
    pay   invoice_payments;
    conf  integer := greatest(coalesce(p_confirmations, 0), 0);
    ev    text;
    did   boolean := false;
    st    text;
BEGIN
    IF p_state NOT IN ('seen', 'credited', 'removed') THEN
        RAISE EXCEPTION 'payment state % is not seen, credited or removed', p_state
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The invoice first: payments and refunds of one invoice serialise here.
    SELECT * INTO inv FROM invoices i WHERE i.store_id = p_store AND i.id = p_invoice FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO pay FROM invoice_payments p
     WHERE p.method = p_method AND p.reference = p_reference FOR UPDATE;
    IF FOUND AND (pay.store_id <> p_store OR pay.invoice_id <> p_invoice) THEN
        RAISE EXCEPTION 'payment % % belongs to invoice %, not %', p_method, p_reference,
            pay.invoice_id, p_invoice
            USING ERRCODE = 'check_violation', CONSTRAINT = 'invoice_payments_owner';
    END IF;
    IF NOT FOUND THEN
        IF p_state <> 'removed' THEN
            INSERT INTO invoice_payments (invoice_id, store_id, method, reference, amount_sats,
                                          confirmations, state, late, credited_at, detail)
            VALUES (p_invoice, p_store, p_method, p_reference, p_amount, conf, p_state,
                    inv.expires_at IS NOT NULL AND inv.expires_at < now(),
                    CASE WHEN p_state = 'credited' THEN now() END, p_detail)
            RETURNING * INTO pay;
            ev := CASE p_state WHEN 'credited' THEN 'payment_credited' ELSE 'payment_seen' END;
            did := true;
        END IF;
    ELSIF pay.state <> p_state OR pay.confirmations <> conf THEN
        UPDATE invoice_payments p
           SET state = p_state, confirmations = conf,
               credited_at = CASE WHEN p_state = 'credited'
                                  THEN coalesce(pay.credited_at, now()) END,
               detail = coalesce(p_detail, pay.detail)
         WHERE p.id = pay.id;
        IF pay.state <> p_state THEN
            ev := CASE
                WHEN p_state = 'credited' THEN 'payment_credited'
                WHEN p_state = 'removed' THEN 'payment_removed'
                ELSE 'payment_unconfirmed' END;
            did := true;
        END IF;
    END IF;
    IF ev IS NOT NULL THEN
        INSERT INTO invoice_events (invoice_id, store_id, actor, event, payment_id, detail)
        VALUES (p_invoice, p_store, p_actor, ev, pay.id,
                jsonb_build_object('method', p_method, 'reference', p_reference,
                                   'amount_sats', p_amount, 'confirmations', p_confirmations,
                                   'late', pay.late)
                || coalesce(p_detail, '{}'::jsonb));
    END IF;
    st := invoice_refresh(p_store, p_invoice, p_actor);
    SELECT i.* INTO inv FROM invoices i WHERE i.store_id = p_store AND i.id = p_invoice;
    RETURN QUERY SELECT did, st, inv.amount_sats, inv.amount_paid_sats, inv.refund_destination;
END
$$;

-- The JSON form of an invoice, with its payments: one rendering for every answer.
CREATE FUNCTION invoice_json(i invoices) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT json_build_object(
        'id', i.id, 'store_id', i.store_id, 'amount_sats', i.amount_sats,
        'amount_paid_sats', i.amount_paid_sats, 'amount_refunded_sats', i.amount_refunded_sats,
        'status', CASE WHEN i.status = 'unpaid' AND i.expires_at < now() THEN 'expired'
                       ELSE i.status END,
        'description', i.description, 'metadata', i.metadata,
        'refund_destination', i.refund_destination,
        'bolt11', i.bolt11, 'payment_hash', i.payment_hash,
        'onchain_address', i.onchain_address, 'bip21', i.bip21,
        'late', EXISTS (SELECT 1 FROM invoice_payments p
                         WHERE p.store_id = i.store_id AND p.invoice_id = i.id
                           AND p.late AND p.state = 'credited'),
        'payments', coalesce((
            SELECT json_agg(json_build_object(
                       'method', p.method, 'reference', p.reference,
                       'amount_sats', p.amount_sats, 'confirmations', p.confirmations,
                       'state', p.state, 'late', p.late,
                       'first_seen_at', qpayd_ts(p.first_seen_at),
                       'credited_at', qpayd_ts(p.credited_at)) ORDER BY p.id)
              FROM invoice_payments p
             WHERE p.store_id = i.store_id AND p.invoice_id = i.id), '[]'::json),
        'expires_at', qpayd_ts(i.expires_at), 'paid_at', qpayd_ts(i.paid_at),
        'created_at', qpayd_ts(i.created_at), 'updated_at', qpayd_ts(i.updated_at))::text
$$;
