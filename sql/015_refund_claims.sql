-- 015_refund_claims.sql: refunds the customer claims (issue 18, docs/claims.md).
--
-- A refund created with "claim": true has no destination yet: it is
-- awaiting_destination, counts against the invoice's refundable balance like
-- pending, and is never payable (refund_claimable reads pending only). The
-- customer's claim link carries a 128-bit token; the database keeps only its
-- sha256 (claim_token_hash). refund_claim() moves it to pending with the
-- destination, once: a single UPDATE whose WHERE re-checks status and
-- expiry, so of any number of concurrent claims exactly one finds the row
-- still awaiting. An unclaimed refund expires to canceled
-- (refund_claims_expire, run by qpayd's webhook sweep) and releases its
-- amount; the shop may cancel it before (refund_transition's cancel).

ALTER TABLE refunds
    ALTER COLUMN destination DROP NOT NULL,
    ALTER COLUMN destination_type DROP NOT NULL,
    ALTER COLUMN payout_backend DROP NOT NULL,
    DROP CONSTRAINT refunds_status_check,
    ADD CONSTRAINT refunds_status_check
        CHECK (status IN ('awaiting_destination', 'pending', 'processing', 'succeeded',
                          'failed', 'canceled')),
    ADD COLUMN claim_token_hash text CHECK (claim_token_hash ~ '^[0-9a-f]{64}$'),
    ADD COLUMN claim_expires_at timestamptz,
    ADD COLUMN claimed_at       timestamptz,
    -- Only a claimable refund may lack its destination, and only until it is
    -- claimed (or canceled unclaimed).
    ADD CONSTRAINT refunds_destination_known
        CHECK ((destination IS NOT NULL AND destination_type IS NOT NULL
                AND payout_backend IS NOT NULL)
               OR (destination IS NULL AND destination_type IS NULL AND payout_backend IS NULL
                   AND claim_token_hash IS NOT NULL
                   AND status IN ('awaiting_destination', 'canceled'))),
    ADD CONSTRAINT refunds_claimable_fields
        CHECK ((claim_token_hash IS NULL) = (claim_expires_at IS NULL)),
    ADD CONSTRAINT refunds_awaiting_unapproved
        CHECK (status <> 'awaiting_destination' OR approval_status = 'not_required'),
    ADD CONSTRAINT refunds_claimed_at
        CHECK ((claimed_at IS NOT NULL) = (claim_token_hash IS NOT NULL AND destination IS NOT NULL)),
    -- The customer pays the fee only on chain, and the chain is not known yet.
    ADD CONSTRAINT refunds_claimable_no_buyer_fee
        CHECK (claim_token_hash IS NULL OR NOT buyer_pays_fee);
COMMENT ON COLUMN refunds.claim_token_hash IS 'sha256 (hex) of the claim link''s token; the token itself is never stored.';
COMMENT ON COLUMN refunds.claim_expires_at IS 'An unclaimed claimable refund is canceled at this time.';
COMMENT ON COLUMN refunds.claimed_at IS 'When the customer gave the destination.';
CREATE UNIQUE INDEX refunds_claim_token ON refunds (claim_token_hash)
    WHERE claim_token_hash IS NOT NULL;
CREATE INDEX refunds_claim_expiry ON refunds (claim_expires_at)
    WHERE status = 'awaiting_destination';

ALTER TABLE refund_events
    DROP CONSTRAINT refund_events_from_status_check,
    ADD CONSTRAINT refund_events_from_status_check
        CHECK (from_status IN ('awaiting_destination', 'pending', 'processing', 'succeeded',
                               'failed', 'canceled')),
    DROP CONSTRAINT refund_events_to_status_check,
    ADD CONSTRAINT refund_events_to_status_check
        CHECK (to_status IN ('awaiting_destination', 'pending', 'processing', 'succeeded',
                             'failed', 'canceled')),
    -- The claim is the customer's act, through the public claim page.
    DROP CONSTRAINT refund_events_actor_check,
    ADD CONSTRAINT refund_events_actor_check
        CHECK (actor IN ('api', 'admin', 'payout', 'system', 'customer')
               OR actor ~ '^executor:.{1,100}$');

-- The shop may cancel a claimable refund (refund_transition's cancel branch).
INSERT INTO refund_transitions VALUES
    ('cancel', 'qpayd_api', 'awaiting_destination', NULL, 'canceled', NULL, 'canceled', NULL);

-- A new refund may also be born awaiting its destination.
DROP TRIGGER refunds_insert_guard ON refunds;
CREATE TRIGGER refunds_insert_guard BEFORE INSERT ON refunds
    FOR EACH ROW WHEN (NEW.status NOT IN ('pending', 'awaiting_destination')
                       OR NEW.approval_status = 'approved'
                       OR NEW.approved_at IS NOT NULL OR NEW.completed_at IS NOT NULL
                       OR NEW.processing_started_at IS NOT NULL OR NEW.attempts <> 0
                       OR NEW.next_attempt_at IS NOT NULL OR NEW.tx_id IS NOT NULL
                       OR NEW.payment_proof IS NOT NULL OR NEW.fee_sats IS NOT NULL
                       OR NEW.failure_reason IS NOT NULL OR NEW.claimed_at IS NOT NULL)
    EXECUTE FUNCTION refunds_insert_guard();

-- While awaiting, the destination (and what follows from it) is written
-- once, by the claim; everything the shop set stays as it is, and the only
-- ways out are the claim (pending) and cancel or expiry (canceled).
DROP TRIGGER refunds_immutable ON refunds;
CREATE TRIGGER refunds_immutable BEFORE UPDATE ON refunds
    FOR EACH ROW WHEN (OLD.status <> 'awaiting_destination')
    EXECUTE FUNCTION refunds_immutable();

CREATE FUNCTION refunds_awaiting_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    free text[] := ARRAY['status', 'destination', 'destination_type', 'payout_backend',
                         'approval_status', 'execution', 'execution_reason', 'payment_hash',
                         'claimed_at', 'claim_token_hash', 'completed_at', 'updated_at',
                         'last_notification_at'];
BEGIN
    IF NEW.status NOT IN ('awaiting_destination', 'pending', 'canceled') THEN
        RAISE EXCEPTION 'refund %: status awaiting_destination cannot become % (only pending, by a claim, or canceled)',
            OLD.id, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_transition',
                  TABLE = 'refunds', COLUMN = 'status';
    END IF;
    IF (to_jsonb(NEW) - free) IS DISTINCT FROM (to_jsonb(OLD) - free)
       OR (NEW.status <> 'pending' AND NEW.destination IS NOT NULL) THEN
        RAISE EXCEPTION 'refund %: a claimable refund changes only by its claim', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_transition',
                  TABLE = 'refunds';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER refunds_awaiting_guard BEFORE UPDATE ON refunds
    FOR EACH ROW WHEN (OLD.status = 'awaiting_destination')
    EXECUTE FUNCTION refunds_awaiting_guard();

-- sql/005's refunds_commit_amount: awaiting_destination commits its amount
-- like pending, and canceling it gives the amount back.
CREATE OR REPLACE FUNCTION refunds_commit_amount() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    committed bigint;
    paid      bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IN ('awaiting_destination', 'pending', 'processing', 'succeeded') THEN
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
    ELSIF OLD.status IN ('awaiting_destination', 'pending', 'processing', 'succeeded')
          AND NEW.status IN ('failed', 'canceled') THEN
        UPDATE invoices SET refund_committed_sats = refund_committed_sats - NEW.amount_sats
         WHERE store_id = NEW.store_id AND id = NEW.invoice_id;
    END IF;
    RETURN NULL;
END
$$;

-- sql/012's one_refund_in_flight: a claimable refund is in flight too.
CREATE OR REPLACE FUNCTION refund_in_flight_check(p_store text, p_invoice text,
                                                  p_enabled boolean)
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
     WHERE store_id = p_store AND invoice_id = p_invoice
       AND status IN ('awaiting_destination', 'pending', 'processing')
     LIMIT 1;
    IF v_other IS NOT NULL THEN
        RAISE EXCEPTION 'invoice % already has refund % pending or processing', p_invoice, v_other
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_one_in_flight',
                  TABLE = 'refunds';
    END IF;
    RETURN true;
END
$$;

-- sql/009's refund_json with the claim's two times (never the token).
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
        'claimable', r.claim_token_hash IS NOT NULL,
        'claim_expires_at', qpayd_ts(r.claim_expires_at),
        'claimed_at', qpayd_ts(r.claimed_at),
        'created_at', qpayd_ts(r.created_at), 'updated_at', qpayd_ts(r.updated_at))::text
$$;

-- sql/010's webhook_refund_event with the claim's events: the customer's
-- destination (refund.claimed) and an unclaimed refund's expiry
-- (refund.canceled, as a cancel).
CREATE OR REPLACE FUNCTION webhook_refund_event() RETURNS trigger
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
        WHEN 'claim_expired' THEN ARRAY['refund.canceled']
        WHEN 'destination_claimed' THEN ARRAY['refund.claimed']
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
    -- Created (or claimed) above the approval threshold: it waits, as one
    -- that the executor's own threshold sends back (require_approval) does.
    IF NEW.event IN ('created', 'destination_claimed') AND r.approval_status = 'required' THEN
        PERFORM webhook_enqueue(NEW.store_id, 'refund', NEW.refund_id,
                                ARRAY['refund.approval_required'], refund_json(r)::json,
                                r.notification_url, NEW.created_at);
    END IF;
    RETURN NULL;
END
$$;

-- The claim: the first valid destination wins. The caller (qpayd, on the
-- customer's request) has parsed the destination for the store's network and
-- planned it like a refund create (api/refund_plan.c): type, backend,
-- approval, execution. One UPDATE: concurrent claims wait on the row lock
-- and then re-check the WHERE against the winner's row, which is no longer
-- awaiting. No row: not found, already claimed, canceled or expired.
CREATE FUNCTION refund_claim(p_token_hash text, p_destination text, p_type text,
                             p_backend text, p_approval text, p_execution text,
                             p_execution_reason text, p_payment_hash text, p_detail jsonb)
RETURNS SETOF refunds
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r refunds;
BEGIN
    IF p_approval NOT IN ('not_required', 'required') THEN
        RAISE EXCEPTION 'refund_claim: approval % is not for a claim', p_approval
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE refunds SET status = 'pending', destination = p_destination,
           destination_type = p_type, payout_backend = p_backend, approval_status = p_approval,
           execution = p_execution, execution_reason = p_execution_reason,
           payment_hash = p_payment_hash, claimed_at = now()
     WHERE claim_token_hash = p_token_hash AND status = 'awaiting_destination'
       AND claim_expires_at > now()
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, to_status, detail)
    VALUES (r.id, r.store_id, 'customer', 'destination_claimed', 'awaiting_destination',
            'pending', p_detail);
    RETURN NEXT r;
END
$$;
REVOKE ALL ON FUNCTION refund_claim(text, text, text, text, text, text, text, text, jsonb)
    FROM PUBLIC;

-- A new claim link for a refund still awaiting: the old token stops working.
CREATE FUNCTION refund_claim_renew(p_store text, p_id text, p_token_hash text, p_actor text)
RETURNS SETOF refunds
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r refunds;
BEGIN
    UPDATE refunds SET claim_token_hash = p_token_hash
     WHERE store_id = p_store AND id = p_id AND status = 'awaiting_destination'
       AND claim_expires_at > now()
    RETURNING * INTO r;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, to_status)
    VALUES (r.id, r.store_id, p_actor, 'claim_link_renewed', 'awaiting_destination',
            'awaiting_destination');
    RETURN NEXT r;
END
$$;
REVOKE ALL ON FUNCTION refund_claim_renew(text, text, text, text) FROM PUBLIC;

-- Cancels the claimable refunds whose claim expired, each with an event
-- (refund.canceled), releasing their amounts. Returns how many.
CREATE FUNCTION refund_claims_expire() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer;
BEGIN
    WITH x AS (
        UPDATE refunds SET status = 'canceled', completed_at = now()
         WHERE status = 'awaiting_destination' AND claim_expires_at <= now()
        RETURNING id, store_id)
    INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, to_status)
    SELECT id, store_id, 'system', 'claim_expired', 'awaiting_destination', 'canceled' FROM x;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION refund_claims_expire() FROM PUBLIC;
