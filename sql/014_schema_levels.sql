-- 014_schema_levels.sql: compatibility levels, for rolling upgrades (issue 16,
-- docs/upgrading.md).
-- compat_level: 1
--
-- Migrations are expand/contract: an expand migration only adds (a column
-- with a default or NULL, a table, an index, a function) and keeps the level;
-- a binary built for version N keeps serving a schema of any later version
-- at its own level. A contract migration (drops or renames what an older
-- binary uses, tightens a constraint it could break) raises the level by
-- one, and binaries of a lower level then refuse: /readyz not ready, the
-- executor pays nothing. `qpayd migrate` records each migration's level (its
-- "-- compat_level: N" line, sql/embed.sh) from this one on.

ALTER TABLE schema_migrations
    ADD COLUMN compat_level integer NOT NULL DEFAULT 1 CHECK (compat_level >= 1);
COMMENT ON COLUMN schema_migrations.compat_level IS
    'Compatibility level the schema reaches with this migration: binaries of a lower level refuse it (docs/upgrading.md).';
