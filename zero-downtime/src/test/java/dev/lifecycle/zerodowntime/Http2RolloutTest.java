package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The Netty example service, which speaks h2c, rolled out on the Kubernetes data plane in miniature
 * ({@link DataPlane#KUBE_PROXY}) under an HTTP/2 client ({@link Client#JDK_HTTP2}): one JDK {@code HttpClient}, so one
 * multiplexed connection (h2c by the HTTP/1.1 upgrade) that conntrack keeps on its pod until the pod's graceful
 * {@code GOAWAY} moves it, at a steady rate so that streams are in flight when the {@code GOAWAY} arrives; beside it
 * the raw HTTP/1.1 generator, which reaches every replica.
 *
 * <p>The client runs on a JDK 24 or later found on this machine (Temurin 25 here): before JDK 24 the JDK's client
 * fails the requests it has in flight when any {@code GOAWAY} arrives (JDK-8335181), which users of that client would
 * see with any server.
 */
class Http2RolloutTest {

    private static final Path EXAMPLES_JAR =
            Path.of(System.getProperty("examples.jar", "../examples/target/examples.jar")).toAbsolutePath();
    private static final Path OUTPUT = Path.of(System.getProperty("harness.output", "target/zero-downtime"))
            .toAbsolutePath();
    private static final Duration LAG = Duration.ofSeconds(1);
    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final List<String> MIX = List.of("GET /users?limit=5",
            "POST /users {\"name\":\"h\",\"email\":\"h@example.test\"}", "GET /work?ms=300", "GET /users?limit=1");

    @BeforeAll
    static void prerequisites() {
        assertThat(EXAMPLES_JAR).as("the example service's jar, built by the reactor before this module").exists();
        assertThat(KubeProxy.missingPrerequisite()).as("what the kube-proxy data plane needs (scripts/test installs "
                + "iptables and conntrack)").isNull();
    }

    @Test
    void rollingUpdateOfNettyReplicasLosesNoRequestOfAnHttp2Client() throws Exception {
        Optional<Path> java = javaAtLeast(24);
        Assumptions.assumeTrue(java.isPresent(), "no JDK 24+ under /usr/lib/jvm for the HTTP/2 client "
                + "(JDK-8335181: before 24 the JDK's client fails the requests in flight at a GOAWAY)");
        Path directory = OUTPUT.resolve("h2c-rolling");
        RolloutReport report = harness(directory).http2ClientJava(java.get()).build().run();
        System.out.println(report.summaryTable());

        assertThat(report.violations()).isEmpty();
        assertThat(report.clients()).extracting(RolloutReport.ClientSummary::client)
                .containsExactly("raw", "jdk-httpclient-h2");
        assertThat(report.clients()).allSatisfy(client -> {
            assertThat(client.failures()).as("%s failures", client.client()).isZero();
            assertThat(client.requests()).as("%s: every scheduled request recorded", client.client())
                    .isEqualTo(client.scheduled());
        });
        List<RolloutReport.ReplicaSummary> terminated =
                report.replicas().stream().filter(RolloutReport.ReplicaSummary::terminated).toList();
        assertThat(terminated).hasSize(3).allSatisfy(replica -> {
            assertThat(replica.exitCode()).as("%s exit status", replica.id()).isEqualTo(143);
            assertThat(replica.servedInLagWindow()).as("%s served in its lag window", replica.id()).isPositive();
        });
        // The client's requests went over HTTP/2, and its connection moved from replica to replica.
        List<String[]> h2 = records(report.requestLog(), "jdk-httpclient-h2");
        Map<String, Long> protocols = h2.stream().collect(Collectors.groupingBy(r -> r[11], Collectors.counting()));
        assertThat(protocols.getOrDefault("HTTP_2", 0L)).as("responses by protocol: %s", protocols)
                .isGreaterThan(h2.size() * 9L / 10);
        Map<String, Long> replicas = h2.stream().collect(Collectors.groupingBy(r -> r[7], Collectors.counting()));
        assertThat(replicas).as("replicas that answered the HTTP/2 client").hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    @EnabledIfSystemProperty(named = "zerodowntime.full", matches = "true")
    void jdk17Http2ClientFailsRequestsInFlightWhenGoawayArrives() throws Exception {
        // JDK-8335181, the reason the test above runs its client on JDK 24+: the same rollout with the harness's own
        // JDK 17 client must show the failures this client's users would see with any server sending GOAWAY.
        Assumptions.assumeTrue(Runtime.version().feature() < 24, "the harness runs on JDK 24+: no bug to show");
        RolloutReport report = harness(OUTPUT.resolve("h2c-rolling-jdk" + Runtime.version().feature()))
                .build().run();
        System.out.println(report.summaryTable());

        RolloutReport.ClientSummary h2 = report.clients().get(1);
        assertThat(h2.client()).isEqualTo("jdk-httpclient-h2");
        assertThat(h2.failures()).as("JDK %s's HTTP/2 client: requests failed at a GOAWAY",
                Runtime.version().feature()).isPositive();
        assertThat(report.clients().get(0).failures()).as("raw generator failures").isZero();
    }

    /** The request log's lines of one client, as fields (the client first; the detail is the last). */
    private static List<String[]> records(Path requestLog, String client) throws IOException {
        try (Stream<String> lines = Files.lines(requestLog, StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.startsWith(client + ",")).map(line -> line.split(",", 12)).toList();
        }
    }

    /** The {@code java} of a JDK of at least that feature version under {@code /usr/lib/jvm}, the newest first. */
    static Optional<Path> javaAtLeast(int feature) throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        Function<Path, Integer> version = home -> {
            try {
                for (String line : Files.readAllLines(home.resolve("release"), StandardCharsets.UTF_8)) {
                    if (line.startsWith("JAVA_VERSION=")) {
                        return Integer.parseInt(line.replaceAll("^JAVA_VERSION=\"?(\\d+).*$", "$1"));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not a JDK with a release file
            }
            return 0;
        };
        try (Stream<Path> homes = Files.list(jvms)) {
            return homes.filter(home -> Files.isExecutable(home.resolve("bin/java")))
                    .filter(home -> version.apply(home) >= feature)
                    .max(Comparator.comparing(version))
                    .map(home -> home.resolve("bin/java"));
        }
    }

    private static RolloutHarnessBuilder harness(Path directory) throws Exception {
        if (Files.exists(directory)) {
            try (var files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-Xss512k", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto",
                "-cp", EXAMPLES_JAR.toString(), "dev.lifecycle.examples.NettyExampleService"));
        return RolloutHarness.builder()
                .name("h2c-rolling (Netty, " + DataPlane.KUBE_PROXY + ", LIFECYCLE_PRESTOP_DELAY=2s, lag " + LAG + ")")
                .dataPlane(DataPlane.KUBE_PROXY)
                .command(command)
                .readyFileVariable("LIFECYCLE_READY_FILE")
                .environment("BIND_ADDRESS", "0.0.0.0")
                .environment("DATA_DIR", "data")
                .environment("DATABASE_URL", null)
                .environment("LIFECYCLE_PRESTOP_DELAY", "2s")
                .environment("LIFECYCLE_DRAIN_TIMEOUT", "5s")
                .environment("LIFECYCLE_TERMINATION_GRACE_PERIOD", GRACE.toSeconds() + "s")
                .revisions(List.of(Map.of(), Map.of()))
                .requests(MIX)
                .replicas(3)
                .rate(40)
                .connections(24)
                .clients(Client.JDK_HTTP2)
                .endpointLag(LAG)
                .terminationGracePeriod(GRACE)
                .minReady(Duration.ofSeconds(1))
                .readTimeout(Duration.ofSeconds(15))
                .startTimeout(Duration.ofMinutes(3))
                .workDirectory(directory);
    }
}
