package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

/**
 * A path within the web application, exact ({@code /health/live}) or a prefix ({@code /health/*}, which matches
 * {@code /health} and everything under it). Matched against the servlet path plus path info, which the container
 * has already decoded and normalised, so {@code /app/../health/live} or an encoded variant cannot dodge or fake it.
 * Matching allocates nothing.
 */
final class PathPattern {

    private final String path;
    private final boolean prefix;

    private PathPattern(String path, boolean prefix) {
        this.path = path;
        this.prefix = prefix;
    }

    /**
     * Parses a pattern given to {@code setting}.
     *
     * @throws IllegalArgumentException naming the setting and the value when the pattern is malformed
     */
    static PathPattern parse(String setting, String pattern, boolean prefixAllowed) {
        requireNonNull(pattern, setting + " cannot be null");
        String expected = prefixAllowed ? "a path starting with '/', or a prefix ending in '/*'"
                                        : "a path starting with '/'";
        if (!pattern.startsWith("/")) {
            throw invalid(setting, pattern, expected);
        }
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c <= ' ' || c == '?' || c == '#' || c == 0x7f) {
                throw invalid(setting, pattern, expected + ", without spaces, query or fragment");
            }
        }
        int star = pattern.indexOf('*');
        if (star < 0) {
            return new PathPattern(pattern, false);
        }
        if (!prefixAllowed || star != pattern.length() - 1 || !pattern.endsWith("/*")) {
            throw invalid(setting, pattern, expected);
        }
        return new PathPattern(pattern.substring(0, pattern.length() - 2), true);
    }

    private static IllegalArgumentException invalid(String setting, String pattern, String expected) {
        return new IllegalArgumentException(setting + ": '" + pattern + "' (expected: " + expected + ")");
    }

    /** Whether {@code servletPath + pathInfo} matches, {@code pathInfo} being {@code null} when absent. */
    boolean matches(String servletPath, String pathInfo) {
        int servletLength = servletPath.length();
        int length = servletLength + (pathInfo == null ? 0 : pathInfo.length());
        int patternLength = path.length();
        if (length < patternLength || !prefix && length != patternLength) {
            return false;
        }
        // Compare the pattern with the concatenation, piece by piece.
        int inServlet = Math.min(servletLength, patternLength);
        if (!servletPath.regionMatches(0, path, 0, inServlet)) {
            return false;
        }
        if (inServlet < patternLength && !pathInfo.regionMatches(0, path, inServlet, patternLength - inServlet)) {
            return false;
        }
        if (length == patternLength) {
            return true;
        }
        // A prefix matches itself or a path below it: "/health/*" matches "/health/live", not "/healthy".
        return charAt(servletPath, pathInfo, patternLength) == '/' || path.endsWith("/");
    }

    private static char charAt(String servletPath, String pathInfo, int index) {
        return index < servletPath.length() ? servletPath.charAt(index)
                                            : pathInfo.charAt(index - servletPath.length());
    }

    /** The exact path, or the prefix without its {@code /*}. */
    String path() {
        return path;
    }

    @Override
    public String toString() {
        return prefix ? path + "/*" : path;
    }
}
