package dev.lifecycle.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service running as a child process, for end-to-end tests: its standard output and error go, merged, to a log
 * file and to memory, where {@link #awaitLine(Pattern, Duration)} finds them. Every wait is bounded and, when the
 * bound is hit, fails with an {@link AssertionError} carrying the end of the output.
 *
 * <pre>{@code
 * try (ServiceProcess service = ServiceProcess.builder(List.of(ServiceProcess.javaExecutable(), "-jar", jar))
 *         .environment(Map.of("PORT", "0"))
 *         .start()) {
 *     int port = Integer.parseInt(service.awaitLine(Pattern.compile("Listening on http://[^:]+:(\\d+)"),
 *                                                   Duration.ofSeconds(30)).group(1));
 *     service.signal("TERM");
 *     assertThat(service.awaitExit(Duration.ofSeconds(30))).isEqualTo(143);
 * }
 * }</pre>
 */
public final class ServiceProcess implements AutoCloseable {

    private static final Set<String> SIGNALS = Set.of("TERM", "INT", "KILL", "HUP", "QUIT", "STOP", "CONT");
    private static final int TAIL_LINES = 60;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final Process process;
    private final Path logFile;
    private final Writer log;
    private final List<String> lines = new ArrayList<>(); // guarded by lines
    private final Thread reader;
    private final boolean standardInput;
    private boolean outputEnded; // guarded by lines

    private ServiceProcess(Process process, Path logFile, Writer log, boolean standardInput) {
        this.process = process;
        this.standardInput = standardInput;
        this.logFile = logFile;
        this.log = log;
        reader = new Thread(this::readOutput, "service-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** Returns a builder for a process running {@code command} (the program and its arguments). */
    public static Builder builder(List<String> command) {
        requireNonNull(command, "command cannot be null");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command: [] (expected: a program and its arguments)");
        }
        return new Builder(List.copyOf(command));
    }

    /** The {@code java} executable of the running JVM, to start a child JVM of the same version. */
    public static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Builds and starts a {@link ServiceProcess}. */
    public static final class Builder {

        private final List<String> command;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final List<String> removed = new ArrayList<>();
        private Path directory;
        private Path logFile;
        private boolean standardInput;

        private Builder(List<String> command) {
            this.command = command;
        }

        /**
         * Adds variables to the environment, which is otherwise inherited from this JVM. A later call wins for the
         * same name.
         */
        public Builder environment(Map<String, String> variables) {
            requireNonNull(variables, "variables cannot be null");
            variables.forEach(this::environment);
            return this;
        }

        /** Sets one environment variable. */
        public Builder environment(String name, String value) {
            requireNonNull(name, "name cannot be null");
            requireNonNull(value, "value cannot be null");
            removed.remove(name);
            environment.put(name, value);
            return this;
        }

        /** Removes inherited variables, so that, for example, a {@code DATABASE_URL} of the test run cannot leak. */
        public Builder removeEnvironment(String... names) {
            for (String name : names) {
                requireNonNull(name, "name cannot be null");
                environment.remove(name);
                removed.add(name);
            }
            return this;
        }

        /** The working directory. The default is this JVM's working directory. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory cannot be null");
            return this;
        }

        /** Where to write the merged output. The default is a new temporary file, see {@link #logFile()}. */
        public Builder logFile(Path logFile) {
            this.logFile = requireNonNull(logFile, "logFile cannot be null");
            return this;
        }

        /**
         * Connects the standard input to a pipe that {@link ServiceProcess#writeInput(String)} writes to. The default
         * is {@code /dev/null}, so that a process reading it sees the end of the stream at once.
         */
        public Builder pipeStandardInput() {
            standardInput = true;
            return this;
        }

        /**
         * Starts the process.
         *
         * @throws UncheckedIOException if the log file cannot be created or the program cannot be started
         */
        public ServiceProcess start() {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            if (!standardInput) {
                builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            removed.forEach(builder.environment()::remove);
            builder.environment().putAll(environment);
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            Writer log = null;
            try {
                Path file = logFile != null ? logFile : Files.createTempFile("service-", ".log");
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                log = Files.newBufferedWriter(file, UTF_8);
                return new ServiceProcess(builder.start(), file, log, standardInput);
            } catch (IOException e) {
                if (log != null) {
                    try {
                        log.close();
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw new UncheckedIOException("Cannot start " + command, e);
            }
        }
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
                log.write(line);
                log.write('\n');
                log.flush();
            }
        } catch (IOException e) {
            // The stream closes when the process is destroyed: the output ends here.
        } finally {
            try {
                log.close();
            } catch (IOException ignored) {
                // Nothing left to save.
            }
            synchronized (lines) {
                outputEnded = true;
                lines.notifyAll();
            }
        }
    }

    /**
     * Waits for a line of output (from the first line on, including lines already printed) in which {@code pattern}
     * is found, and returns the match.
     *
     * @throws AssertionError if no such line appears within {@code timeout} or before the output ends (the process
     *     exited); the message holds the end of the output
     */
    public MatchResult awaitLine(Pattern pattern, Duration timeout) {
        requireNonNull(pattern, "pattern cannot be null");
        long deadline = System.nanoTime() + timeout.toNanos();
        int next = 0;
        synchronized (lines) {
            while (true) {
                for (; next < lines.size(); next++) {
                    Matcher matcher = pattern.matcher(lines.get(next));
                    if (matcher.find()) {
                        return matcher.toMatchResult();
                    }
                }
                if (outputEnded) {
                    throw new AssertionError("No line matching '" + pattern + "': the output ended"
                                             + exitDescription() + "\n" + tail());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("No line matching '" + pattern + "' within " + timeout + "\n" + tail());
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lines, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("Interrupted while waiting for '" + pattern + "'", e);
                }
            }
        }
    }

    private String exitDescription() {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? " (exit status " + process.exitValue() + ")" : "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The output so far, one line per line. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** The output so far, as one string. */
    public String output() {
        return String.join("\n", lines());
    }

    private String tail() {
        List<String> all = lines();
        List<String> tail = all.subList(Math.max(0, all.size() - TAIL_LINES), all.size());
        return "--- last " + tail.size() + " line(s) of output (full log: " + logFile + ") ---\n"
               + String.join("\n", tail);
    }

    /** The file that receives the merged standard output and error. */
    public Path logFile() {
        return logFile;
    }

    /**
     * Writes {@code text} (UTF-8) to the standard input and flushes it.
     *
     * @throws IllegalStateException if the builder did not {@linkplain Builder#pipeStandardInput() pipe} the standard
     *     input
     * @throws UncheckedIOException if the process no longer reads it
     */
    public void writeInput(String text) {
        requireNonNull(text, "text cannot be null");
        if (!standardInput) {
            throw new IllegalStateException("The standard input of process " + process.pid()
                                            + " is /dev/null (expected: Builder.pipeStandardInput())");
        }
        try {
            process.getOutputStream().write(text.getBytes(UTF_8));
            process.getOutputStream().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write to the standard input of process " + process.pid(), e);
        }
    }

    /** The process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Sends a signal with {@code kill -s}, as Kubernetes' kubelet does.
     *
     * @param signal the signal's name without {@code SIG}: {@code TERM}, {@code INT}, {@code KILL}, ...
     * @throws IllegalArgumentException for an unknown signal name
     * @throws IllegalStateException if {@code kill} fails (for example because the process has already exited)
     */
    public void signal(String signal) {
        requireNonNull(signal, "signal cannot be null");
        if (!SIGNALS.contains(signal)) {
            throw new IllegalArgumentException("signal: '" + signal + "' (expected: one of " + SIGNALS + ")");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), UTF_8).trim();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new IllegalStateException("kill -s " + signal + " " + process.pid() + " did not finish");
            }
            if (kill.exitValue() != 0) {
                throw new IllegalStateException("kill -s " + signal + " " + process.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while sending SIG" + signal, e);
        }
    }

    /**
     * Waits for the process to exit and returns its exit status; 128 + n when signal n ended it (143 for SIGTERM).
     * Waits also for the output to be read to the end, so that {@link #output()} is complete.
     *
     * @throws AssertionError if the process is still running after {@code timeout}
     */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("Process " + process.pid() + " still running after " + timeout + "\n"
                                         + tail());
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while waiting for process " + process.pid(), e);
        }
    }

    /** Kills the process and its descendants if they are still running, and waits (bounded) for them to end. */
    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            reader.join(CLOSE_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ServiceProcess[pid " + process.pid() + (process.isAlive() ? ", running" : ", exited") + ']';
    }
}
