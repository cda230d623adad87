package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults of the example service's environment, each in its own JVM. */
class ExampleServiceFaultTest {

    @TempDir
    Path temp;

    // Proves: a ready-file path no one can write (root included) makes the service exit 1 naming the path, not ready.
    @Test
    void readyFileInAReadOnlyLocationExitsNonZeroNamingThePath() {
        Map<String, String> env = Map.of("DATA_DIR", temp.resolve("data").toString(),
                                         "LIFECYCLE_READY_FILE", "/proc/self/ready");
        try (ExampleProcess service = ExampleProcess.start("read-only-ready-file", env)) {
            assertThat(service.process().awaitExit(ExampleProcess.STARTUP_TIMEOUT))
                    .isEqualTo(Service.EXIT_STARTUP_FAILED);
            assertThat(service.process().output())
                    .contains("Startup failed: readyFile: cannot write /proc/self/ready: ")
                    .doesNotContain("Ready in", "Startup task 'flyway-migrations' started");
        }
    }
}
