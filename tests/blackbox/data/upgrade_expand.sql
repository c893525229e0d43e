-- A later expand-only migration, as a newer qpayd would apply it (tests/blackbox/test_upgrade.py):
-- it adds, at the same compatibility level, so older binaries keep serving.
ALTER TABLE invoices ADD COLUMN upgrade_test_note text;
INSERT INTO schema_migrations (version, name, compat_level)
VALUES (900, '900_upgrade_test_expand.sql', 1);
