package dev.lifecycle.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests: a fresh cluster in a temporary directory, listening only on 127.0.0.1 on a
 * free port, its Unix socket in that directory, trust authentication, durability off for speed. {@link #close()}
 * stops it and deletes the directory; a JVM shutdown hook does the same if a test run is cut short.
 *
 * <p>Uses the binaries of Debian's {@code postgresql} package ({@code /usr/lib/postgresql/<version>/bin}, the newest
 * version when several are installed). PostgreSQL refuses to run as root: when the JVM runs as root, the commands run
 * as the {@code postgres} OS user through {@code runuser}, and the directory is handed to that user.
 *
 * <pre>{@code
 * try (PostgresServer postgres = PostgresServer.start()) {
 *     Connection c = DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), postgres.password());
 * }
 * }</pre>
 */
public final class PostgresServer implements AutoCloseable {

    /** The database that {@link #start()} creates and {@link #jdbcUrl()} points to. */
    public static final String DATABASE = "test";

    private static final Path INSTALL_ROOT = Path.of("/usr/lib/postgresql");
    private static final String SUPERUSER = "postgres";
    private static final String OS_USER = "postgres";
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final int START_ATTEMPTS = 3;

    private final Path bin;
    private final Path directory;
    private final Path dataDirectory;
    private final int port;
    private final boolean asOtherUser;
    private final Thread cleanupHook;
    private boolean closed; // guarded by this

    private PostgresServer(Path bin, Path directory, int port, boolean asOtherUser) {
        this.bin = bin;
        this.directory = directory;
        this.dataDirectory = directory.resolve("data");
        this.port = port;
        this.asOtherUser = asOtherUser;
        this.cleanupHook = new Thread(this::stopAndDelete, "postgres-cleanup-" + port);
    }

    /** Whether the PostgreSQL binaries this class needs are installed. */
    public static boolean isInstalled() {
        return findBinaries().isPresent();
    }

    /**
     * Creates a cluster, starts the server and creates the database {@value #DATABASE}. Each step is bounded (one
     * minute).
     *
     * @throws IllegalStateException if PostgreSQL is not installed or a step fails; the message holds the command's
     *     output
     */
    public static PostgresServer start() {
        Path bin = findBinaries().orElseThrow(() -> new IllegalStateException(
                "PostgreSQL is not installed: no " + INSTALL_ROOT + "/<version>/bin/initdb (apt-get install postgresql)"));
        boolean asOtherUser = "root".equals(System.getProperty("user.name"));
        Path directory;
        try {
            directory = Files.createTempDirectory("postgres-");
            if (asOtherUser) {
                giveToOsUser(directory);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a directory for PostgreSQL", e);
        }
        IllegalStateException failure = null;
        // The port is free when chosen but may be taken before the server binds it: then try another one.
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            PostgresServer server = new PostgresServer(bin, directory, Ports.freePort(), asOtherUser);
            try {
                if (attempt == 1) {
                    server.initdb();
                }
                Runtime.getRuntime().addShutdownHook(server.cleanupHook);
                server.startServer();
                server.createDatabase(DATABASE);
                return server;
            } catch (RuntimeException e) {
                failure = e instanceof IllegalStateException ise ? ise : new IllegalStateException(e.getMessage(), e);
                server.stopQuietly();
                removeHook(server.cleanupHook);
                if (attempt == 1 && !Files.exists(server.dataDirectory.resolve("PG_VERSION"))) {
                    break; // initdb failed: another port will not help
                }
            }
        }
        deleteRecursively(directory);
        throw failure;
    }

