package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.lifecycle.core.Health;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.Probe;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Answers the Kubernetes probes of a {@link Lifecycle}: mapped on {@code /health/*}, it serves
 * {@code /health/live} (liveness), {@code /health/ready} (readiness) and {@code /health/started} (startup).
 *
 * <p>{@code 200} when the probe is up, {@code 503} when it is down, with {@code Cache-Control: no-store} and a small
 * JSON body ({@link Health#toJson(Probe, boolean)}), such as
 * {@code {"status":"UP","state":"READY","inflight":0,"longLived":0,"checks":[],"tasks":[...]}}. {@code GET} and
 * {@code HEAD} are allowed, other methods get {@code 405}; other paths get {@code 404}. Probes answer in every state,
 * from before {@link Lifecycle#start()} to the end of the drain, and are never counted as requests in flight (the
 * {@link LifecycleFilter} excludes them).
 */
public final class HealthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final byte[] NOT_FOUND_BODY = "Not Found\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] METHOD_NOT_ALLOWED_BODY =
            "Method Not Allowed\n".getBytes(StandardCharsets.UTF_8);

    // Transient: a servlet is Serializable only by inheritance; a lifecycle is never serialized.
    private final transient Lifecycle lifecycle;
    private final transient Map<String, Probe> probes;
    private final boolean showDetails;

    /**
     * Creates a servlet with the default paths and without error details.
     *
     * @throws NullPointerException if {@code lifecycle} is {@code null}
     */
    public HealthServlet(Lifecycle lifecycle) {
        this(requireNonNull(lifecycle, "lifecycle cannot be null"), HealthServletBuilder.DEFAULT_LIVENESS_PATH,
             HealthServletBuilder.DEFAULT_READINESS_PATH, HealthServletBuilder.DEFAULT_STARTUP_PATH, false);
    }

    HealthServlet(Lifecycle lifecycle, String livenessPath, String readinessPath, String startupPath,
                  boolean showDetails) {
        this.lifecycle = lifecycle;
        this.probes = Map.of(livenessPath, Probe.LIVENESS, readinessPath, Probe.READINESS, startupPath, Probe.STARTUP);
        this.showDetails = showDetails;
    }

    /**
     * Returns a builder to configure the paths and the error details.
     *
     * @throws NullPointerException if {@code lifecycle} is {@code null}
     */
    public static HealthServletBuilder builder(Lifecycle lifecycle) {
        return new HealthServletBuilder(lifecycle);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String pathInfo = request.getPathInfo();
        String path = pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
        Probe probe = probes.get(path);
        if (probe == null) {
            plain(response, HttpServletResponse.SC_NOT_FOUND, NOT_FOUND_BODY, request);
            return;
        }
        String method = request.getMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            response.setHeader("Allow", "GET, HEAD");
            plain(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED_BODY, request);
            return;
        }
        Health health = lifecycle.health(probe);
        byte[] body = health.toJson(probe, showDetails).getBytes(StandardCharsets.UTF_8);
        response.setStatus(health.isUp(probe) ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        if (!head) {
            response.getOutputStream().write(body);
        }
    }

    private static void plain(HttpServletResponse response, int status, byte[] body, HttpServletRequest request)
            throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain;charset=utf-8");
        response.setContentLength(body.length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(body);
        }
    }
}
