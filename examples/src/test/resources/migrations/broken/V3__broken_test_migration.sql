-- Test-only (FLYWAY_EXTRA_LOCATIONS): a migration that fails.
ALTER TABLE no_such_table ADD COLUMN nothing INT;
