// Proves: under steady load the example service loses no request, its heap after GC stays flat, in-flight returns to 0.
package dev.lifecycle.zerodowntime;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifecycle.testing.ServiceProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * A soak: one example service (a child JVM on H2 in a temporary {@code DATA_DIR}, with the drain-timeout report on, as
 * by default) under the rollout load's mix at a moderate fixed rate, straight on loopback (no balancer). Opt-in, to
 * keep the module's default run within its time budget: it runs for 60 s with {@code -Dzerodowntime.full=true}, and
 * for as long as asked with {@code -Dsoak.duration=30m} (or the environment variable {@code SOAK_DURATION}; {@code 90s},
 * {@code 2h} and ISO-8601 {@code PT45M} work too).
 *
 * <p>The live heap is sampled {@value #HEAP_SAMPLES} times, evenly from the end of a warm-up (a quarter of the run, at
 * most 5 minutes) to the end, with {@code jcmd <pid> GC.class_histogram}: it forces a full GC and totals the objects
 * that survived, so the figure does not depend on when the next collection would have run. The rule: the median of the
 * last {@value #COMPARED} samples may exceed the median of the first {@value #COMPARED} by at most 25% or 8 MiB,
 * whichever is larger. The bound, stated per request: the medians are {@code (HEAP_SAMPLES - COMPARED)} sampling
 * intervals apart, so the smallest leak it detects is {@code allowed / (RATE x that time)}. In the 60-second run
 * (warm-up 15 s, samples every 5 s, medians 35 s apart, 1,750 requests) that is 8 MiB / 1,750, about 4.8 KB per
 * request: it catches only leaks of kilobytes per request, such as a response buffer or a request's description kept
 * for ever. A 30-minute run (medians about 22 minutes apart, some 66,000 requests) catches about 130 bytes per request,
 * one small object; run it by hand before a release. The 8 MiB floor is what the bound must tolerate without a leak:
 * H2's page cache grows as the users table fills (a sawtooth under 1 MiB in a 3-minute run) and the pools of 16
 * connections' buffers settle after the warm-up; the summary prints the detectable leak of the run and names the
 * classes that grew the most between the first and the last sample.
 */
class SoakTest {

    private static final Duration DEFAULT_DURATION = Duration.ofSeconds(60);
    private static final Duration MIN_DURATION = Duration.ofSeconds(30);
    private static final int RATE = 50;
    private static final int CONNECTIONS = 16;
    static final int HEAP_SAMPLES = 10;
    static final int COMPARED = 3;
    private static final long ALLOWED_GROWTH_FLOOR = 8L << 20;
    private static final double ALLOWED_GROWTH_RATIO = 0.25;

    private static final Path EXAMPLES_JAR =
            Path.of(System.getProperty("examples.jar", "../examples/target/examples.jar")).toAbsolutePath();
    private static final Path OUTPUT = Path.of(System.getProperty("harness.output", "target/zero-downtime"));
    private static final Pattern LISTENING = Pattern.compile("Listening on http://127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern INFLIGHT =
            Pattern.compile("^lifecycle_requests_inflight(?:\\{[^}]*})?\\s+(\\S+)$", Pattern.MULTILINE);
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("^Total\\s+\\d+\\s+(\\d+)\\s*$", Pattern.MULTILINE);
    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)",
                                                                 Pattern.MULTILINE);
    /** Configuration the test JVM may have inherited and that must not reach the service. */
    private static final String[] INHERITED = {"PORT", "BIND_ADDRESS", "INSTANCE_ID", "DATA_DIR", "DATABASE_URL",
            "DATABASE_USER", "DATABASE_PASSWORD", "DB_SCHEMA_TARGET", "FLYWAY_EXTRA_LOCATIONS", "LIFECYCLE_READY_FILE",
            "LIFECYCLE_PRESTOP_DELAY", "LIFECYCLE_DRAIN_TIMEOUT", "LIFECYCLE_LONG_LIVED_DRAIN_TIMEOUT",
            "LIFECYCLE_STOP_TIMEOUT", "LIFECYCLE_TERMINATION_GRACE_PERIOD"};

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One look at the service under load: live heap after a full GC, and the in-flight gauge. */
    private record Sample(double atSeconds, long liveHeapBytes, Map<String, Long> bytesByClass, double inflight) {}

    /** {@code -Dzerodowntime.full=true}, or a duration asked for. */
    static boolean requested() {
        return "true".equals(System.getProperty("zerodowntime.full")) || System.getProperty("soak.duration") != null
                || System.getenv("SOAK_DURATION") != null;
    }

    @Test
    @EnabledIf("requested")
    void steadyLoadLosesNoRequestKeepsHeapAfterGcFlatAndInflightGaugeReturnsToZero(@TempDir Path dataDirectory)
            throws Exception {
        Duration duration = duration();
        Duration warmUp = Duration.ofMillis(Math.min(duration.toMillis() / 4, Duration.ofMinutes(5).toMillis()));
        long intervalMillis = (duration.toMillis() - warmUp.toMillis()) / (HEAP_SAMPLES - 1);
        assertThat(EXAMPLES_JAR).as("the example service's jar, built by the reactor before this module").exists();
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        assertThat(jcmd).as("jcmd of the running JDK").isExecutable();

        ServiceProcess service = ServiceProcess.builder(List.of(ServiceProcess.javaExecutable(), "-Xmx128m",
                        "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
                        "-jar", EXAMPLES_JAR.toString()))
                .removeEnvironment(INHERITED)
                .environment("PORT", "0")
                .environment("BIND_ADDRESS", "127.0.0.1")
                .environment("INSTANCE_ID", "soak")
                .environment("DATA_DIR", dataDirectory.toString())
                .logFile(OUTPUT.resolve("soak").resolve("service.log"))
                .start();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "soak-sampler");
            thread.setDaemon(true);
            return thread;
        });
        LoadGenerator load = null;
        try {
            int port = Integer.parseInt(service.awaitLine(LISTENING, Duration.ofSeconds(60)).group(1));
            URI base = URI.create("http://127.0.0.1:" + port);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                   .until(() -> status(base.resolve("/health/ready")) == 200);

            Timeline timeline = new Timeline();
            LoadGenerator generator = new LoadGenerator(new InetSocketAddress("127.0.0.1", port), RATE, CONNECTIONS,
                                                        Duration.ofSeconds(2), Duration.ofSeconds(10),
                                                        RequestMix.exampleService(), "X-Instance", timeline);
            long loadStart = System.nanoTime();
            generator.start();
            load = generator;

            List<Sample> samples = new CopyOnWriteArrayList<>();
            AtomicReference<Throwable> samplingFailure = new AtomicReference<>();
            CountDownLatch sampled = new CountDownLatch(HEAP_SAMPLES);
            sampler.scheduleAtFixedRate(() -> {
                if (samples.size() >= HEAP_SAMPLES) {
                    return;
                }
                try {
                    double at = (System.nanoTime() - loadStart) / 1e9;
                    String histogram = run(jcmd.toString(), Long.toString(service.pid()), "GC.class_histogram");
                    samples.add(new Sample(at, liveHeap(histogram), bytesByClass(histogram),
                                           inflight(metrics(base))));
                    sampled.countDown();
                } catch (Throwable t) {
                    samplingFailure.compareAndSet(null, t);
                    while (sampled.getCount() > 0) {
                        sampled.countDown();
                    }
                }
            }, warmUp.toMillis(), intervalMillis, TimeUnit.MILLISECONDS);
            // The load runs for the whole soak: the last sample is taken at its end.
            assertThat(sampled.await(duration.toSeconds() + 120, TimeUnit.SECONDS))
                    .as("%d heap samples within the soak", HEAP_SAMPLES).isTrue();
            sampler.shutdownNow();
            assertThat(samplingFailure.get()).as("sampling failure").isNull();

            load.stop(Duration.ofSeconds(15));
            double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
            long stoppedAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                   .until(() -> inflight(metrics(base)) == 0);
            double inflightZeroAfter = (System.nanoTime() - stoppedAt) / 1e9;

            List<RequestRecord> records = load.records();
            List<RequestRecord> failed = records.stream().filter(r -> r.outcome().isFailure()).toList();
            long baseline = median(samples.subList(0, COMPARED));
            long last = median(samples.subList(HEAP_SAMPLES - COMPARED, HEAP_SAMPLES));
            long allowed = Math.max(ALLOWED_GROWTH_FLOOR, (long) (ALLOWED_GROWTH_RATIO * baseline));
            double requestsBetweenMedians = RATE * (samples.get(HEAP_SAMPLES - 1 - COMPARED / 2).atSeconds()
                                                    - samples.get(COMPARED / 2).atSeconds());
            long detectableLeakPerRequest = (long) (allowed / requestsBetweenMedians);
            System.out.printf(Locale.ROOT, "heap rule detects a leak of %d bytes per request or more (%s MiB over "
                                           + "%.0f requests)%n", detectableLeakPerRequest, mib(allowed),
                              requestsBetweenMedians);
            double maxInflight = samples.stream().mapToDouble(Sample::inflight).max().orElse(0);
            System.out.println(summary(duration, loadSeconds, load, records, failed, samples, baseline, last,
                                       allowed, maxInflight, inflightZeroAfter));

            assertThat(records).as("every scheduled request has an outcome").hasSize((int) load.scheduled());
            assertThat(failed).as("failed requests (first 10: %s)",
                                  failed.stream().limit(10).map(RequestRecord::toCsv).toList()).isEmpty();
            assertThat(last).as("median live heap of the last %d samples vs the first %d (%s MiB + at most %s MiB: "
                                + "a leak of %d bytes per request or more); classes that grew the most: %s",
                                COMPARED, COMPARED, mib(baseline), mib(allowed), detectableLeakPerRequest,
                                topGrowth(samples.get(0), samples.get(HEAP_SAMPLES - 1)))
                            .isLessThanOrEqualTo(baseline + allowed);
            assertThat(maxInflight).as("the in-flight gauge counted requests during the load").isPositive();

            service.signal("TERM");
            assertThat(service.awaitExit(Duration.ofSeconds(30))).as("exit status after SIGTERM").isEqualTo(143);
            assertThat(service.output()).contains("Drained in").doesNotContain("Drain timed out")
                                        .doesNotContain("[ERROR]");
        } finally {
            sampler.shutdownNow();
            if (load != null) {
                load.stop(Duration.ofSeconds(5));
            }
            service.close();
        }
    }

    /** {@code soak.duration} (system property) or {@code SOAK_DURATION} (environment), else 60 s. */
    private static Duration duration() {
        String text = System.getProperty("soak.duration", System.getenv("SOAK_DURATION"));
        if (text == null || text.isBlank()) {
            return DEFAULT_DURATION;
        }
        Duration duration;
        try {
            String trimmed = text.trim().toUpperCase(Locale.ROOT);
            duration = Duration.parse(trimmed.startsWith("P") ? trimmed
                                      : trimmed.endsWith("D") ? "P" + trimmed : "PT" + trimmed);
        } catch (DateTimeParseException e) {
            duration = null;
        }
        if (duration == null || duration.compareTo(MIN_DURATION) < 0) {
            throw new IllegalArgumentException("soak.duration: '" + text + "' (expected: a duration such as 90s, 30m, "
                                               + "2h or PT45M, at least " + MIN_DURATION.toSeconds() + "s)");
        }
        return duration;
    }

    private int status(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                         HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private String metrics(URI base) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/metrics"))
                                                              .timeout(Duration.ofSeconds(5)).build(),
                                                  HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET /metrics").isEqualTo(200);
        return response.body();
    }

    private static double inflight(String metrics) {
        Matcher matcher = INFLIGHT.matcher(metrics);
        assertThat(matcher.find()).as("lifecycle_requests_inflight in /metrics").isTrue();
        return Double.parseDouble(matcher.group(1));
    }

    private static long liveHeap(String histogram) {
        Matcher matcher = HISTOGRAM_TOTAL.matcher(histogram);
        assertThat(matcher.find()).as("total of the class histogram in:\n%s", histogram).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    private static Map<String, Long> bytesByClass(String histogram) {
        Map<String, Long> bytes = new HashMap<>();
        Matcher matcher = HISTOGRAM_ROW.matcher(histogram);
        while (matcher.find()) {
            bytes.merge(matcher.group(2), Long.parseLong(matcher.group(1)), Long::sum);
        }
        return bytes;
    }

    private static String topGrowth(Sample first, Sample last) {
        return last.bytesByClass().entrySet().stream()
                   .map(e -> Map.entry(e.getKey(), e.getValue() - first.bytesByClass().getOrDefault(e.getKey(), 0L)))
                   .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                   .limit(8)
                   .map(e -> e.getKey() + " +" + e.getValue() + " B")
                   .collect(Collectors.joining(", "));
    }

    private static long median(List<Sample> samples) {
        List<Long> sorted = samples.stream().map(Sample::liveHeapBytes).sorted(Comparator.naturalOrder()).toList();
        return sorted.get(sorted.size() / 2);
    }

    /** Runs a short command (bounded) and returns its output; fails on a non-zero exit status. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        AtomicReference<byte[]> output = new AtomicReference<>(new byte[0]);
        Thread reader = new Thread(() -> {
            try {
                output.set(process.getInputStream().readAllBytes());
            } catch (IOException e) {
                // The process ended badly: its exit status tells.
            }
        }, "soak-jcmd-output");
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        String text = new String(output.get(), UTF_8);
        if (process.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + process.exitValue() + "):\n" + text);
        }
        return text;
    }

    private static String summary(Duration duration, double loadSeconds, LoadGenerator load,
                                  List<RequestRecord> records, List<RequestRecord> failed, List<Sample> samples,
                                  long baseline, long last, long allowed, double maxInflight,
                                  double inflightZeroAfter) {
        Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
        records.forEach(r -> outcomes.merge(r.outcome(), 1L, Long::sum));
        double[] latencies = records.stream().filter(r -> !r.outcome().isFailure())
                                    .mapToDouble(RequestRecord::latency).sorted().toArray();
        List<String> heap = new ArrayList<>();
        for (Sample s : samples) {
            heap.add(String.format(Locale.ROOT, "%.0fs:%s", s.atSeconds(), mib(s.liveHeapBytes())));
        }
        return String.format(Locale.ROOT, """
                === Soak: example service (Undertow, H2), %d s requested, load ran %.1f s at %d requests/s over %d \
                connections ===
                requests   %d scheduled, %d completed OK, %d failed %s
                latency    p50 %.1f ms, p99 %.1f ms, max %.1f ms (from the scheduled time)
                reconnects %s
                live heap after full GC (MiB) %s
                heap rule  median of last %d = %s MiB <= median of first %d = %s MiB + max(25%%, 8 MiB) = %s MiB: %s
                grew most  %s
                in-flight  max %.0f while sampling; 0 again %.1f s after the load stopped""",
                duration.toSeconds(), loadSeconds, RATE, CONNECTIONS,
                load.scheduled(), outcomes.getOrDefault(Outcome.OK, 0L), failed.size(), outcomes,
                percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1.0),
                load.reconnects(), String.join(" ", heap),
                COMPARED, mib(last), COMPARED, mib(baseline), mib(baseline + allowed),
                last <= baseline + allowed ? "flat" : "GROWING",
                topGrowth(samples.get(0), samples.get(samples.size() - 1)),
                maxInflight, inflightZeroAfter);
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f", bytes / (1024.0 * 1024.0));
    }
}
