-- 007_refund_transition.sql: one refund state machine, enforced per role.
--
-- Every change of a refund's state, by either program, is a call of
-- refund_transition(): it locks the row, finds the transition in
-- refund_transitions for the row's status and approval and the caller's
-- role, updates the row, ends the attempt and appends the event, in one
-- statement. The caller's rights come from its session's database role
-- (session_user and its memberships), never from a parameter: a public host
-- holding qpayd_api cannot claim, record an outcome, defer or touch a
-- processing refund other than by finalize, however it names itself. Neither
-- role keeps a direct UPDATE on refunds (sql/roles.sql).
--
-- A session whose user owns the refunds table (or is a superuser) may take
-- either role: it could write the table directly anyway.

CREATE TABLE refund_transitions (
    action          text   NOT NULL CHECK (action ~ '^[a-z][a-z_]{0,31}$'),
    role            text   NOT NULL CHECK (role IN ('qpayd_api', 'qpayd_executor')),
    from_status     text   NOT NULL,
    from_approval   text[], -- NULL: any approval_status
    to_status       text   NOT NULL,
    to_approval     text,   -- NULL: approval_status unchanged
    event           text,   -- NULL: the caller names it (note)
    attempt_outcome text,   -- the outcome written to the attempt the caller names
    PRIMARY KEY (action, role, from_status)
);
COMMENT ON TABLE refund_transitions IS 'The refund state machine: which role may take which action from which state (docs/database.md).';

INSERT INTO refund_transitions VALUES
    ('approve',          'qpayd_api',      'pending',    '{required}',              'pending',    'approved', 'approved',          NULL),
    ('require_approval', 'qpayd_api',      'pending',    '{not_required}',          'pending',    'required', 'approval_required', NULL),
    ('require_approval', 'qpayd_executor', 'pending',    '{not_required}',          'pending',    'required', 'approval_required', NULL),
    ('cancel',           'qpayd_api',      'pending',    NULL,                      'canceled',   NULL,       'canceled',          NULL),
    ('fail',             'qpayd_api',      'pending',    NULL,                      'failed',     NULL,       'failed',            NULL),
    ('fail',             'qpayd_executor', 'pending',    NULL,                      'failed',     NULL,       'failed',            NULL),
    ('fail',             'qpayd_executor', 'processing', NULL,                      'failed',     NULL,       'failed',            'failed'),
    ('finalize',         'qpayd_api',      'pending',    '{not_required,approved}', 'succeeded',  NULL,       'succeeded',         NULL),
    ('finalize',         'qpayd_api',      'processing', NULL,                      'succeeded',  NULL,       'succeeded',         NULL),
    ('claim',            'qpayd_executor', 'pending',    '{not_required,approved}', 'processing', NULL,       'claimed',           NULL),
    ('succeed',          'qpayd_executor', 'processing', NULL,                      'succeeded',  NULL,       'succeeded',         'succeeded'),
    ('defer',            'qpayd_executor', 'processing', NULL,                      'pending',    NULL,       'deferred',          'deferred'),
    ('unknown',          'qpayd_executor', 'processing', NULL,                      'processing', NULL,       'outcome_unknown',   'unknown'),
    ('note',             'qpayd_executor', 'pending',    NULL,                      'pending',    NULL,       NULL,                NULL),
    ('note',             'qpayd_executor', 'processing', NULL,                      'processing', NULL,       NULL,                NULL);

-- Would a direct write by the current user bypass nothing? True for the
-- owner of refunds and for superusers, who could write the table anyway.
CREATE FUNCTION refunds_owner_session(who name) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT pg_has_role(who, (SELECT relowner FROM pg_class WHERE oid = 'refunds'::regclass),
                       'MEMBER')
$$;

-- p_detail is the event's (and the attempt's) detail. Per action:
-- finalize/succeed p_tx_id, p_payment_proof, p_fee_sats; fail p_reason;
-- claim p_payment_hash (bolt11), p_backend, p_executor; succeed, fail (of
-- processing), defer and unknown p_attempt (the attempt they end); defer
-- p_retry_secs; unknown p_payment_hash (when only the backend told it); note
-- p_event. Returns the updated refund, or no row when it does not exist.
CREATE FUNCTION refund_transition(p_store text, p_id text, p_action text, p_actor text,
                                  p_detail jsonb DEFAULT NULL, p_tx_id text DEFAULT NULL,
                                  p_payment_proof text DEFAULT NULL,
                                  p_fee_sats bigint DEFAULT NULL, p_reason text DEFAULT NULL,
                                  p_payment_hash text DEFAULT NULL, p_backend text DEFAULT NULL,
                                  p_executor text DEFAULT NULL, p_attempt integer DEFAULT NULL,
                                  p_retry_secs integer DEFAULT NULL, p_event text DEFAULT NULL)
