package dev.lifecycle.core.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and formats the durations of the configuration: {@code 0}, {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, ISO-8601 {@code PT5S}. */
public final class Durations {

    private static final Pattern SIMPLE = Pattern.compile("(-?\\d+)\\s*(ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses {@code text} for the setting {@code name}.
     *
     * @throws IllegalArgumentException naming the setting and the value when it is unparsable, overflows or is
     *     negative
     */
    public static Duration parse(String name, String text) {
        String trimmed = text.trim().toLowerCase(Locale.ROOT);
        Duration duration;
        try {
            duration = parseOrNull(trimmed);
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(
                    name + ": '" + text + "' (expected: a duration that fits in a long of nanoseconds)", e);
        }
        if (duration == null) {
            throw new IllegalArgumentException(
                    name + ": '" + text + "' (expected: a duration such as 0, 500ms, 5s, 2m, 1h or PT5S)");
        }
        return requireNonNegative(name, duration);
    }

    private static Duration parseOrNull(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = SIMPLE.matcher(text);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            Duration duration;
            switch (matcher.group(2)) {
                case "ms":
                    duration = Duration.ofMillis(amount);
                    break;
                case "s":
                    duration = Duration.ofSeconds(amount);
                    break;
                case "m":
                    duration = Duration.ofMinutes(amount);
                    break;
                default:
                    duration = Duration.ofHours(amount);
                    break;
            }
            duration.toNanos(); // overflow check: waits are in nanoseconds
            return duration;
        }
        if (text.startsWith("pt") || text.startsWith("-pt") || text.startsWith("p")) {
            Duration duration = Duration.parse(text.toUpperCase(Locale.ROOT));
            duration.toNanos();
            return duration;
        }
        return null;
    }

    /**
     * Returns {@code duration} unless it is negative or too long to wait for in nanoseconds.
     *
     * @throws IllegalArgumentException {@code "name: PT-1S (expected: >= 0)"}
     */
    public static Duration requireNonNegative(String name, Duration duration) {
        if (duration == null) {
            throw new NullPointerException(name + " cannot be null");
        }
        if (duration.isNegative()) {
            throw new IllegalArgumentException(name + ": " + duration + " (expected: >= 0)");
        }
        try {
            duration.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(name + ": " + duration + " (expected: <= " + Long.MAX_VALUE + " ns)");
        }
        return duration;
    }

    /** Formats for a log line: {@code 250 ms}, {@code 1.5 s}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + " ms";
        }
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** Formats nanoseconds like {@link #format(Duration)}. */
    public static String formatNanos(long nanos) {
        return format(Duration.ofNanos(nanos));
    }
}
