-- 010_webhooks.sql: outgoing webhooks (issue 15, docs/webhooks.md).
--
-- Every state change of a refund or an invoice writes its webhook rows into
-- webhook_outbox in the transaction of the change, from triggers: nothing is
-- lost, and nothing is sent for a change that rolled back. A row holds the
-- event type, the object as the API shows it at that moment, and its target:
-- url NULL is the store's [stores.webhooks] url, read from qpayd's config when
-- the row is delivered (and its events filter with it); a url is the object's
-- own notification_url. `qpayd serve` delivers the rows (api/hook_sender.c)
-- and records each attempt in webhook_attempts.

ALTER TABLE refunds ADD COLUMN notification_url text
    CHECK (length(notification_url) BETWEEN 1 AND 2048);
ALTER TABLE invoices ADD COLUMN notification_url text
    CHECK (length(notification_url) BETWEEN 1 AND 2048);
COMMENT ON COLUMN refunds.notification_url IS 'Also notified of this refund''s events (signed with the store''s webhook secret).';

ALTER TABLE webhook_outbox
    ALTER COLUMN url DROP NOT NULL,
    -- json, not jsonb: the object keeps the key order the API shows.
    ALTER COLUMN payload TYPE json USING payload::json,
    ADD COLUMN object_type     text        CHECK (object_type IN ('invoice', 'refund')),
    ADD COLUMN object_id       text        CHECK (length(object_id) BETWEEN 1 AND 64),
    -- A reference name (refund.initiated...): sent only to a store that names it.
    ADD COLUMN alias           boolean     NOT NULL DEFAULT false,
    ADD COLUMN last_status     integer     CHECK (last_status BETWEEN 100 AND 599),
    ADD COLUMN last_response   text        CHECK (length(last_response) <= 500),
    ADD COLUMN last_attempt_at timestamptz,
    DROP CONSTRAINT webhook_outbox_status_check,
    -- skipped: the store subscribes to no such event, or has no url.
    ADD CONSTRAINT webhook_outbox_status_check
        CHECK (status IN ('pending', 'delivered', 'failed', 'skipped'));
-- Order per object: the sender takes an object's oldest pending row only.
CREATE INDEX webhook_outbox_object ON webhook_outbox (store_id, object_id, id)
    WHERE status = 'pending';
CREATE INDEX webhook_outbox_store ON webhook_outbox (store_id, id);
-- The sender's claim: a store's pending rows in order, not its whole history.
CREATE INDEX webhook_outbox_store_pending ON webhook_outbox (store_id, id)
    WHERE status = 'pending';
-- Retention, by age (api/statements.c hook_prune): skipped rows after a day,
-- delivered and failed ones after 30.
CREATE INDEX webhook_outbox_skipped ON webhook_outbox (created_at) WHERE status = 'skipped';
CREATE INDEX webhook_outbox_done ON webhook_outbox (created_at)
    WHERE status IN ('delivered', 'failed');

