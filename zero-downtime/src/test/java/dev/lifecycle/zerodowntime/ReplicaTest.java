package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaTest {

    /**
     * What a replica prints after SIGTERM (its drain, its stop actions) is the evidence a failed rollout is read by:
     * the log must keep it. {@code Process.destroy()} closes the parent's end of the pipes after the signal, which
     * lost every line printed after it.
     */
    @Test
    void logKeepsWhatTheReplicaPrintsAfterSigterm(@TempDir Path directory) throws Exception {
        String script = "trap 'echo draining; echo stopped; exit 143' TERM; echo ready; "
                + "while true; do sleep 0.05; done";
        Replica replica = Replica.start("r0-1", 0, 1, List.of(), List.of("sh", "-c", script), Map.of(), "PORT", 1,
                null, "INSTANCE_ID", null, null, null, directory, new Timeline());
        Path log = directory.resolve("r0-1.log");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log) && Files.readString(log).contains("ready"));

        replica.terminate();

        assertThat(replica.onExit().get(10, TimeUnit.SECONDS).exitValue()).isEqualTo(143);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(Files.readAllLines(log)).containsExactly("ready", "draining", "stopped"));
    }
}
