package dev.lifecycle.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.Map;

import org.junit.jupiter.api.Test;

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

    @Test
    void registeringTwiceNamesTheClashingFilter() {
        // A context that already holds a filter of that name: addFilter returns null, as the Servlet API says.
        ServletContext context = proxy(ServletContext.class, (proxy, method, args) -> null);

        assertThatThrownBy(() -> LifecycleServlets.register(context, lifecycle))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a filter named 'lifecycle' is already registered");
    }
}
