package dev.lifecycle.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes Service's data plane on one machine, as kube-proxy builds it in iptables mode: every pod a network
 * namespace with its own address ({@code 10.233.<slot>.2}) and the same port; a "node" namespace where clients run and
 * where the Service {@code 10.96.0.10:80} is a nat chain of DNAT rules, one per ready endpoint, each new connection
 * choosing one at random ({@code -m statistic --mode random}); conntrack keeps an established connection on its pod
 * after the endpoint is gone, so keep-alive clients stay pinned to a terminating pod until it closes the connection.
 *
 * <p>Endpoints are rewritten atomically with {@code iptables-restore --noflush}, as kube-proxy does. Namespaces are
 * named {@code zd-<pid>-<run>-...} so two runs never collide and {@link #deleteLeftovers()} can remove those of a run
 * whose JVM is gone; veths are created inside the node namespace, so nothing touches the machine's own network.
 * Addresses are private and exist only inside these namespaces. Needs root, {@code ip} and {@code iptables}.
 */
final class KubeProxy implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(KubeProxy.class);
    static final String SERVICE_ADDRESS = "10.96.0.10";
    static final int SERVICE_PORT = 80;
    static final String CHAIN = "ZD-SVC";
    private static final Pattern OURS = Pattern.compile("^zd-(\\d+)-\\d+-(?:node|p\\d+)$");
    private static final AtomicInteger runs = new AtomicInteger();
    private static final long COMMAND_TIMEOUT_SECONDS = 15;

    private final String prefix;
    private final int slots;
    private final int podPort;
    private final Set<Integer> endpoints = new TreeSet<>();
    private final List<String> created = new ArrayList<>();

    private KubeProxy(String prefix, int slots, int podPort) {
        this.prefix = prefix;
        this.slots = slots;
        this.podPort = podPort;
    }

    /** Creates the node and {@code slots} pod namespaces and the Service with no endpoint. */
    static KubeProxy create(int slots, int podPort) throws IOException, InterruptedException {
        if (slots < 1 || slots > 250) {
            throw new IllegalArgumentException("slots: " + slots + " (expected: 1..250)");
        }
        deleteLeftovers();
        KubeProxy proxy = new KubeProxy("zd-" + ProcessHandle.current().pid() + '-' + runs.incrementAndGet(), slots,
                podPort);
        long started = System.nanoTime();
        try {
            String node = proxy.node();
            proxy.namespace(node);
            run("ip", "-n", node, "link", "set", "lo", "up");
            for (int slot = 1; slot <= slots; slot++) {
                String pod = proxy.pod(slot);
                proxy.namespace(pod);
                run("ip", "-n", node, "link", "add", "v" + slot, "type", "veth", "peer", "name", "eth0", "netns", pod);
                run("ip", "-n", node, "addr", "add", "10.233." + slot + ".1/24", "dev", "v" + slot);
                run("ip", "-n", node, "link", "set", "v" + slot, "up");
                run("ip", "-n", pod, "addr", "add", podAddress(slot) + "/24", "dev", "eth0");
                run("ip", "-n", pod, "link", "set", "eth0", "up");
                run("ip", "-n", pod, "link", "set", "lo", "up");
                run("ip", "-n", pod, "route", "add", "default", "via", "10.233." + slot + ".1");
            }
            run("ip", "netns", "exec", node, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            // Locally generated packets need some route before the nat OUTPUT chain rewrites their destination.
            run("ip", "-n", node, "route", "add", "default", "via", podAddress(1), "dev", "v1");
            run("ip", "netns", "exec", node, "iptables", "-t", "nat", "-N", CHAIN);
            run("ip", "netns", "exec", node, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", SERVICE_ADDRESS + "/32",
                    "-p", "tcp", "--dport", Integer.toString(SERVICE_PORT), "-j", CHAIN);
            logger.info("kube-proxy data plane {}: node and {} pod namespaces, Service {}:{}, in {} ms", proxy.prefix,
                    slots, SERVICE_ADDRESS, SERVICE_PORT, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return proxy;
        } catch (IOException | RuntimeException | InterruptedException e) {
            proxy.close();
            throw e;
        }
    }

    private void namespace(String name) throws IOException, InterruptedException {
        run("ip", "netns", "add", name);
        created.add(name);
    }

    String node() {
        return prefix + "-node";
    }

    String pod(int slot) {
        checkSlot(slot);
        return prefix + "-p" + slot;
    }

    int slots() {
        return slots;
    }

    static String podAddress(int slot) {
        return "10.233." + slot + ".2";
    }

    /** The command, run in the node's namespace; {@code ip netns exec} execs it, so its pid is the command's. */
    List<String> inNode(List<String> command) {
        return in(node(), command);
    }

    /** The command, run in the pod's namespace (as its container's process 1). */
    List<String> inPod(int slot, List<String> command) {
        return in(pod(slot), command);
    }

    private static List<String> in(String namespace, List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(command);
        return full;
    }

    /** Adds a pod to the Service's endpoints, as when its readiness probe passes. */
    synchronized void addEndpoint(int slot) throws IOException, InterruptedException {
        checkSlot(slot);
        endpoints.add(slot);
        writeRules();
    }

    /** Removes a pod from the endpoints; its established connections stay (conntrack). */
    synchronized void removeEndpoint(int slot) throws IOException, InterruptedException {
        checkSlot(slot);
        endpoints.remove(slot);
        writeRules();
    }

    synchronized Set<Integer> endpoints() {
        return Set.copyOf(endpoints);
    }

    /** The nat rules for the current endpoints, in the form kube-proxy writes them. */
    static String rules(Set<Integer> endpoints, int podPort) {
        StringBuilder rules = new StringBuilder("*nat\n:" + CHAIN + " - [0:0]\n-F " + CHAIN + "\n");
        int n = endpoints.size();
        int k = 0;
        for (int slot : endpoints) {
            rules.append("-A ").append(CHAIN).append(" -p tcp");
            if (k < n - 1) {
                rules.append(String.format(Locale.ROOT, " -m statistic --mode random --probability %.10f",
                        1.0 / (n - k)));
            }
            rules.append(" -j DNAT --to-destination ").append(podAddress(slot)).append(':').append(podPort)
                    .append('\n');
            k++;
        }
        return rules.append("COMMIT\n").toString();
    }

    private void writeRules() throws IOException, InterruptedException {
        String rules = rules(endpoints, podPort);
        Process process = new ProcessBuilder("ip", "netns", "exec", node(), "iptables-restore", "--noflush")
                .redirectErrorStream(true).start();
        process.getOutputStream().write(rules.getBytes(StandardCharsets.US_ASCII));
        process.getOutputStream().close();
        finish(process, "iptables-restore --noflush <<" + rules.replace('\n', ';'));
    }

    /** {@code iptables-save -t nat} of the node, for diagnostics and tests. */
    String natTable() throws IOException, InterruptedException {
        return run("ip", "netns", "exec", node(), "iptables-save", "-t", "nat");
    }

    /** {@code conntrack -L -p tcp} of the node: the flows kept on their pods. */
    String conntrack() throws IOException, InterruptedException {
        return run("ip", "netns", "exec", node(), "conntrack", "-L", "-p", "tcp");
    }

    private void checkSlot(int slot) {
        if (slot < 1 || slot > slots) {
            throw new IllegalArgumentException("slot: " + slot + " (expected: 1.." + slots + ")");
        }
    }

    /** Kills whatever still runs in our namespaces, then deletes them (their veths go with them). */
    @Override
    public void close() {
        for (int i = created.size() - 1; i >= 0; i--) {
            delete(created.get(i));
        }
        created.clear();
    }

    private static void delete(String namespace) {
        try {
            String pids = run("ip", "netns", "pids", namespace);
            for (String pid : pids.split("\\s+")) {
                if (!pid.isBlank()) {
                    ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
            run("ip", "netns", "del", namespace);
        } catch (IOException | RuntimeException e) {
            logger.warn("could not delete network namespace {}: {}", namespace, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            logger.warn("interrupted while deleting network namespace {}", namespace);
        }
    }

    /** Deletes the namespaces of runs whose JVM is gone (a run that was killed could not clean up). */
    static void deleteLeftovers() throws IOException, InterruptedException {
        for (String line : run("ip", "netns", "list").split("\n")) {
            String name = line.trim().split("\\s+")[0];
            Matcher m = OURS.matcher(name);
            if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).map(p -> !p.isAlive()).orElse(true)) {
                logger.info("deleting network namespace {} left by a run that was killed", name);
                delete(name);
            }
        }
    }

    /** Whether this machine can build the data plane: root, and {@code ip}, {@code iptables}, {@code conntrack}. */
    static String missingPrerequisite() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not root (network namespaces and iptables need root)";
        }
        for (String tool : List.of("ip", "iptables", "iptables-restore", "conntrack")) {
            boolean found = false;
            for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
                found |= Files.isExecutable(Path.of(dir, tool));
            }
            if (!found) {
                return tool + " not installed (apt-get install iptables conntrack iproute2)";
            }
        }
        return null;
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        return finish(process, String.join(" ", command));
    }

    private static String finish(Process process, String description) throws IOException, InterruptedException {
        byte[] output;
        try (var in = process.getInputStream()) {
            output = in.readAllBytes();
        }
        if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(description + ": still running after " + COMMAND_TIMEOUT_SECONDS + " s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(description + ": exit " + process.exitValue() + ": " + text.strip());
        }
        return text;
    }
}
