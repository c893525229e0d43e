-- 013_listings.sql: what the listings, the CSV exports and /metrics read
-- (issue 15, docs/api.md "Listings and exports").
--
-- Lists and exports page by keyset on (created_at, id) (payments:
-- (first_seen_at, id)), newest or oldest first, never by OFFSET: each page
-- starts in the index where the last one ended, so a deep page costs what the
-- first does and an export of a year never scans from the start again.

-- Invoices: the keyset needs the id beside created_at (001 had created_at
-- alone); paid_at and metadata are filters of the list.
CREATE INDEX invoices_store_created_id ON invoices (store_id, created_at, id);
DROP INDEX invoices_store_created;
CREATE INDEX invoices_store_paid ON invoices (store_id, paid_at) WHERE paid_at IS NOT NULL;
-- metadata[key]=value is jsonb containment (@>): jsonb_path_ops answers it.
CREATE INDEX invoices_metadata ON invoices USING gin (metadata jsonb_path_ops)
    WHERE metadata IS NOT NULL;

-- Payments of a store in the order they were first seen (the payments export).
CREATE INDEX invoice_payments_store_seen ON invoice_payments (store_id, first_seen_at, id);

-- A cursor's timestamp: microseconds, so that the keyset is exact (qpayd_ts
-- shows milliseconds). Parsed back by a ::timestamptz cast.
CREATE FUNCTION qpayd_ts_us(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- A CSV timestamp: UTC, in the form spreadsheets import as a date and time.
CREATE FUNCTION qpayd_csv_ts(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
$$;
