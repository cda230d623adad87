-- Test-only (FLYWAY_EXTRA_LOCATIONS), H2 only: a migration that runs until the test lets it end, so that probes can be
-- watched while it runs on a machine of any speed. The test makes <DATA_DIR>/users.migration-gate a named pipe (see
-- MigrationGate): opening it for reading blocks until the test opens it for writing.
CALL FILE_READ(DATABASE_PATH() || '.migration-gate');