RETURNS SETOF refunds
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    -- current_user is this function's owner, the migrating role that owns
    -- refunds: cheaper than looking the table's owner up on every call.
    owner  boolean := pg_has_role(session_user, current_user, 'MEMBER');
    is_api boolean := owner OR pg_has_role(session_user, 'qpayd_api', 'MEMBER');
    is_exe boolean := owner OR pg_has_role(session_user, 'qpayd_executor', 'MEMBER');
    r      refunds;
    t      refund_transitions;
    other  text;
    allowed boolean;
    detail jsonb := p_detail;
BEGIN
    SELECT * INTO r FROM refunds WHERE store_id = p_store AND id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- An executor's action is written as the executor, an API's as the API:
    -- the actor names the role whose row applies, and the session must hold
    -- that role. One primary-key lookup on the way that succeeds.
    SELECT * INTO t FROM refund_transitions x
     WHERE x.action = p_action AND x.from_status = r.status
       AND x.role = CASE WHEN p_actor LIKE 'executor:%' THEN 'qpayd_executor' ELSE 'qpayd_api' END;
    -- (No CASE in an IF condition: PL/pgSQL would end it at the CASE's THEN.)
    allowed := FOUND AND (t.from_approval IS NULL OR r.approval_status = ANY (t.from_approval))
               AND CASE t.role WHEN 'qpayd_api' THEN is_api ELSE is_exe END;
    IF NOT allowed THEN
        -- Why not: a move of the other role, of no role, or no such action.
        SELECT x.role INTO other FROM refund_transitions x
         WHERE x.action = p_action AND x.from_status = r.status
           AND (x.from_approval IS NULL OR r.approval_status = ANY (x.from_approval))
         ORDER BY CASE x.role WHEN 'qpayd_api' THEN is_api ELSE is_exe END DESC
         LIMIT 1;
        IF other IS NOT NULL THEN
            allowed := CASE other WHEN 'qpayd_api' THEN is_api ELSE is_exe END;
            IF allowed THEN
                RAISE EXCEPTION 'refund %: actor % cannot take %''s action %', r.id, p_actor,
                    other, p_action USING ERRCODE = 'insufficient_privilege';
            END IF;
            RAISE EXCEPTION 'refund %: % of a % refund is reserved for %; session user % may not',
                r.id, p_action, r.status, other, session_user
                USING ERRCODE = 'insufficient_privilege';
        ELSIF NOT EXISTS (SELECT 1 FROM refund_transitions x WHERE x.action = p_action) THEN
            RAISE EXCEPTION 'refund_transition: unknown action %', p_action
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RAISE EXCEPTION 'refund %: % does not apply to a refund that is % (approval %)',
            r.id, p_action, r.status, r.approval_status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_transition',
                  TABLE = 'refunds', COLUMN = 'status';
    END IF;

    IF p_action IN ('finalize', 'succeed') THEN
        UPDATE refunds SET status = 'succeeded', tx_id = p_tx_id, payment_proof = p_payment_proof,
               fee_sats = p_fee_sats, completed_at = now()
         WHERE id = r.id RETURNING * INTO r;
    ELSIF p_action = 'fail' THEN
        IF p_reason IS NULL OR p_reason = '' THEN
            RAISE EXCEPTION 'refund %: fail needs a failure reason', r.id
                USING ERRCODE = 'not_null_violation', COLUMN = 'failure_reason';
        END IF;
        UPDATE refunds SET status = 'failed', failure_reason = p_reason, completed_at = now()
         WHERE id = r.id RETURNING * INTO r;
    ELSIF p_action = 'cancel' THEN
        UPDATE refunds SET status = 'canceled', completed_at = now()
         WHERE id = r.id RETURNING * INTO r;
    ELSIF p_action = 'approve' THEN
        UPDATE refunds SET approval_status = 'approved', approved_at = now()
         WHERE id = r.id RETURNING * INTO r;
    ELSIF p_action = 'require_approval' THEN
        UPDATE refunds SET approval_status = 'required' WHERE id = r.id RETURNING * INTO r;
    ELSIF p_action = 'claim' THEN
        IF p_backend IS NULL OR p_executor IS NULL THEN
            RAISE EXCEPTION 'refund %: claim needs the backend and the executor', r.id
                USING ERRCODE = 'not_null_violation';
        END IF;
        UPDATE refunds SET status = 'processing', processing_started_at = now(),
               attempts = attempts + 1, payment_hash = coalesce(p_payment_hash, payment_hash)
         WHERE id = r.id RETURNING * INTO r;
        INSERT INTO refund_attempts (refund_id, attempt, backend, executor)
        VALUES (r.id, r.attempts, p_backend, p_executor);
        detail := coalesce(p_detail, '{}') ||
                  jsonb_build_object('backend', p_backend, 'attempt', r.attempts);
    ELSIF p_action = 'defer' THEN
        UPDATE refunds SET status = 'pending',
               next_attempt_at = now() + make_interval(secs => coalesce(p_retry_secs, 0))
         WHERE id = r.id RETURNING * INTO r;
    ELSIF p_action = 'unknown' AND p_payment_hash IS NOT NULL AND r.payment_hash IS NULL THEN
        UPDATE refunds SET payment_hash = p_payment_hash WHERE id = r.id RETURNING * INTO r;
    ELSIF p_action = 'note' AND (p_event IS NULL OR p_event = 'created') THEN
        RAISE EXCEPTION 'refund %: a note needs its own event name, not %', r.id,
            coalesce(p_event, 'none') USING ERRCODE = 'invalid_parameter_value';
    END IF;

    IF t.attempt_outcome IS NOT NULL AND p_attempt IS NOT NULL THEN
        UPDATE refund_attempts SET finished_at = now(), outcome = t.attempt_outcome,
               detail = p_detail
         WHERE refund_id = r.id AND attempt = p_attempt;
    END IF;
    INSERT INTO refund_events (refund_id, store_id, actor, event, from_status, to_status, detail)
    VALUES (r.id, r.store_id, p_actor, coalesce(t.event, p_event), t.from_status, t.to_status,
            detail);
    RETURN NEXT r;
END
$$;
REVOKE ALL ON FUNCTION refund_transition(text, text, text, text, jsonb, text, text, bigint, text,
    text, text, text, integer, integer, text) FROM PUBLIC;

-- The executor's claim: its payable refunds of one store and backend, oldest
-- first, locked and skipping those another executor holds. SELECT ... FOR
-- UPDATE needs UPDATE on the table, which no role has: this function locks
-- for the executor instead. The invoice's figures come from its refunds, not
-- from a total the public server could have written. Keep the filter in step
-- with CANDIDATES_SQL in executor/queries.c (its dry run).
CREATE FUNCTION refund_claimable(p_store text, p_backend text, p_limit integer)
RETURNS TABLE (id text, amount_sats bigint, destination text, destination_type text,
               payout_backend text, approval_status text, invoice_paid_sats bigint,
               invoice_other_sats bigint, invoice_id text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
    IF NOT (refunds_owner_session(session_user)
            OR pg_has_role(session_user, 'qpayd_executor', 'MEMBER')) THEN
        RAISE EXCEPTION 'refund_claimable: session user % is not a qpayd_executor', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
    SELECT r.id, r.amount_sats, r.destination, r.destination_type, r.payout_backend,
           r.approval_status, i.amount_paid_sats,
           (SELECT coalesce(sum(o.amount_sats), 0)::bigint FROM refunds o
             WHERE o.store_id = r.store_id AND o.invoice_id = r.invoice_id AND o.id <> r.id
               AND o.status IN ('pending', 'processing', 'succeeded')),
           r.invoice_id
      FROM refunds r JOIN invoices i ON i.store_id = r.store_id AND i.id = r.invoice_id
     WHERE r.store_id = p_store AND r.payout_backend = p_backend AND r.status = 'pending'
       AND r.approval_status IN ('not_required', 'approved')
       AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= now())
     ORDER BY r.created_at, r.id LIMIT p_limit
       FOR UPDATE OF r SKIP LOCKED;
END
$$;
REVOKE ALL ON FUNCTION refund_claimable(text, text, integer) FROM PUBLIC;

-- A refund is born pending and not yet approved, whoever inserts it (short
-- of the owner): nothing the public host inserts is already paying, paid or
-- approved. The approve action is the only way to approved.
CREATE FUNCTION refunds_insert_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT refunds_owner_session(current_user) THEN
        RAISE EXCEPTION 'refund %: a new refund must be pending, unapproved and unpaid (status %, approval %)',
            NEW.id, NEW.status, NEW.approval_status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'refunds_insert',
                  TABLE = 'refunds';
    END IF;
    RETURN NEW;
END
$$;
-- The WHEN clause keeps the ordinary insert free of PL/pgSQL.
CREATE TRIGGER refunds_insert_guard BEFORE INSERT ON refunds
    FOR EACH ROW WHEN (NEW.status <> 'pending' OR NEW.approval_status = 'approved'
                       OR NEW.approved_at IS NOT NULL OR NEW.completed_at IS NOT NULL
                       OR NEW.processing_started_at IS NOT NULL OR NEW.attempts <> 0
                       OR NEW.next_attempt_at IS NOT NULL OR NEW.tx_id IS NOT NULL
                       OR NEW.payment_proof IS NOT NULL OR NEW.fee_sats IS NOT NULL
                       OR NEW.failure_reason IS NOT NULL)
    EXECUTE FUNCTION refunds_insert_guard();

-- The only event a role writes itself is a new refund's "created"; every
-- other one comes from refund_transition, which runs as the table's owner and
-- so bypasses row-level security at no cost (a trigger here cost every
-- transition about 90 us). The policies are in sql/roles.sql, with the roles.
ALTER TABLE refund_events ENABLE ROW LEVEL SECURITY;
