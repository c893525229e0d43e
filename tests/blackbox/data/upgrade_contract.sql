-- A later contract migration (tests/blackbox/test_upgrade.py): it raises the
-- compatibility level, so binaries of level 1 must refuse the schema.
ALTER TABLE invoices DROP COLUMN upgrade_test_note;
INSERT INTO schema_migrations (version, name, compat_level)
VALUES (901, '901_upgrade_test_contract.sql', 2);
