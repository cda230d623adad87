package dev.lifecycle.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;

/**
 * The file an exec readiness probe reads. Exists exactly while the service is ready: written through a temporary file
 * and an atomic move, so a probe never reads a half-written file. Its one line names the process that wrote it,
 * {@code ready <pid> <start> <time>}: the PID, the process's start time in clock ticks since boot (field 22 of
 * {@code /proc/<pid>/stat}, {@code -} where there is no {@code /proc}) and the ISO-8601 instant it was written, so that
 * {@link #probeCommand(Path)} rejects a file left by a killed process.
 */
public final class ReadyFile {

    /** This process's start time in clock ticks since boot, as {@code /proc/<pid>/stat} gives it; {@code -} if unknown. */
    private static final String START_TICKS = startTicks();

    private final Path path;

    /** A ready-file at {@code path}, made absolute so that log lines and errors name it unambiguously. */
    public ReadyFile(Path path) {
        this.path = path.toAbsolutePath();
    }

    /**
     * The exec readiness probe command for a ready-file at {@code path}: succeeds only while the file exists and was
     * written by a process that still runs. It reads the writer's PID and start time from the file and compares the
     * start time with field 22 of {@code /proc/<pid>/stat}, so a file left by a killed process is rejected even when
     * the restarted process got the same PID (PID 1 of a container). Needs a POSIX {@code sh} and Linux's
     * {@code /proc}; spawns no other program.
     */
    public static List<String> probeCommand(Path path) {
        String quoted = "'" + path.toString().replace("'", "'\\''") + "'";
        return List.of("sh", "-c", "read -r state pid start rest < " + quoted + " && [ \"$state\" = ready ]"
                                   + " && read -r stat < /proc/\"$pid\"/stat && set -- ${stat##*) }"
                                   + " && [ \"${20}\" = \"$start\" ]");
    }

    /** The absolute path of the file. */
    public Path path() {
        return path;
    }

    /**
     * Removes a stale file left by a killed process and checks the directory is writable by writing and removing a
     * probe file there.
     *
     * @throws UncheckedIOException naming the path when the directory is missing or not writable, or when the path
     *     is a directory
     */
    public void prepare() {
        Path directory = path.getParent();
        try {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                // deleteIfExists would remove an empty directory: a mistyped path must not cost the user a directory
                throw new IOException(path + " is a directory");
            }
            if (directory == null || !Files.exists(directory)) {
                throw new IOException("directory " + directory + " does not exist");
            }
            if (!Files.isDirectory(directory)) {
                throw new IOException(directory + " is not a directory");
            }
            Files.deleteIfExists(path);
            Path probe = Files.createTempFile(directory, "." + path.getFileName() + ".", ".check");
            Files.delete(probe);
        } catch (IOException e) {
            throw new UncheckedIOException("readyFile: cannot write " + path + ": " + describe(e), e);
        }
    }

    /**
     * Removes a file left by an earlier process, as early as the lifecycle is built, and nothing else: a missing
     * directory or a directory at the path is left for {@link #prepare()} to report.
     *
     * @throws UncheckedIOException naming the path when a stale file exists and cannot be deleted
     */
    public void removeStale() {
        try {
            if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(path)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("readyFile: cannot delete " + path + ": " + describe(e), e);
        }
    }

    /**
     * Writes the file atomically, naming this process: {@code ready <pid> <start> <now>}.
     *
     * @throws UncheckedIOException naming the path when the file cannot be written
     */
    public void writeReady(Instant now) {
        write("ready " + ProcessHandle.current().pid() + ' ' + START_TICKS + ' ' + now + '\n');
    }

    private void write(String content) {
        Path directory = path.getParent();
        Path temporary = null;
        try {
            temporary = Files.createTempFile(directory, "." + path.getFileName() + ".", ".tmp");
            Files.write(temporary, content.getBytes(StandardCharsets.UTF_8));
            try {
                Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            deleteQuietly(temporary);
            throw new UncheckedIOException("readyFile: cannot write " + path + ": " + describe(e), e);
        }
    }

    /**
     * Deletes the file if it exists.
     *
     * @throws UncheckedIOException naming the path when the file exists and cannot be deleted
     */
    public void delete() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("readyFile: cannot delete " + path + ": " + describe(e), e);
        }
    }

    private static String startTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
            // the command name, field 2, is in parentheses and may hold spaces: count fields after the last ") "
            String[] fields = stat.substring(stat.lastIndexOf(") ") + 2).trim().split(" ");
            return fields.length > 19 && fields[19].chars().allMatch(Character::isDigit) ? fields[19] : "-";
        } catch (IOException | RuntimeException e) {
            return "-"; // not Linux: no exec probe in Kubernetes reads this file
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the original failure is the one worth reporting
            }
        }
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }
}
