package dev.lifecycle.core.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The file an {@code exec: cat /path/ready} probe reads. Exists exactly while the service is ready: written through a
 * temporary file and an atomic move, so a probe never reads a half-written file.
 */
public final class ReadyFile {

    private final Path path;

    /** A ready-file at {@code path}, made absolute so that log lines and errors name it unambiguously. */
    public ReadyFile(Path path) {
        this.path = path.toAbsolutePath();
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
     * Writes the file atomically.
     *
     * @throws UncheckedIOException naming the path when the file cannot be written
     */
    public void write(String content) {
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
