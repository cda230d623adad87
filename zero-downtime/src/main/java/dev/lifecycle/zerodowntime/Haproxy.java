package dev.lifecycle.zerodowntime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real HAProxy in front of the replicas, configured to behave like kube-proxy for our purpose: {@code mode tcp}
 * (connections are balanced, requests are not looked at, so {@code Connection: close} reaches the client),
 * {@code retries 0}, no redispatch, no {@code retry-on}, and sessions on a server that leaves are never shut down.
 *
 * <p>The backend declares a fixed number of server slots, all pointing at port 1 of the loopback address, with active
 * HTTP checks of the readiness path. Right after start every slot is forced DOWN through the admin socket; a replica
 * enters by setting its slot's port, and HAProxy itself puts it in rotation once a check answers 200: the check is
 * the readiness probe. (Slots are never taken out of maintenance: HAProxy marks a server leaving maintenance UP at once,
 * before any check.) A replica leaves by putting its slot in maintenance, as the endpoint controller removes a
 * terminating pod; established connections stay, as conntrack keeps them.
 *
 * <p>DOWN servers are checked every {@code downinter} (200 ms), so a new replica enters soon after it is ready. Once
 * a replica is in rotation, {@link #holdInRotation(int)} stops its checks ({@code disable health}): from then on only
 * the harness removes it, at the endpoint lag, as only the endpoint controller removes a terminating pod. A replica's
 * own readiness flip at SIGTERM can then never take it out first, however slow the machine: no arithmetic of check
 * intervals against the lag is involved.
 */
final class Haproxy implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(Haproxy.class);
    static final String BACKEND = "replicas";

    /** One server slot as {@code show stat} reports it. */
    record ServerStatus(String name, String status, int currentSessions, long totalSessions, String address) {
        /** In rotation: UP by its checks, or held there with its checks stopped ("no check"). */
        boolean isUp() {
            return status.startsWith("UP") || isHeld();
        }

        /** In rotation with its checks stopped by {@link Haproxy#holdInRotation(int)}. */
        boolean isHeld() {
            return status.equals("no check");
        }

        boolean isDown() {
            return status.startsWith("DOWN");
        }

        boolean isInMaintenance() {
            return status.startsWith("MAINT");
        }
    }

    private final Process process;
    private final Path directory;
    private final Path adminSocket;
    private final InetSocketAddress frontend;
    private final int slots;

    private Haproxy(Process process, Path directory, Path adminSocket, InetSocketAddress frontend, int slots) {
        this.process = process;
        this.directory = directory;
        this.adminSocket = adminSocket;
        this.frontend = frontend;
        this.slots = slots;
    }

    /**
     * Writes the configuration into {@code directory}, starts {@code haproxy} in the foreground, waits for its admin
     * socket and forces every slot DOWN.
     */
    static Haproxy start(String binary, Path directory, String readinessPath, int slots, Duration checkInterval,
                         int checkFall) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        long started = System.nanoTime();
        IOException lastFailure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            // The port is free when we look and taken by HAProxy moments later; another process may win that race,
            // so we try a few times.
            int port = freePort();
            Path admin = directory.resolve("admin.sock");
            if (admin.toString().length() > 100) {
                // UNIX socket paths are limited to about 108 bytes
                admin = Files.createTempDirectory("haproxy").resolve("admin.sock");
            }
            Files.deleteIfExists(admin);
            Path config = directory.resolve("haproxy.cfg");
            Files.writeString(config, config(admin, port, readinessPath, slots, checkInterval, checkFall));
            Process process = new ProcessBuilder(binary, "-db", "-f", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("haproxy.log").toFile()))
                    .start();
            Haproxy haproxy = new Haproxy(process, directory, admin, new InetSocketAddress("127.0.0.1", port), slots);
            try {
                haproxy.awaitAdminSocket(Duration.ofSeconds(10));
                for (int slot = 1; slot <= slots; slot++) {
                    haproxy.command("set server " + server(slot) + " health down");
                }
                haproxy.awaitStatus(Duration.ofSeconds(5), s -> s.isDown(), allSlots(slots));
                logger.info("HAProxy on {} with {} server slots, up in {} ms", haproxy.frontend, slots,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                return haproxy;
            } catch (IOException | RuntimeException e) {
                haproxy.close();
                lastFailure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            }
        }
        throw new IOException("HAProxy did not start; see " + directory.resolve("haproxy.log"), lastFailure);
    }

    static String config(Path adminSocket, int port, String readinessPath, int slots, Duration checkInterval,
                         int checkFall) {
        StringBuilder config = new StringBuilder()
                .append("global\n")
                .append("  stats socket ").append(adminSocket).append(" mode 600 level admin\n")
                .append("  maxconn 4096\n")
                .append("defaults\n")
                .append("  mode tcp\n")
                .append("  retries 0\n")
                .append("  no option redispatch\n")
                .append("  timeout connect 2s\n")
                .append("  timeout client 60s\n")
                .append("  timeout server 60s\n")
                .append("  timeout check 2s\n")
                .append("frontend entry\n")
                .append("  bind 127.0.0.1:").append(port).append('\n')
                .append("  default_backend ").append(BACKEND).append('\n')
                .append("backend ").append(BACKEND).append('\n')
                .append("  balance roundrobin\n")
                .append("  option httpchk GET ").append(readinessPath).append('\n')
                .append("  http-check expect status 200\n")
                .append("  default-server check inter ").append(checkInterval.toMillis())
                .append("ms fastinter ").append(checkInterval.toMillis())
                .append("ms downinter 200ms rise 1 fall ").append(checkFall).append('\n');
        for (int slot = 1; slot <= slots; slot++) {
            config.append("  server ").append(slotName(slot)).append(" 127.0.0.1:1\n");
        }
        return config.toString();
    }

    /** {@code haproxy} on the {@code PATH}, else Debian's {@code /usr/sbin/haproxy} (not on a user's PATH). */
    static String defaultBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "haproxy"))) {
                return Path.of(dir, "haproxy").toString();
            }
        }
        return "/usr/sbin/haproxy";
    }

    static String slotName(int slot) {
        return "s" + slot;
    }

    private static String server(int slot) {
        return BACKEND + '/' + slotName(slot);
    }

    private static String[] allSlots(int slots) {
        String[] names = new String[slots];
        for (int i = 0; i < slots; i++) {
            names[i] = slotName(i + 1);
        }
        return names;
    }

    /** Where clients connect. */
    InetSocketAddress frontend() {
        return frontend;
    }

    Path directory() {
        return directory;
    }

    int slots() {
        return slots;
    }

    /** Points a slot at a replica; HAProxy puts it in rotation when a check of the readiness path answers 200. */
    void route(int slot, int port) throws IOException {
        checkSlot(slot);
        String answer = command("set server " + server(slot) + " addr 127.0.0.1 port " + port);
        if (!answer.contains("port changed") && !answer.contains("addr changed") && !answer.isBlank()) {
            throw new IOException("HAProxy refused to route " + server(slot) + " to port " + port + ": " + answer);
        }
    }

    /**
     * Stops the health checks of a slot that is in rotation; it stays UP until {@link #remove(int)}.
     *
     * @throws IOException if HAProxy refuses, or the slot is not UP
     */
    void holdInRotation(int slot) throws IOException {
        checkSlot(slot);
        String answer = command("disable health " + server(slot));
        if (!answer.isBlank()) {
            throw new IOException("HAProxy refused to stop the checks of " + server(slot) + ": " + answer);
        }
        ServerStatus status = server(slotName(slot));
        if (!status.isHeld()) {
            throw new IOException(server(slot) + " not in rotation when its checks stopped: " + status.status());
        }
    }

    /** Takes a slot out of rotation for new connections; its established connections stay. */
    void remove(int slot) throws IOException {
        checkSlot(slot);
        String answer = command("set server " + server(slot) + " state maint");
        if (!answer.isBlank()) {
            throw new IOException("HAProxy refused to remove " + server(slot) + ": " + answer);
        }
    }

    private void checkSlot(int slot) {
        if (slot < 1 || slot > slots) {
            throw new IllegalArgumentException("slot: " + slot + " (expected: 1.." + slots + ")");
        }
    }

    /** The server slots as {@code show stat} reports them, by name. */
    Map<String, ServerStatus> servers() throws IOException {
        String[] lines = command("show stat").split("\n");
        if (lines.length == 0 || !lines[0].startsWith("# ")) {
            throw new IOException("unexpected answer to show stat: " + String.join("\n", lines));
        }
        List<String> header = Arrays.asList(lines[0].substring(2).split(","));
        int proxy = header.indexOf("pxname");
        int name = header.indexOf("svname");
        int status = header.indexOf("status");
        int current = header.indexOf("scur");
        int total = header.indexOf("stot");
        int address = header.indexOf("addr");
        Map<String, ServerStatus> servers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] fields = lines[i].split(",", -1);
            if (fields.length > status && fields[proxy].equals(BACKEND)
                    && !fields[name].equals("BACKEND") && !fields[name].equals("FRONTEND")) {
                servers.put(fields[name], new ServerStatus(fields[name], fields[status],
                        Integer.parseInt(fields[current]), Long.parseLong(fields[total]),
                        address >= 0 && address < fields.length ? fields[address] : ""));
            }
        }
        return servers;
    }

    ServerStatus server(String name) throws IOException {
        ServerStatus status = servers().get(name);
        if (status == null) {
            throw new IOException("HAProxy has no server " + name);
        }
        return status;
    }

    /**
     * Waits until every named slot satisfies {@code condition}. HAProxy offers no event for a check result, so this
     * reads {@code show stat} every 20 ms, within {@code timeout}.
     */
    void awaitStatus(Duration timeout, Predicate<ServerStatus> condition, String... names)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("HAProxy exited with " + process.exitValue() + "; see "
                        + directory.resolve("haproxy.log"));
            }
            Map<String, ServerStatus> servers = servers();
            List<String> pending = new ArrayList<>();
            for (String name : names) {
                ServerStatus s = servers.get(name);
                if (s == null || !condition.test(s)) {
                    pending.add(s == null ? name + " (missing)" : name + " (" + s.status() + ")");
                }
            }
            if (pending.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("HAProxy servers not in the expected state within " + timeout + ": " + pending);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private void awaitAdminSocket(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("HAProxy exited with " + process.exitValue() + ": "
                        + Files.readString(directory.resolve("haproxy.log")).strip());
            }
            if (Files.exists(adminSocket)) {
                try {
                    command("show info");
                    return;
                } catch (IOException notYet) {
                    // listening socket file created before listen(): try again
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("HAProxy admin socket not ready within " + timeout);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    /** Sends one command on the admin socket and returns HAProxy's whole answer. */
    String command(String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(adminSocket));
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(16 * 1024);
            while (channel.read(in) >= 0) {
                answer.write(in.array(), 0, in.position());
                in.clear();
            }
            return answer.toString(StandardCharsets.UTF_8).strip();
        }
    }

    /** Stops HAProxy (SIGTERM: immediate stop) and waits for it, at most 5 s before SIGKILL. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                logger.warn("HAProxy still running 5 s after SIGTERM; killing it");
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