CREATE TABLE webhook_attempts (
    id          bigserial   PRIMARY KEY,
    outbox_id   bigint      NOT NULL REFERENCES webhook_outbox (id),
    attempt     integer     NOT NULL CHECK (attempt >= 1),
    result      text        NOT NULL CHECK (result IN ('delivered', 'retry', 'failed', 'refused')),
    http_status integer     CHECK (http_status BETWEEN 100 AND 599),
    response    text        CHECK (length(response) <= 500),
    error       text        CHECK (length(error) <= 500),
    address     text        CHECK (length(address) <= 64),
    duration_ms integer     CHECK (duration_ms >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE webhook_attempts IS 'Each webhook delivery attempt: the answer''s status and start, or why it failed.';
CREATE INDEX webhook_attempts_outbox ON webhook_attempts (outbox_id, id);

-- One row per type for the store's url (types[1] the event's own type, the
-- rest reference aliases), and one for the object's notification_url.
CREATE FUNCTION webhook_enqueue(p_store text, p_object_type text, p_object_id text,
                                p_types text[], p_payload json, p_url text,
                                p_at timestamptz)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO webhook_outbox (store_id, event_type, payload, url, object_type, object_id,
                                alias, created_at)
    SELECT p_store, t.type, p_payload, NULL, p_object_type, p_object_id, t.n > 1, p_at
      FROM unnest(p_types) WITH ORDINALITY AS t(type, n)
     ORDER BY t.n;
    IF p_url IS NOT NULL THEN
        INSERT INTO webhook_outbox (store_id, event_type, payload, url, object_type, object_id,
                                    created_at)
        VALUES (p_store, p_types[1], p_payload, p_url, p_object_type, p_object_id, p_at);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION webhook_enqueue(text, text, text, text[], json, text, timestamptz)
    FROM PUBLIC;

-- Refund events (sql/007 and the chain's) to webhook types. Events not named
-- here (deferred, outcome_unknown, notes) send nothing.
CREATE FUNCTION webhook_refund_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r     refunds;
    types text[] := CASE NEW.event
        WHEN 'created' THEN ARRAY['refund.created']
        WHEN 'approval_required' THEN ARRAY['refund.approval_required']
        WHEN 'approved' THEN ARRAY['refund.approved']
        WHEN 'claimed' THEN ARRAY['refund.processing', 'refund.initiated']
        WHEN 'processing' THEN ARRAY['refund.processing', 'refund.initiated']
        WHEN 'succeeded' THEN ARRAY['refund.succeeded']
        WHEN 'failed' THEN ARRAY['refund.failed']
        WHEN 'canceled' THEN ARRAY['refund.canceled']
        WHEN 'confirmed' THEN ARRAY['refund.confirmed']
        WHEN 'fee_warning' THEN ARRAY['refund.fee_warning']
        WHEN 'tx_conflicted' THEN ARRAY['refund.needs_attention']
        WHEN 'tx_dropped' THEN ARRAY['refund.needs_attention']
    END;
BEGIN
    IF types IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO r FROM refunds WHERE store_id = NEW.store_id AND id = NEW.refund_id;
    IF NEW.event = 'succeeded' AND r.payout_backend = 'bitcoin' AND r.tx_id IS NOT NULL THEN
        types := types || 'refund.broadcast'::text;
    END IF;
    PERFORM webhook_enqueue(NEW.store_id, 'refund', NEW.refund_id, types, refund_json(r)::json,
                            r.notification_url, NEW.created_at);
    -- Created above the approval threshold: it waits, as one that the
    -- executor's own threshold sends back (require_approval) does.
    IF NEW.event = 'created' AND r.approval_status = 'required' THEN
        PERFORM webhook_enqueue(NEW.store_id, 'refund', NEW.refund_id,
                                ARRAY['refund.approval_required'], refund_json(r)::json,
                                r.notification_url, NEW.created_at);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION webhook_refund_event() FROM PUBLIC;
CREATE TRIGGER refund_events_webhook AFTER INSERT ON refund_events
    FOR EACH ROW EXECUTE FUNCTION webhook_refund_event();

-- Invoices: created, and every stored status change, whoever makes it
-- (invoice_refresh, or refunds_credit_invoice for 'refunded').
CREATE FUNCTION webhook_invoice_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    types text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        types := ARRAY['invoice.created'];
    ELSE
        types := CASE NEW.status
            WHEN 'processing' THEN ARRAY['invoice.processing']
            WHEN 'paid' THEN ARRAY['invoice.paid']
            WHEN 'underpaid' THEN ARRAY['invoice.underpaid']
            WHEN 'overpaid' THEN ARRAY['invoice.overpaid']
            WHEN 'expired' THEN ARRAY['invoice.expired']
            WHEN 'refunded' THEN ARRAY['invoice.refunded', 'payment.refunded']
        END;
    END IF;
    IF types IS NOT NULL THEN
        PERFORM webhook_enqueue(NEW.store_id, 'invoice', NEW.id, types, invoice_json(NEW)::json,
                                NEW.notification_url, now());
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION webhook_invoice_change() FROM PUBLIC;
CREATE TRIGGER invoices_webhook_insert AFTER INSERT ON invoices
    FOR EACH ROW EXECUTE FUNCTION webhook_invoice_change();
CREATE TRIGGER invoices_webhook_status AFTER UPDATE OF status ON invoices
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
    EXECUTE FUNCTION webhook_invoice_change();

-- An unpaid invoice's expiry is computed (invoice_json), never stored: the
-- sweep below records it as an "expired" invoice event, which this sends.
CREATE FUNCTION webhook_invoice_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    i invoices;
BEGIN
    SELECT * INTO i FROM invoices WHERE store_id = NEW.store_id AND id = NEW.invoice_id;
    PERFORM webhook_enqueue(NEW.store_id, 'invoice', NEW.invoice_id, ARRAY['invoice.expired'],
                            invoice_json(i)::json, i.notification_url, NEW.created_at);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION webhook_invoice_event() FROM PUBLIC;
CREATE TRIGGER invoice_events_webhook AFTER INSERT ON invoice_events
    FOR EACH ROW WHEN (NEW.event = 'expired') EXECUTE FUNCTION webhook_invoice_event();

-- How far the sweep below has recorded expiries: each run looks only at
-- invoices that expired since (an index range, however many old invoices).
CREATE TABLE webhook_expiry_sweep (
    one           boolean     PRIMARY KEY DEFAULT true CHECK (one),
    expired_until timestamptz NOT NULL
);
COMMENT ON TABLE webhook_expiry_sweep IS 'Up to when webhook_expire_invoices() recorded the expiry of unpaid invoices.';
CREATE INDEX invoices_unpaid_expiry ON invoices (expires_at) WHERE status = 'unpaid';

-- Records the expiry of unpaid invoices that expired since the last run (the
-- first run: the last 7 days), each once; one qpayd at a time. Returns how
-- many. The minute of overlap covers a create committed late.
CREATE FUNCTION webhook_expire_invoices() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n     integer;
    since timestamptz;
    upto  timestamptz := now();
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('qpayd.webhook_expire_invoices')) THEN
        RETURN 0;
    END IF;
    SELECT expired_until - interval '1 minute' INTO since FROM webhook_expiry_sweep;
    INSERT INTO invoice_events (invoice_id, store_id, actor, event, from_status, to_status)
    SELECT i.id, i.store_id, 'system', 'expired', 'unpaid', 'expired'
      FROM invoices i
     WHERE i.status = 'unpaid' AND i.expires_at <= upto
       AND i.expires_at > coalesce(since, upto - interval '7 days')
       AND NOT EXISTS (SELECT 1 FROM invoice_events e
                        WHERE e.store_id = i.store_id AND e.invoice_id = i.id
                          AND e.event = 'expired')
     ORDER BY i.expires_at;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO webhook_expiry_sweep (expired_until) VALUES (upto)
        ON CONFLICT (one) DO UPDATE SET expired_until = EXCLUDED.expired_until;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION webhook_expire_invoices() FROM PUBLIC;

-- A delivered refund event: the refund shows when the shop was last told.
-- qpayd_api has no UPDATE on refunds; this writes that one column.
CREATE FUNCTION webhook_refund_notified(p_store text, p_id text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE refunds SET last_notification_at = now() WHERE store_id = p_store AND id = p_id
$$;
REVOKE ALL ON FUNCTION webhook_refund_notified(text, text) FROM PUBLIC;

-- A final refund's record cannot change (sql/001); webhook_refund_notified
-- above sets its last_notification_at all the same: refunds_guard lets that
-- column move on a final refund since 011_refund_chain.sql, which redefines
-- the guard once for both (the chain's columns too).

-- A delivery as GET .../webhook-deliveries shows it, with its attempts.
CREATE FUNCTION webhook_delivery_json(o webhook_outbox) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'id', o.id, 'event_id', 'evt_' || o.id, 'type', o.event_type,
        'object_type', o.object_type, 'object_id', o.object_id,
        'target', CASE WHEN o.url IS NULL THEN 'store' ELSE 'notification_url' END,
        'url', o.url, 'status', o.status, 'attempts', o.attempts,
        'next_attempt_at', CASE WHEN o.status = 'pending' THEN qpayd_ts(o.next_attempt_at) END,
        'last_attempt_at', qpayd_ts(o.last_attempt_at), 'last_status', o.last_status,
        'last_response', o.last_response, 'last_error', o.last_error,
        'created_at', qpayd_ts(o.created_at), 'delivered_at', qpayd_ts(o.delivered_at),
        'attempt_log', coalesce((
            SELECT json_agg(json_build_object(
                       'attempt', a.attempt, 'result', a.result, 'http_status', a.http_status,
                       'response', a.response, 'error', a.error, 'address', a.address,
                       'duration_ms', a.duration_ms, 'at', qpayd_ts(a.created_at))
                   ORDER BY a.id)
              FROM webhook_attempts a WHERE a.outbox_id = o.id), '[]'::json))::text
$$;
