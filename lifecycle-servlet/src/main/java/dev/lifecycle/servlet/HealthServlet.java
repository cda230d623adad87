package dev.lifecycle.servlet;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.lifecycle.core.Health;
import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.LocalResponse;
import dev.lifecycle.core.Probe;
import jakarta.servlet.ServletException;
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

    // Transient: a servlet is Serializable only by inheritance; a lifecycle is never serialized. Set once, by a
    // constructor or, for a servlet declared in web.xml, by init(), which the container calls before any request.
    private transient Lifecycle lifecycle;
    private transient Map<String, Probe> probes;
    private boolean showDetails;

    /**
     * Creates a servlet with the default paths and without error details.
     *
     * @throws NullPointerException if {@code lifecycle} is {@code null}
     */
    public HealthServlet(Lifecycle lifecycle) {
        this(requireNonNull(lifecycle, "lifecycle cannot be null"), HealthServletBuilder.DEFAULT_LIVENESS_PATH,
             HealthServletBuilder.DEFAULT_READINESS_PATH, HealthServletBuilder.DEFAULT_STARTUP_PATH, false);
    }

    /**
     * Creates a servlet for {@code web.xml}, which instantiates servlets by class name: {@link #init()} takes the
     * {@link Lifecycle} from the servlet context attribute {@value LifecycleServlets#LIFECYCLE_ATTRIBUTE}, and the
     * settings of {@link HealthServletBuilder} from the optional init parameters {@code livenessPath},
     * {@code readinessPath}, {@code startupPath} and {@code showDetails} ({@code true} or {@code false}).
     */
    public HealthServlet() {
    }

    HealthServlet(Lifecycle lifecycle, String livenessPath, String readinessPath, String startupPath,
                  boolean showDetails) {
        configure(lifecycle, livenessPath, readinessPath, startupPath, showDetails);
    }

    private void configure(Lifecycle lifecycle, String livenessPath, String readinessPath, String startupPath,
                           boolean showDetails) {
        this.lifecycle = lifecycle;
        this.probes = Map.of(livenessPath, Probe.LIVENESS, readinessPath, Probe.READINESS, startupPath, Probe.STARTUP);
        this.showDetails = showDetails;
    }

    /**
     * Configures a servlet created by {@link #HealthServlet()}; does nothing for one created with a lifecycle.
     *
     * @throws ServletException if the servlet context attribute {@value LifecycleServlets#LIFECYCLE_ATTRIBUTE} holds
     *     no {@link Lifecycle}
     * @throws IllegalArgumentException if an init parameter is malformed
     */
    @Override
    public void init() throws ServletException {
        if (lifecycle != null) {
            return;
        }
        HealthServletBuilder builder = builder(LifecycleServlets.lifecycle(getServletContext()));
        String livenessPath = getInitParameter("livenessPath");
        if (livenessPath != null) {
            builder.livenessPath(livenessPath.trim());
        }
        String readinessPath = getInitParameter("readinessPath");
        if (readinessPath != null) {
            builder.readinessPath(readinessPath.trim());
        }
        String startupPath = getInitParameter("startupPath");
        if (startupPath != null) {
            builder.startupPath(startupPath.trim());
        }
        String details = getInitParameter("showDetails");
        if (details != null) {
            String trimmed = details.trim();
            if (!trimmed.equals("true") && !trimmed.equals("false")) {
                throw new IllegalArgumentException("showDetails: '" + details + "' (expected: true or false)");
            }
            builder.showDetails(Boolean.parseBoolean(trimmed));
        }
        HealthServlet built = builder.build();
        lifecycle = built.lifecycle;
        probes = built.probes;
        showDetails = built.showDetails;
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
            LocalResponses.write(LocalResponse.probeMethodNotAllowed(), request, response, false);
            return;
        }
        LocalResponses.write(lifecycle.probeResponse(probe, showDetails), request, response, head);
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
