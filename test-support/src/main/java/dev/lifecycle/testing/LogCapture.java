package dev.lifecycle.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what is logged while it is open. slf4j-simple writes to whatever {@code System.err} is at the time of each
 * call (its default target, looked up on every call, not cached), so a tee on {@code System.err} sees every log line
 * and still passes it on. Surefire runs one test at a time per JVM, so one capture at a time is all a test needs.
 *
 * <pre>{@code
 * try (LogCapture log = new LogCapture()) {
 *     lifecycle.shutdown();
 *     assertThat(log.text()).contains("Drained in");
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {

    private final PrintStream original = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream(); // guarded by captured

    /** Starts capturing: replaces {@code System.err} with a tee until {@link #close()}. */
    public LogCapture() {
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (captured) {
                    captured.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (captured) {
                    captured.write(b, off, len);
                }
            }

            @Override
            public void flush() {
                original.flush();
            }
        }, true, StandardCharsets.UTF_8));
    }

    /** Everything logged since the capture began. */
    public String text() {
        synchronized (captured) {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    /** Puts the original {@code System.err} back; {@link #text()} still returns what was captured. */
    @Override
    public void close() {
        System.setErr(original);
    }
}
