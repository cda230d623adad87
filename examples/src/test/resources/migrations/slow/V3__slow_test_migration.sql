-- Test-only (FLYWAY_EXTRA_LOCATIONS): a migration that takes 4 s on H2, so probes can be watched while it runs.
CREATE ALIAS TEST_SLEEP FOR 'java.lang.Thread.sleep(long)';
CALL TEST_SLEEP(4000);
DROP ALIAS TEST_SLEEP;
