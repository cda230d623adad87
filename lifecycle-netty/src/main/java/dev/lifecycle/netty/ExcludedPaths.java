package dev.lifecycle.netty;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The paths passed to the application uncounted and never refused: exact ({@code /metrics}) or prefixes
 * ({@code /static/*}, which matches {@code /static} and everything under it). Matched against the path of the request
 * target as received, without its query: not decoded, not normalised. Matching allocates nothing.
 */
final class ExcludedPaths {

    static final ExcludedPaths NONE = new ExcludedPaths(new String[0], new boolean[0]);

    private static final String EXPECTED = "a path starting with '/', or a prefix ending in '/*'";

    /** Each exact path, or prefix without its {@code /*}. */
    private final String[] paths;
    private final boolean[] prefixes;

    private ExcludedPaths(String[] paths, boolean[] prefixes) {
        this.paths = paths;
        this.prefixes = prefixes;
    }

    /**
     * Checks a pattern given to {@code excludePaths}.
     *
     * @throws IllegalArgumentException naming the value when the pattern is malformed
     */
    static String requirePattern(String pattern) {
        requireNonNull(pattern, "excludePaths cannot be null");
        if (!pattern.startsWith("/")) {
            throw invalid(pattern, EXPECTED);
        }
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c <= ' ' || c == '?' || c == '#' || c == 0x7f) {
                throw invalid(pattern, EXPECTED + ", without spaces, '?' or '#'");
            }
        }
        int star = pattern.indexOf('*');
        if (star >= 0 && (star != pattern.length() - 1 || !pattern.endsWith("/*"))) {
            throw invalid(pattern, EXPECTED);
        }
        return pattern;
    }

    private static IllegalArgumentException invalid(String pattern, String expected) {
        return new IllegalArgumentException("excludePaths: '" + pattern + "' (expected: " + expected + ")");
    }

    /** The matcher of patterns checked by {@link #requirePattern}. */
    static ExcludedPaths of(List<String> patterns) {
        if (patterns.isEmpty()) {
            return NONE;
        }
        String[] paths = new String[patterns.size()];
        boolean[] prefixes = new boolean[paths.length];
        for (int i = 0; i < paths.length; i++) {
            String pattern = patterns.get(i);
            prefixes[i] = pattern.endsWith("/*");
            paths[i] = prefixes[i] ? pattern.substring(0, pattern.length() - 2) : pattern;
        }
        return new ExcludedPaths(paths, prefixes);
    }

    /** Whether the path of {@code uri} (the query ignored) is excluded. */
    boolean matches(String uri) {
        if (paths.length == 0) {
            return false;
        }
        int end = uri.indexOf('?');
        if (end < 0) {
            end = uri.length();
        }
        for (int i = 0; i < paths.length; i++) {
            if (matches(uri, end, paths[i], prefixes[i])) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(String uri, int end, String path, boolean prefix) {
        int length = path.length();
        if (end < length || !prefix && end != length || !uri.startsWith(path)) {
            return false;
        }
        // A prefix matches itself or a path below it: "/static/*" matches "/static/app.js", not "/statics".
        return end == length || uri.charAt(length) == '/';
    }
}
