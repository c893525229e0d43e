-- 011_refund_chain.sql: what the executor learns about a refund after paying
-- it (issue 15): the fee and what the customer received, why a deferred
-- refund waits (last_error), and the wallet's view of an on-chain refund's
-- transaction until it is confirmed or leaves the wallet's view.
--
-- The executor role has no UPDATE on refunds: it writes these columns only
-- through the SECURITY DEFINER functions below (granted in sql/roles.sql),
-- each of which checks what it may change, appends its refund event in the
-- same transaction and never changes a refund's status. Events:
--   fee_warning    the fee is above the store's fee_warning_percent of the amount
--   confirmed      the transaction reached the store's confirmations_required
--   tx_conflicted  a conflicting transaction replaced it or is in the chain
--   tx_dropped     the wallet no longer has it, or abandoned it
-- A conflicted or dropped refund needs an operator: nothing here re-sends it.

-- A final refund's record stays as it was, but for what is observed after
-- the payout: the chain's view of a succeeded refund (tx_status,
-- confirmations, confirmed_at), its fee and received amount once (from
-- NULL), last_error cleared, and when the shop was last notified.
CREATE OR REPLACE FUNCTION refunds_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    free text[] := ARRAY['updated_at', 'last_notification_at'];
BEGIN
    IF OLD.status IN ('succeeded', 'failed', 'canceled') THEN
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            RAISE EXCEPTION 'refund %: status % is final and cannot become %',
                OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_transition',
                      TABLE = 'refunds', COLUMN = 'status';
        END IF;
        IF OLD.status = 'succeeded' THEN
            free := free || ARRAY['tx_status', 'confirmations', 'confirmed_at'];
            IF OLD.fee_sats IS NULL THEN
                free := free || ARRAY['fee_sats'];
            END IF;
            IF OLD.received_sats IS NULL THEN
                free := free || ARRAY['received_sats'];
            END IF;
            IF NEW.last_error IS NULL THEN
                free := free || ARRAY['last_error'];
            END IF;
        END IF;
        IF (to_jsonb(NEW) - free) IS DISTINCT FROM (to_jsonb(OLD) - free) THEN
            RAISE EXCEPTION 'refund %: status % is final and its record cannot change',
                OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_transition',
                      TABLE = 'refunds';
        END IF;
    ELSIF OLD.status = 'processing'
          AND NEW.status NOT IN ('processing', 'succeeded', 'failed', 'pending') THEN
        RAISE EXCEPTION 'refund %: status processing cannot become % (only succeeded, failed, or pending when nothing was sent)',
            OLD.id, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_transition',
                  TABLE = 'refunds', COLUMN = 'status';
    END IF;
    IF NEW.approval_status IS DISTINCT FROM OLD.approval_status
       AND NOT (OLD.approval_status = 'not_required' AND NEW.approval_status = 'required')
       AND NOT (OLD.approval_status = 'required' AND NEW.approval_status = 'approved') THEN
        RAISE EXCEPTION 'refund %: approval_status % cannot become %',
            OLD.id, OLD.approval_status, NEW.approval_status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_transition',
                  TABLE = 'refunds', COLUMN = 'approval_status';
    END IF;
    RETURN NEW;
END
$$;

-- The on-chain refunds the executor watches: sent by it, not yet confirmed.
CREATE INDEX refunds_chain_watch ON refunds (store_id, id) WHERE tx_status = 'unconfirmed';

