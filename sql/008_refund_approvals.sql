-- 008: signed refund approvals (docs/security.md, section 4).
-- One row per Ed25519 signature posted to the approve route. The row is not
-- proof of anything by itself: qpayd-executor verifies the signature again
-- against the keys of its own config, over the refund row's store, id,
-- invoice, amount, destination and created_at (common/approval.h), so a row
-- written by a compromised public host moves nothing. Append-only.
CREATE TABLE refund_approvals (
    id          bigserial   PRIMARY KEY,
    store_id    text        NOT NULL,
    refund_id   text        NOT NULL,
    public_key  text        NOT NULL CHECK (public_key ~ '^ed25519:[A-Za-z0-9+/]{43}=$'),
    signature   text        NOT NULL CHECK (signature ~ '^[A-Za-z0-9+/]{86}==$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refund_approvals_refund_fkey FOREIGN KEY (store_id, refund_id)
        REFERENCES refunds (store_id, id)
);
COMMENT ON TABLE refund_approvals IS 'Ed25519 approvals of refunds; verified again by the executor.';
CREATE INDEX refund_approvals_refund ON refund_approvals (store_id, refund_id);

CREATE FUNCTION refund_approvals_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'refund_approvals is append-only'
        USING ERRCODE = 'check_violation', TABLE = 'refund_approvals';
END
$$;
CREATE TRIGGER refund_approvals_append_only BEFORE UPDATE OR DELETE ON refund_approvals
    FOR EACH ROW EXECUTE FUNCTION refund_approvals_append_only();
CREATE TRIGGER refund_approvals_no_truncate BEFORE TRUNCATE ON refund_approvals
    FOR EACH STATEMENT EXECUTE FUNCTION refund_approvals_append_only();
