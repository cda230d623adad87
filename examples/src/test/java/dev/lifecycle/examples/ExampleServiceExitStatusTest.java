package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exit statuses the README promises for the example service, each in its own JVM. */
class ExampleServiceExitStatusTest {

    /** A JVM ended by a signal exits with 128 + the signal's number; SIGINT (Ctrl-C) is 2. */
    private static final int EXIT_AFTER_SIGINT = 130;

    @TempDir
    Path temp;

    @Test
    void ctrlCRunsTheShutdownSequenceAndExitsWith130() throws Exception {
        Path readyFile = temp.resolve("ready");
        try (ExampleProcess service = ExampleProcess.start(
                "ctrl-c", Map.of("DATA_DIR", temp.resolve("data").toString(),
                                 "LIFECYCLE_READY_FILE", readyFile.toString())).awaitReady()) {
            assertThat(readyFile).exists();

            service.process().signal("INT"); // what Ctrl-C sends

            assertThat(service.process().awaitExit(ExampleProcess.EXIT_TIMEOUT)).isEqualTo(EXIT_AFTER_SIGINT);
            assertThat(readyFile).doesNotExist();
            assertThat(service.process().output()).containsSubsequence("Draining: readiness down", "Drained in",
                                                                       "Stop action 'http server' done",
                                                                       "Stop action 'database pool' done",
                                                                       "Stopped in");
        }
    }

    @Test
    void nettyExampleExitsWith1OnAFailingMigrationNamingItWithoutBecomingReady() throws Exception {
        Path readyFile = temp.resolve("ready");
        try (ExampleProcess service = ExampleProcess.start(
                NettyExampleService.class, "netty-broken-migration",
                Map.of("DATA_DIR", temp.resolve("data").toString(),
                       "LIFECYCLE_READY_FILE", readyFile.toString(),
                       "FLYWAY_EXTRA_LOCATIONS", ExampleServiceLifecycleTest.testMigrations("broken")))) {
            assertThat(Service.EXIT_STARTUP_FAILED).isEqualTo(1);
            assertThat(service.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT)).isEqualTo(1);
            assertThat(readyFile).doesNotExist();
            assertThat(service.process().output())
                    .contains("Startup failed in task 'flyway-migrations'", "V3__broken_test_migration.sql")
                    .doesNotContain("Ready in");
        }
    }
}