-- Only an executor session (or the owner) may call these.
CREATE FUNCTION refund_chain_caller(p_actor text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_actor NOT LIKE 'executor:%'
       OR NOT (refunds_owner_session(session_user)
               OR pg_has_role(session_user, 'qpayd_executor', 'MEMBER')) THEN
        RAISE EXCEPTION 'refund chain fields: session user % (actor %) is not a qpayd_executor',
            session_user, p_actor USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

-- r's fee (received_sats when the customer pays it) the first time it is
-- known, and one fee_warning event when it is above p_percent of the
-- amount (integer arithmetic; 0 turns the warning off). Returns the row.
CREATE FUNCTION refund_chain_fee(r refunds, p_actor text, p_fee_sats bigint, p_percent integer)
RETURNS refunds
LANGUAGE plpgsql AS $$
BEGIN
    IF p_fee_sats IS NOT NULL AND p_fee_sats >= 0 AND r.fee_sats IS NULL THEN
        UPDATE refunds SET fee_sats = p_fee_sats
         WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
    END IF;
    IF r.received_sats IS NULL THEN
        IF NOT r.buyer_pays_fee THEN
            UPDATE refunds SET received_sats = amount_sats
             WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
        ELSIF r.fee_sats IS NOT NULL AND r.fee_sats <= r.amount_sats THEN
            UPDATE refunds SET received_sats = amount_sats - fee_sats
             WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
        END IF;
    END IF;
    IF coalesce(p_percent, 0) > 0 AND r.fee_sats IS NOT NULL
       AND r.fee_sats::numeric * 100 > r.amount_sats::numeric * p_percent
       AND NOT EXISTS (SELECT 1 FROM refund_events e
                        WHERE e.store_id = r.store_id AND e.refund_id = r.id
                          AND e.event = 'fee_warning') THEN
        INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, to_status,
                                   detail)
        VALUES (r.id, r.store_id, p_actor, 'fee_warning', r.status, r.status,
                jsonb_build_object('reason', format('fee %s sat is above %s%% of %s sat',
                                                    r.fee_sats, p_percent, r.amount_sats),
                                   'fee_sats', r.fee_sats, 'amount_sats', r.amount_sats,
                                   'fee_warning_percent', p_percent));
    END IF;
    RETURN r;
END
$$;

-- A payout succeeded: refund_transition's succeed (which checks the role,
-- the state and ends the attempt), then last_error cleared, the fee and
-- received amount, and an on-chain refund sent with a txid starts being
-- watched (tx_status unconfirmed, 0 confirmations).
CREATE FUNCTION refund_chain_succeed(p_store text, p_id text, p_actor text, p_detail jsonb,
                                     p_tx_id text, p_payment_proof text, p_fee_sats bigint,
                                     p_attempt integer, p_fee_warning_percent integer)
RETURNS SETOF refunds
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r refunds;
BEGIN
    PERFORM refund_chain_caller(p_actor);
    SELECT * INTO r FROM refund_transition(p_store, p_id, 'succeed', p_actor, p_detail,
                                           p_tx_id => p_tx_id, p_payment_proof => p_payment_proof,
                                           p_fee_sats => p_fee_sats, p_attempt => p_attempt);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE refunds
       SET last_error = NULL,
           tx_status = CASE WHEN payout_backend = 'bitcoin' AND tx_id IS NOT NULL
                            THEN 'unconfirmed' END,
           confirmations = CASE WHEN payout_backend = 'bitcoin' AND tx_id IS NOT NULL THEN 0 END
     WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
    r := refund_chain_fee(r, p_actor, NULL, p_fee_warning_percent);
    RETURN NEXT r;
END
$$;

-- Why r waits, shown to the shop: its last_error becomes p_error (or
-- p_fallback when empty), at most 1000 characters. Returns the row.
CREATE FUNCTION refund_chain_waiting(r refunds, p_error text, p_fallback text) RETURNS refunds
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE refunds SET last_error = left(coalesce(nullif(p_error, ''), p_fallback), 1000)
     WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
    RETURN r;
END
$$;

-- Nothing was sent: refund_transition's defer, with the backend's reason in
-- last_error beside next_attempt_at.
CREATE FUNCTION refund_chain_defer(p_store text, p_id text, p_actor text, p_detail jsonb,
                                   p_retry_secs integer, p_attempt integer, p_error text)
RETURNS SETOF refunds
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r refunds;
BEGIN
    PERFORM refund_chain_caller(p_actor);
    SELECT * INTO r FROM refund_transition(p_store, p_id, 'defer', p_actor, p_detail,
                                           p_retry_secs => p_retry_secs, p_attempt => p_attempt);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN NEXT refund_chain_waiting(r, p_error, 'deferred');
END
$$;

-- A note of the pass (sql/007's 'note': the daily limit reached, manual
-- only, a payment or an approval it could not verify) on a refund it leaves
-- waiting: on a pending refund the same reason goes into last_error, so the
-- shop sees why it waits without reading the events. A note on a refund in
-- any other state changes nothing but the events.
CREATE FUNCTION refund_chain_note(p_store text, p_id text, p_actor text, p_event text,
                                  p_detail jsonb, p_reason text)