    private static Optional<Path> findBinaries() {
        if (!Files.isDirectory(INSTALL_ROOT)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(INSTALL_ROOT)) {
            return versions.map(version -> version.resolve("bin"))
                           .filter(bin -> Files.isExecutable(bin.resolve("initdb"))
                                          && Files.isExecutable(bin.resolve("pg_ctl"))
                                          && Files.isExecutable(bin.resolve("psql")))
                           .max(Comparator.comparing(PostgresServer::majorVersion));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Integer majorVersion(Path bin) {
        try {
            return Integer.valueOf(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void giveToOsUser(Path directory) throws IOException {
        UserPrincipalLookupService lookup = directory.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user = lookup.lookupPrincipalByName(OS_USER);
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(OS_USER);
        PosixFileAttributeView view = Files.getFileAttributeView(directory, PosixFileAttributeView.class);
        view.setOwner(user);
        view.setGroup(group);
    }

    private void initdb() {
        run(List.of(bin.resolve("initdb").toString(), "-D", dataDirectory.toString(), "-U", SUPERUSER,
                    "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"));
    }

    private void startServer() {
        String options = String.join(" ",
                                     "-p", Integer.toString(port),
                                     "-c", "listen_addresses=127.0.0.1",
                                     "-c", "unix_socket_directories=" + directory,
                                     "-c", "fsync=off",
                                     "-c", "synchronous_commit=off",
                                     "-c", "full_page_writes=off",
                                     "-c", "max_connections=100",
                                     "-c", "shared_buffers=32MB");
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDirectory.toString(),
                    "-l", directory.resolve("server.log").toString(), "-o", options,
                    "-w", "-t", Long.toString(COMMAND_TIMEOUT.toSeconds() / 2), "start"));
    }

    /**
     * Creates a database (owned by {@link #user()}); connect to it with {@link #jdbcUrl(String)}.
     *
     * @throws IllegalArgumentException if {@code name} is not a lower-case SQL identifier
     * @throws IllegalStateException if the database cannot be created (for example because it exists)
     */
    public void createDatabase(String name) {
        if (name == null || !DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name: '" + name + "' (expected: " + DATABASE_NAME + ")");
        }
        run(List.of(bin.resolve("psql").toString(), "-h", directory.toString(), "-p", Integer.toString(port),
                    "-U", SUPERUSER, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
                    "-c", "CREATE DATABASE " + name));
    }

    /** The JDBC URL of the database {@value #DATABASE}. */
    public String jdbcUrl() {
        return jdbcUrl(DATABASE);
    }

    /** The JDBC URL of the named database, over TCP on 127.0.0.1. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + '/' + database;
    }

    /** The user to connect as: the cluster's superuser. */
    public String user() {
        return SUPERUSER;
    }

    /** A password to connect with: any password is accepted (trust authentication); this one is never empty. */
    public String password() {
        return "postgres";
    }

    /** The TCP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** The temporary directory that holds the cluster, the Unix socket and {@code server.log}. */
    public Path directory() {
        return directory;
    }

    /** Stops the server ({@code pg_ctl stop -m fast}, bounded) and deletes its directory. Idempotent. */
    @Override
    public void close() {
        removeHook(cleanupHook);
        stopAndDelete();
    }

    private synchronized void stopAndDelete() {
        if (closed) {
            return;
        }
        closed = true;
        stopQuietly();
        deleteRecursively(directory);
    }

    private void stopQuietly() {
        if (!Files.exists(dataDirectory.resolve("postmaster.pid"))) {
            return;
        }
        try {
            run(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDirectory.toString(), "-m", "fast",
                        "-w", "-t", "20", "stop"));
        } catch (RuntimeException e) {
            System.err.println("PostgresServer: " + e.getMessage());
            killPostmaster();
        }
    }

    private void killPostmaster() {
        try {
            String pid = Files.readAllLines(dataDirectory.resolve("postmaster.pid"), UTF_8).get(0).trim();
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | RuntimeException e) {
            System.err.println("PostgresServer: cannot kill the server of " + dataDirectory + ": " + e);
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook runs the cleanup.
        }
    }

    private String run(List<String> command) {
        List<String> full = new ArrayList<>();
        if (asOtherUser) {
            full.addAll(List.of("runuser", "-u", OS_USER, "--"));
        }
        full.addAll(command);
        try {
            Path output = Files.createTempFile("postgres-command-", ".log");
            try {
                Process process = new ProcessBuilder(full)
                        .directory(directory.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(output.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
                if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(command.get(0) + " did not finish within " + COMMAND_TIMEOUT
                                                    + ": " + describe(full, output));
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("exit status " + process.exitValue() + " of "
                                                    + describe(full, output));
                }
                return Files.readString(output, UTF_8);
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run " + full, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + full, e);
        }
    }

    private String describe(List<String> command, Path output) throws IOException {
        StringBuilder text = new StringBuilder(String.join(" ", command)).append('\n')
                .append(Files.readString(output, UTF_8));
        Path serverLog = directory.resolve("server.log");
        if (Files.isReadable(serverLog)) {
            text.append("--- server.log ---\n").append(Files.readString(serverLog, UTF_8));
        }
        return text.toString();
    }

    private static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("PostgresServer: cannot delete " + directory + ": " + e);
        }
    }

    @Override
    public String toString() {
        return "PostgresServer[" + jdbcUrl() + ", " + directory + ']';
    }
}
