package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifecycle.testing.PostgresServer;
import dev.lifecycle.testing.ServiceProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's promises for the harness's command line, run as the README runs it (its main class in a child JVM):
 * exit status 0 for a rollout with zero downtime, 1 for one without, 2 for a bad command line, and
 * {@code requests.csv} with one line per request.
 */
class RolloutHarnessCommandLineTest {

    private static final Path EXAMPLES_JAR =
            Path.of(System.getProperty("examples.jar", "../examples/target/examples.jar")).toAbsolutePath();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);

    private static PostgresServer postgres;

    @TempDir
    Path workDirectory;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static ServiceProcess harness(String... args) {
        List<String> command = new ArrayList<>(List.of(ServiceProcess.javaExecutable(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), RolloutHarness.class.getName()));
        command.addAll(List.of(args));
        return ServiceProcess.builder(command).start();
    }

    @Test
    void helpPrintsTheUsageAndExits0() {
        try (ServiceProcess process = harness("--help")) {
            assertThat(process.awaitExit(Duration.ofSeconds(60))).isZero();
            assertThat(process.output()).startsWith("usage: java -jar rollout-harness.jar [options] -- <command");
        }
    }

    @Test
    void anUnknownOptionPrintsWhatIsWrongAndTheUsageAndExits2() {
        try (ServiceProcess process = harness("--replicaz", "3", "--", "true")) {
            assertThat(process.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(process.lines()).first().isEqualTo("unknown option: --replicaz");
            assertThat(process.output()).contains("usage: java -jar rollout-harness.jar");
        }
    }

    @Test
    void aMissingReplicaCommandExits2() {
        try (ServiceProcess process = harness("--rate", "10")) {
            assertThat(process.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(process.lines()).first().isEqualTo("missing: -- <command starting one replica>");
        }
    }

    @Test
    void aRolloutWithPreStopDelayAndDrainExits0AndWritesOneCsvLinePerRequest() throws Exception {
        int status = rollout("protected", "2s", "5s");

        assertThat(status).as("exit status; the summary is in the log above").isZero();
    }

    @Test
    void aRolloutWithoutPreStopDelayNorDrainExits1() throws Exception {
        int status = rollout("unprotected", "0", "0");

        assertThat(status).as("exit status of a rollout that failed requests (the harness's negative control)")
                          .isEqualTo(1);
    }

    /** Runs one rollout of one example replica through the command line; returns the exit status. */
    private int rollout(String name, String preStopDelay, String drainTimeout) throws Exception {
        assertThat(EXAMPLES_JAR).as("the example service's jar, built by the reactor before this module").exists();
        postgres.createDatabase(name);
        Path work = workDirectory.resolve(name);
        try (ServiceProcess process = harness(
                "--replicas", "1", "--rollouts", "1", "--rate", "40", "--connections", "4", "--lag", "1",
                "--grace", "10", "--min-ready", "1", "--work-dir", work.toString(),
                "--listen-pattern", "Listening on http://127\\.0\\.0\\.1:(\\d+)",
                "--ready-file-variable", "LIFECYCLE_READY_FILE",
                "--env", "BIND_ADDRESS=127.0.0.1",
                "--env", "DATABASE_URL=" + postgres.jdbcUrl(name),
                "--env", "DATABASE_USER=" + postgres.user(),
                "--env", "DATABASE_PASSWORD=" + postgres.password(),
                "--env", "LIFECYCLE_PRESTOP_DELAY=" + preStopDelay,
                "--env", "LIFECYCLE_DRAIN_TIMEOUT=" + drainTimeout,
                "--env", "LIFECYCLE_TERMINATION_GRACE_PERIOD=10s",
                "--", ServiceProcess.javaExecutable(), "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", EXAMPLES_JAR.toString())) {
            int status = process.awaitExit(RUN_TIMEOUT);
            System.out.println(process.output());

            Path csv = work.resolve("requests.csv");
            assertThat(csv).exists();
            List<String> lines = Files.readAllLines(csv);
            // One client (the raw generator) in this run; its name leads every line.
            assertThat(lines.get(0)).isEqualTo("client," + RequestRecord.CSV_HEADER);
            assertThat(lines).as("a header and one line per request").hasSizeGreaterThan(1);
            // One line per scheduled request: their sequence numbers are distinct and without a gap.
            List<Long> sequences = lines.subList(1, lines.size()).stream()
                                        .map(line -> Long.parseLong(line.split(",", 3)[1]))
                                        .sorted().distinct().toList();
            assertThat(sequences).hasSize(lines.size() - 1);
            assertThat(sequences.get(sequences.size() - 1) - sequences.get(0)).isEqualTo(sequences.size() - 1);
            return status;
        }
    }
}
