-- 004_bolt11_once.sql: one live refund per Lightning invoice. A payment hash
-- may be paid once; two refunds naming the same bolt11 would leave the second
-- ambiguous at the backend. The API records a bolt11's hash at create, and no
-- two pending, processing or succeeded refunds may share it (failed and
-- canceled ones free it, so a refund that failed may be asked for again).
CREATE UNIQUE INDEX refunds_payment_hash_live ON refunds (payment_hash)
    WHERE payment_hash IS NOT NULL AND status IN ('pending', 'processing', 'succeeded');
