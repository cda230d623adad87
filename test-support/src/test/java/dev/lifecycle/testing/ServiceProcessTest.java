package dev.lifecycle.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceProcessTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path temp;

    private static ServiceProcess.Builder shell(String script) {
        return ServiceProcess.builder(List.of("sh", "-c", script));
    }

    @Test
    void awaitLineReturnsTheMatchFromMergedOutputAndWritesTheLogFile() throws Exception {
        Path log = temp.resolve("logs/service.log");
        try (ServiceProcess process = shell("echo out-line; echo \"port=$PORT in $(pwd)\" >&2")
                .environment("PORT", "4711")
                .directory(temp)
                .logFile(log)
                .start()) {
            MatchResult match = process.awaitLine(Pattern.compile("port=(\\d+) in (\\S+)"), TIMEOUT);

            assertThat(match.group(1)).isEqualTo("4711");
            assertThat(Path.of(match.group(2)).toRealPath()).isEqualTo(temp.toRealPath());
            assertThat(process.awaitExit(TIMEOUT)).isZero();
            assertThat(process.lines()).hasSize(2).contains("out-line");
            assertThat(Files.readAllLines(log)).containsExactlyElementsOf(process.lines());
        }
    }

    @Test
    void awaitLineFindsLinesPrintedBeforeTheCall() {
        try (ServiceProcess process = shell("echo first; echo second").start()) {
            assertThat(process.awaitExit(TIMEOUT)).isZero();

            assertThat(process.awaitLine(Pattern.compile("^first$"), TIMEOUT).group()).isEqualTo("first");
        }
    }

    @Test
    void awaitLineFailsAtOnceWithTheOutputWhenTheProcessExits() {
        try (ServiceProcess process = shell("echo something else; exit 3").start()) {
            assertThatThrownBy(() -> process.awaitLine(Pattern.compile("never"), Duration.ofMinutes(5)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("the output ended (exit status 3)")
                    .hasMessageContaining("something else");
        }
    }

    @Test
    void awaitLineFailsAfterTheTimeout() {
        try (ServiceProcess process = shell("echo waiting; exec sleep 30").start()) {
            assertThatThrownBy(() -> process.awaitLine(Pattern.compile("never"), Duration.ofMillis(300)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("within PT0.3S")
                    .hasMessageContaining("waiting");
        }
    }

    @Test
    void signalTermEndsTheProcessWithStatus143() {
        try (ServiceProcess process = shell("echo started; exec sleep 30").start()) {
            process.awaitLine(Pattern.compile("started"), TIMEOUT);

            process.signal("TERM");

            assertThat(process.awaitExit(TIMEOUT)).isEqualTo(143);
            assertThat(process.isAlive()).isFalse();
        }
    }

    @Test
    void environmentCanBeRemoved() {
        try (ServiceProcess process = shell("echo \"home=[${HOME:-}]\"").removeEnvironment("HOME").start()) {
            assertThat(process.awaitLine(Pattern.compile("home=\\[(.*)]"), TIMEOUT).group(1)).isEmpty();
        }
    }

    @Test
    void closeKillsARunningProcess() {
        ServiceProcess process = shell("trap '' TERM; echo started; while true; do sleep 1; done").start();
        process.awaitLine(Pattern.compile("started"), TIMEOUT);

        process.close();

        assertThat(process.isAlive()).isFalse();
    }

    @Test
    void rejectsUnknownSignals() {
        try (ServiceProcess process = shell("exec sleep 30").start()) {
            assertThatThrownBy(() -> process.signal("SIGTERM"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("signal: 'SIGTERM' (expected: one of ");
        }
    }

    @Test
    void writeInputReachesAProcessWhoseStandardInputIsPiped() {
        try (ServiceProcess process = shell("read line; echo \"got $line\"").pipeStandardInput().start()) {
            process.writeInput("go\n");

            assertThat(process.awaitLine(Pattern.compile("^got (.*)$"), TIMEOUT).group(1)).isEqualTo("go");
            assertThat(process.awaitExit(TIMEOUT)).isZero();
        }
    }

    @Test
    void standardInputIsDevNullUnlessPiped() {
        try (ServiceProcess process = shell("if read line; then echo \"read $line\"; else echo eof; fi").start()) {
            assertThat(process.awaitExit(TIMEOUT)).isZero();
            assertThat(process.lines()).containsExactly("eof");
            assertThatThrownBy(() -> process.writeInput("go\n"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("The standard input of process " + process.pid()
                                + " is /dev/null (expected: Builder.pipeStandardInput())");
        }
    }

    @Test
    void freePortHasNothingListeningAndCanBeBoundOnLoopback() throws Exception {
        int port = Ports.freePort();

        assertThat(port).isBetween(1024, 65535);
        assertThatThrownBy(() -> new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port).close())
                .as("nothing listens on it").isInstanceOf(java.net.ConnectException.class);
        try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
            socket.setReuseAddress(false);
            // Binding (no BindException) is the contract; comparing the bound port with itself would prove nothing.
            socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
            assertThat(socket.isBound()).isTrue();
        }
    }
}
