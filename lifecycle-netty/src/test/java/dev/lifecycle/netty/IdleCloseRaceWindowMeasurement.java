package dev.lifecycle.netty;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import dev.lifecycle.core.Lifecycle;

/**
 * Measures the race that HTTP/1.1 leaves when the server closes an idle keep-alive connection as the drain begins: a
 * client that finds the connection open and writes its next request just as the server decides to close it gets no
 * answer. Each trial opens a connection, uses it once, then has the client check it (a non-blocking read, as Apache's
 * stale check and most pools do before reusing a connection) and write a request at a random offset from the moment
 * the handler's drain listener runs; the outcome is {@code served} (an answer came), {@code reconnect} (the check saw
 * the close: a pooled client opens a new connection, nothing is lost) or {@code failed} (the request was written and
 * no answer came). The window is the span of offsets where {@code failed} happens.
 *
 * <p>Opt-in, not part of the suite: {@code mvn -B -ntp -pl lifecycle-netty -am verify
 * -Dtest=IdleCloseRaceWindowMeasurement -Dsurefire.failIfNoSpecifiedTests=false -Drace.trials=3000}. It prints a
 * histogram and writes it to {@code lifecycle-netty/target/race-window.txt}.
 */
@EnabledIfSystemProperty(named = "race.trials", matches = "\\d+")
class IdleCloseRaceWindowMeasurement {

    /** Offsets are drawn uniformly in [-SPAN, +SPAN]. */
    private static final long SPAN_NANOS = 300_000;
    private static final long BUCKET_NANOS = 100_000;
    /** Offsets beyond this (scheduling noise on a loaded machine) are shown in the first and last buckets. */
    private static final long LIMIT_NANOS = 1_000_000;
    private static final byte[] REQUEST = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(ISO_8859_1);

    private record Trial(long offsetNanos, String outcome) {
    }

    @Test
    void measure() throws Exception {
        int trials = Integer.parseInt(System.getProperty("race.trials"));
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        TestServer server = new TestServer(lifecycle);
        lifecycle.start();
        List<Trial> results = new ArrayList<>();
        try {
            for (int i = 0; i < trials; i++) {
                results.add(trial(server));
            }
        } finally {
            server.close();
        }
        String report = report(results);
        System.out.println(report);
        Files.writeString(Path.of("target", "race-window.txt"), report);
        assertThat(results).hasSize(trials);
    }

    private static Trial trial(TestServer server) throws Exception {
        quickly().until(server.netty.connections::isEmpty);
        try (SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                                                                              server.port))) {
            client.socket().setSoTimeout(2_000);
            client.socket().getOutputStream().write(REQUEST);
            readResponse(client.socket().getInputStream());
            quickly().until(() -> server.netty.connections.size() == 1);
            DrainingConnection connection = server.netty.connections.iterator().next();

            long offset = ThreadLocalRandom.current().nextLong(-SPAN_NANOS, SPAN_NANOS + 1);
            long base = System.nanoTime() + 1_000_000;
            long[] drainAt = new long[1];
            Thread drain = new Thread(() -> {
                spinUntil(base);
                drainAt[0] = System.nanoTime();
                connection.drainBegins();
            });
            drain.start();
            spinUntil(base + offset);
            client.configureBlocking(false);
            int peeked = client.read(ByteBuffer.allocate(1));
            long writeAt = System.nanoTime();
            String outcome;
            if (peeked < 0) {
                outcome = "reconnect";
            } else {
                client.configureBlocking(true);
                try {
                    client.socket().getOutputStream().write(REQUEST);
                    outcome = readResponse(client.socket().getInputStream()) ? "served" : "failed";
                } catch (IOException e) {
                    outcome = "failed";
                }
            }
            drain.join();
            return new Trial(writeAt - drainAt[0], outcome);
        }
    }

    private static ConditionFactory quickly() {
        return await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1));
    }

    private static void spinUntil(long deadline) {
        while (System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
    }

    /** Whether a whole response head came before the end of the stream. */
    private static boolean readResponse(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int b; (b = in.read()) != -1; ) {
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == end.length) {
                in.readNBytes(5); // "hello"
                return true;
            }
        }
        return false;
    }

    private static String report(List<Trial> results) {
        Map<Long, int[]> buckets = new TreeMap<>();
        List<Long> failures = new ArrayList<>();
        for (Trial trial : results) {
            long clamped = Math.max(-LIMIT_NANOS, Math.min(LIMIT_NANOS, trial.offsetNanos()));
            long bucket = Math.floorDiv(clamped, BUCKET_NANOS) * BUCKET_NANOS;
            int[] counts = buckets.computeIfAbsent(bucket, b -> new int[3]);
            switch (trial.outcome()) {
                case "served" -> counts[0]++;
                case "reconnect" -> counts[1]++;
                default -> {
                    counts[2]++;
                    failures.add(trial.offsetNanos());
                }
            }
        }
        failures.sort(null);
        StringBuilder report = new StringBuilder();
        report.append(String.format("trials %d, failed %d (%.1f%%)", results.size(), failures.size(),
                                    100.0 * failures.size() / results.size()));
        if (!failures.isEmpty()) {
            report.append(String.format("; failed writes from %+.0f us to %+.0f us after the drain listener ran, "
                                        + "90%% of them within [%+.0f us, %+.0f us]",
                                        failures.get(0) / 1e3, failures.get(failures.size() - 1) / 1e3,
                                        percentile(failures, 5) / 1e3, percentile(failures, 95) / 1e3));
        }
        report.append(String.format("%nwrite offset (us, bucket of %d; ends hold everything beyond +-%d)"
                                    + "  served  reconnect  failed%n", BUCKET_NANOS / 1000, LIMIT_NANOS / 1000));
        buckets.forEach((bucket, counts) -> report.append(String.format("%+8.0f  %6d  %9d  %6d%n", bucket / 1e3,
                                                                         counts[0], counts[1], counts[2])));
        return report.toString();
    }

    private static long percentile(List<Long> sorted, int percent) {
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * percent / 100));
    }
}
