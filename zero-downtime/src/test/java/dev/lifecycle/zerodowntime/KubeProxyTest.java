package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kube-proxy data plane itself, with two tiny replicas ({@link PodServer}) in pod namespaces and the raw generator
 * in the node namespace: random DNAT over the endpoints, established connections kept on a removed pod (conntrack),
 * none new to it, and nothing left behind.
 */
class KubeProxyTest {

    private static final Pattern FLOW_TO_POD =
            Pattern.compile("ESTABLISHED src=\\S+ dst=10\\.96\\.0\\.10 .*? src=10\\.233\\.(\\d+)\\.2 ");

    @TempDir
    Path directory;

    private final List<Process> processes = new ArrayList<>();
    private KubeProxy kube;

    @BeforeAll
    static void prerequisites() {
        assertThat(KubeProxy.missingPrerequisite()).as("root, ip, iptables and conntrack (scripts/test installs them)")
                .isNull();
    }

    @AfterEach
    void cleanUp() {
        processes.forEach(Process::destroyForcibly);
        if (kube != null) {
            kube.close();
        }
    }

    @Test
    void rulesAreKubeProxysRandomDnatWithTheLastRuleCatchingTheRest() {
        assertThat(KubeProxy.rules(new java.util.TreeSet<>(Set.of(4, 1, 3)), 8080)).isEqualTo(String.join("\n",
                "*nat",
                ":ZD-SVC - [0:0]",
                "-F ZD-SVC",
                "-A ZD-SVC -p tcp -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination "
                        + "10.233.1.2:8080",
                "-A ZD-SVC -p tcp -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination "
                        + "10.233.3.2:8080",
                "-A ZD-SVC -p tcp -j DNAT --to-destination 10.233.4.2:8080",
                "COMMIT", ""));
    }

    @Test
    void removedEndpointKeepsItsEstablishedConnectionButGetsNoNewOne() throws Exception {
        kube = KubeProxy.create(2, 8080);
        startPod(1, "a");
        startPod(2, "b");
        kube.addEndpoint(1);
        kube.addEndpoint(2);
        assertThat(kube.natTable()).contains("-A OUTPUT -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j ZD-SVC",
                "--to-destination 10.233.1.2:8080", "--to-destination 10.233.2.2:8080");

        ExternalClient pinned = client("pinned", 1);
        pinned.awaitStarted(Duration.ofSeconds(120));
        int[] pod = new int[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Matcher m = FLOW_TO_POD.matcher(kube.conntrack());
            if (m.find()) {
                pod[0] = Integer.parseInt(m.group(1));
                return true;
            }
            return false;
        });
        String kept = pod[0] == 1 ? "a" : "b";
        String other = pod[0] == 1 ? "b" : "a";

        kube.removeEndpoint(pod[0]);
        ExternalClient fresh = client("fresh", 8);
        fresh.awaitStarted(Duration.ofSeconds(120));
        await().atMost(Duration.ofSeconds(30)).until(() -> establishedFlows() >= 1 + 8);
        ClientRecords freshRecords = fresh.stop(Duration.ofSeconds(30));
        ClientRecords pinnedRecords = pinned.stop(Duration.ofSeconds(30));

        assertThat(pinnedRecords.records).isNotEmpty().allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.replica()).as("the established connection stays on its pod").isEqualTo(kept);
        });
        assertThat(freshRecords.records).isNotEmpty().allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.replica()).as("new connections only to the remaining endpoint").isEqualTo(other);
        });
        assertThat(kube.endpoints()).containsExactly(pod[0] == 1 ? 2 : 1);
    }

    @Test
    void newConnectionsAreSpreadOverTheEndpointsAtRandom() throws Exception {
        kube = KubeProxy.create(2, 8080);
        startPod(1, "a");
        startPod(2, "b");
        kube.addEndpoint(1);
        kube.addEndpoint(2);

        // 16 connections all on one pod by chance: 2 x 2^-16
        ExternalClient spread = client("spread", 16);
        spread.awaitStarted(Duration.ofSeconds(120));
        await().atMost(Duration.ofSeconds(30)).until(() -> establishedFlows() >= 16);
        ClientRecords records = spread.stop(Duration.ofSeconds(30));

        assertThat(records.records).extracting(RequestRecord::replica).contains("a", "b");
        assertThat(records.failures()).isZero();
    }

    @Test
    void namespacesAreDeletedAtCloseAndThoseOfAKilledRunByTheNextOne() throws Exception {
        String leftover = "zd-999999999-1-node"; // above any pid: its run is surely gone
        KubeProxy.run("ip", "netns", "add", leftover);

        kube = KubeProxy.create(1, 8080);
        String node = kube.node();
        assertThat(KubeProxy.run("ip", "netns", "list")).contains(node, kube.pod(1)).doesNotContain(leftover);

        kube.close();
        kube = null;

        assertThat(KubeProxy.run("ip", "netns", "list")).doesNotContain(node);
    }

    private long establishedFlows() throws Exception {
        return kube.conntrack().lines().filter(line -> line.contains("ESTABLISHED")
                && line.contains("dst=10.96.0.10")).count();
    }

    private void startPod(int slot, String name) throws Exception {
        Process process = new ProcessBuilder(kube.inPod(slot, List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), PodServer.class.getName(), name, "8080")))
                .redirectErrorStream(true).start();
        processes.add(process);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        // readLine blocks until the server prints, bounded by PodServer's own 120 s limit
        assertThat(out.readLine()).as("pod %s started", name).isEqualTo(PodServer.LISTENING);
    }

    private ExternalClient client(String name, int connections) throws Exception {
        ExternalClient client = ExternalClient.java("raw", kube.inNode(List.of()), KubeProxy.SERVICE_ADDRESS,
                KubeProxy.SERVICE_PORT, 40, connections, 0, 0, Duration.ofSeconds(1), Duration.ofSeconds(5),
                List.of("GET /x"), "X-Instance", new Timeline(), directory.resolve(name));
        processes.add(client.process);
        return client;
    }
}