RETURNS SETOF refunds
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r refunds;
BEGIN
    PERFORM refund_chain_caller(p_actor);
    SELECT * INTO r FROM refund_transition(p_store, p_id, 'note', p_actor, p_detail,
                                           p_event => p_event);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF r.status = 'pending' THEN
        r := refund_chain_waiting(r, p_reason, p_event);
    END IF;
    RETURN NEXT r;
END
$$;

-- What the wallet says of a watched refund's transaction. p_state:
--   'seen'        in the wallet, p_confirmations >= 0 deep: confirmations only
--                 grow; at p_required (at least 1) tx_status becomes confirmed
--                 with confirmed_at and one `confirmed` event
--   'conflicted'  replaced or double-spent: tx_status conflicted, one event
--   'dropped'     no longer in the wallet, or abandoned: tx_status dropped, one event
-- p_fee_sats (or NULL) fills in a fee not known at the send. A refund whose
-- transaction left the wallet's view is left as it is: an operator's.
CREATE FUNCTION refund_chain_observe(p_store text, p_id text, p_actor text, p_state text,
                                     p_confirmations integer, p_fee_sats bigint,
                                     p_required integer, p_fee_warning_percent integer,
                                     p_reason text)
RETURNS SETOF refunds
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r refunds;
    n integer;
BEGIN
    PERFORM refund_chain_caller(p_actor);
    SELECT * INTO r FROM refunds WHERE store_id = p_store AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF r.status <> 'succeeded' OR r.payout_backend <> 'bitcoin' OR r.tx_id IS NULL
       OR r.tx_status IS NULL THEN
        RAISE EXCEPTION 'refund %: only a succeeded on-chain refund the executor sent is watched',
            r.id USING ERRCODE = 'check_violation';
    END IF;
    IF r.tx_status IN ('conflicted', 'dropped') THEN
        RETURN NEXT r;
        RETURN;
    END IF;
    r := refund_chain_fee(r, p_actor, p_fee_sats, p_fee_warning_percent);
    IF p_state = 'seen' THEN
        IF p_confirmations IS NULL OR p_confirmations < 0 THEN
            RAISE EXCEPTION 'refund %: seen with % confirmations', r.id, p_confirmations
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        n := greatest(coalesce(r.confirmations, 0), p_confirmations);
        IF r.tx_status <> 'confirmed' AND n >= greatest(coalesce(p_required, 1), 1) THEN
            UPDATE refunds SET confirmations = n, tx_status = 'confirmed', confirmed_at = now()
             WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
            INSERT INTO refund_events (refund_id, store_id, actor, event, from_status,
                                       to_status, detail)
            VALUES (r.id, r.store_id, p_actor, 'confirmed', r.status, r.status,
                    jsonb_build_object('tx_id', r.tx_id, 'confirmations', n,
                                       'confirmations_required',
                                       greatest(coalesce(p_required, 1), 1)));
        ELSIF n IS DISTINCT FROM r.confirmations THEN
            UPDATE refunds SET confirmations = n
             WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
        END IF;
    ELSIF p_state IN ('conflicted', 'dropped') THEN
        UPDATE refunds SET tx_status = p_state, confirmed_at = NULL
         WHERE store_id = r.store_id AND id = r.id RETURNING * INTO r;
        INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, to_status,
                                   detail)
        VALUES (r.id, r.store_id, p_actor, 'tx_' || p_state, r.status, r.status,
                jsonb_build_object('tx_id', r.tx_id,
                                   'reason', coalesce(nullif(p_reason, ''), p_state)));
    ELSE
        RAISE EXCEPTION 'refund_chain_observe: unknown state %', p_state
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEXT r;
END
$$;

REVOKE ALL ON FUNCTION refund_chain_caller(text),
    refund_chain_fee(refunds, text, bigint, integer),
    refund_chain_waiting(refunds, text, text),
    refund_chain_note(text, text, text, text, jsonb, text),
    refund_chain_succeed(text, text, text, jsonb, text, text, bigint, integer, integer),
    refund_chain_defer(text, text, text, jsonb, integer, integer, text),
    refund_chain_observe(text, text, text, text, integer, bigint, integer, integer, text)
    FROM PUBLIC;
