package dev.lifecycle.core.internal;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and formats the durations of the configuration: {@code 0}, {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h},
 * ISO-8601 {@code PT5S}.
 */
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
        } catch (ArithmeticException | NumberFormatException e) {
            // the pattern admits only digits, so a number that does not parse is one that overflows
            throw new IllegalArgumentException(
                    name + ": '" + text + "' (expected: a duration that fits in a long of nanoseconds)", e);
        }
        if (duration == null) {
            throw new IllegalArgumentException(
                    name + ": '" + text + "' (expected: a duration such as 0, 500ms, 5s, 2m, 1h or PT5S)");
        }
        if (duration.isNegative()) {
            throw new IllegalArgumentException(name + ": '" + text + "' (expected: >= 0)");
        }
        return duration;
    }

    private static Duration parseOrNull(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Duration duration;
        Matcher matcher = SIMPLE.matcher(text);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
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
        } else if (text.startsWith("p") || text.startsWith("-p")) {
            try {
                duration = Duration.parse(text.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                // Duration.parse reports an overflow as a parse error caused by the arithmetic or number exception
                if (e.getCause() instanceof ArithmeticException || e.getCause() instanceof NumberFormatException) {
                    throw new ArithmeticException(e.getMessage());
                }
                return null;
            }
        } else {
            return null;
        }
        duration.toNanos(); // waits are in nanoseconds: throws ArithmeticException on overflow
        return duration;
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
