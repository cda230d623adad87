package dev.lifecycle.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;

class ConfigurationValidationTest {

    private final Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();

    @Test
    void excludedPathMustStartWithSlash() {
        assertThatThrownBy(() -> LifecycleFilter.builder(lifecycle).excludePaths("/ok", "health"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: 'health' (expected: a path starting with '/', or a prefix ending in '/*')");
    }

    @Test
    void excludedPathMayHoldAStarOnlyAsATrailingSlashStar() {
        assertThatThrownBy(() -> LifecycleFilter.builder(lifecycle).excludePaths("/health*"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: '/health*' (expected: a path starting with '/', or a prefix ending in '/*')");
        assertThatThrownBy(() -> LifecycleFilter.builder(lifecycle).excludePaths("/*/live"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: '/*/live' (expected: a path starting with '/', or a prefix ending in '/*')");
    }

    @Test
    void excludedPathCannotHoldAQueryOrSpaces() {
        assertThatThrownBy(() -> LifecycleFilter.builder(lifecycle).excludePaths("/health?x=1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: '/health?x=1' (expected: a path starting with '/', or a prefix ending in "
                            + "'/*', without spaces, '?' or '#')");
        assertThatThrownBy(() -> LifecycleFilter.builder(lifecycle).excludePaths("/health live"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("excludePaths: '/health live' (expected: ");
    }

    @Test
    void nullsAreRejectedByName() {
        assertThatThrownBy(() -> new LifecycleFilter(null))
                .isInstanceOf(NullPointerException.class).hasMessage("lifecycle cannot be null");
        assertThatThrownBy(() -> new HealthServlet(null))
                .isInstanceOf(NullPointerException.class).hasMessage("lifecycle cannot be null");
        assertThatThrownBy(() -> LifecycleFilter.builder(lifecycle).excludePaths((String[]) null))
                .isInstanceOf(NullPointerException.class).hasMessage("paths cannot be null");
        assertThatThrownBy(() -> LifecycleFilter.builder(lifecycle).excludePaths("/a", null))
                .isInstanceOf(NullPointerException.class).hasMessage("excludePaths cannot be null");
        assertThatThrownBy(() -> HealthServlet.builder(lifecycle).livenessPath(null))
                .isInstanceOf(NullPointerException.class).hasMessage("livenessPath cannot be null");
    }

    @Test
    void noExcludedPathAtAllIsAllowed() {
        assertThat(LifecycleFilter.builder(lifecycle).excludePaths().build()).isNotNull();
    }

    @Test
    void probePathMustBeExact() {
        assertThatThrownBy(() -> HealthServlet.builder(lifecycle).readinessPath("/health/*"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessPath: '/health/*' (expected: an exact path starting with '/')");
        assertThatThrownBy(() -> HealthServlet.builder(lifecycle).startupPath("started"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupPath: 'started' (expected: an exact path starting with '/')");
    }

    @Test
    void probePathsMustDiffer() {
        assertThatThrownBy(() -> HealthServlet.builder(lifecycle).readinessPath("/health/live").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("readinessPath: '/health/live' (expected: different from livenessPath)");
        assertThatThrownBy(() -> HealthServlet.builder(lifecycle).startupPath("/health/ready").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("startupPath: '/health/ready' (expected: different from livenessPath and "
                            + "readinessPath)");
    }

    @Test
    void filterDeclaredByClassNeedsTheLifecycleInTheServletContext() {
        LifecycleFilter filter = new LifecycleFilter();

        assertThatThrownBy(() -> filter.init(filterConfig(Map.of(), Map.of())))
                .isInstanceOf(ServletException.class)
                .hasMessage("servlet context attribute 'dev.lifecycle.core.Lifecycle': not set (expected: the "
                            + "application's Lifecycle, set by a ServletContextListener)");
        assertThatThrownBy(() -> filter.init(filterConfig(Map.of(LifecycleServlets.LIFECYCLE_ATTRIBUTE, "oops"),
                                                          Map.of())))
                .isInstanceOf(ServletException.class)
                .hasMessageContaining("': a java.lang.String (expected: ");
    }

    @Test
    void filterDeclaredByClassChecksItsInitParameters() {
        LifecycleFilter filter = new LifecycleFilter();

        assertThatThrownBy(() -> filter.init(filterConfig(Map.of(LifecycleServlets.LIFECYCLE_ATTRIBUTE, lifecycle),
                                                          Map.of("excludePaths", "/health/*, probes"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: 'probes' (expected: a path starting with '/', or a prefix ending in '/*')");
    }

    @Test
    void servletDeclaredByClassChecksItsInitParameters() {
        HealthServlet servlet = new HealthServlet();
        ServletConfig config = servletConfig(Map.of(LifecycleServlets.LIFECYCLE_ATTRIBUTE, lifecycle),
                                             Map.of("showDetails", "yes"));

        assertThatThrownBy(() -> servlet.init(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("showDetails: 'yes' (expected: true or false)");
    }

    private static FilterConfig filterConfig(Map<String, Object> attributes, Map<String, String> parameters) {
        ServletContext context = context(attributes);
        return proxy(FilterConfig.class, (proxy, method, args) -> switch (method.getName()) {
            case "getServletContext" -> context;
            case "getInitParameter" -> parameters.get((String) args[0]);
            default -> null;
        });
    }

    private static ServletConfig servletConfig(Map<String, Object> attributes, Map<String, String> parameters) {
        ServletContext context = context(attributes);
        return proxy(ServletConfig.class, (proxy, method, args) -> switch (method.getName()) {
            case "getServletContext" -> context;
            case "getInitParameter" -> parameters.get((String) args[0]);
            case "getServletName" -> "health";
            default -> null;
        });
    }

    private static ServletContext context(Map<String, Object> attributes) {
        return proxy(ServletContext.class, (proxy, method, args) ->
                method.getName().equals("getAttribute") ? attributes.get((String) args[0]) : null);
    }

    private static <T> T proxy(Class<T> type, InvocationHandler handler) {
        return type.cast(Proxy.newProxyInstance(ConfigurationValidationTest.class.getClassLoader(), new Class<?>[] {type},
                                                handler));
    }

    // Proves: blank, control-character and null values of every path setting and init parameter are rejected by name.
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "livenessPath  | ''             | an exact path starting with '/'",
            "readinessPath | ' '            | an exact path starting with '/'",
            "startupPath   | /health/\tlive | an exact path starting with '/', without spaces, '?' or '#'",
            "excludePaths  | ''             | a path starting with '/', or a prefix ending in '/*'",
            "excludePaths  | /health#live   | a path starting with '/', or a prefix ending in '/*', without spaces, "
                    + "'?' or '#'",
    })
    void blankAndMalformedPathsAreRejectedNamingSettingAndValue(String setting, String value, String expected) {
        HealthServletBuilder servlet = HealthServlet.builder(lifecycle);
        LifecycleFilterBuilder filter = LifecycleFilter.builder(lifecycle);
        Runnable set = switch (setting) {
            case "livenessPath" -> () -> servlet.livenessPath(value);
            case "readinessPath" -> () -> servlet.readinessPath(value);
            case "startupPath" -> () -> servlet.startupPath(value);
            default -> () -> filter.excludePaths(value);
        };

        assertThatThrownBy(set::run)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(setting + ": '" + value + "' (expected: " + expected + ")");
    }

    // Proves: the remaining null paths and malformed init parameters of web.xml declarations are rejected by name.
    @Test
    void nullPathsAndMalformedInitParametersAreRejectedByName() {
        assertThatThrownBy(() -> HealthServlet.builder(lifecycle).readinessPath(null))
                .isInstanceOf(NullPointerException.class).hasMessage("readinessPath cannot be null");
        assertThatThrownBy(() -> HealthServlet.builder(lifecycle).startupPath(null))
                .isInstanceOf(NullPointerException.class).hasMessage("startupPath cannot be null");
        assertThatThrownBy(() -> HealthServlet.builder(null))
                .isInstanceOf(NullPointerException.class).hasMessage("lifecycle cannot be null");

        Map<String, Object> attributes = Map.of(LifecycleServlets.LIFECYCLE_ATTRIBUTE, lifecycle);
        assertThatThrownBy(() -> new HealthServlet().init(servletConfig(attributes, Map.of("showDetails", " TRUE"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("showDetails: ' TRUE' (expected: true or false)");
        assertThatThrownBy(() -> new HealthServlet().init(servletConfig(attributes, Map.of("showDetails", ""))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("showDetails: '' (expected: true or false)");
        assertThatThrownBy(() -> new HealthServlet().init(servletConfig(attributes,
                                                                        Map.of("livenessPath", "live"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("livenessPath: 'live' (expected: an exact path starting with '/')");
        assertThatThrownBy(() -> new LifecycleFilter().init(filterConfig(attributes,
                                                                          Map.of("excludePaths", "/a,,/b"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("excludePaths: '' (expected: a path starting with '/', or a prefix ending in '/*')");
    }

    @Test
    void registeringTwiceNamesTheClashingFilter() {
        // A context that already holds a filter of that name: addFilter returns null, as the Servlet API says.
        ServletContext context = proxy(ServletContext.class, (proxy, method, args) -> null);

        assertThatThrownBy(() -> LifecycleServlets.register(context, lifecycle))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a filter named 'lifecycle' is already registered");
    }
}
