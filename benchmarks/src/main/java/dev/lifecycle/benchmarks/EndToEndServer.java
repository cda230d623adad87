package dev.lifecycle.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import io.undertow.util.Headers;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.LifecycleFilter;

/**
 * One variant of the same "hello" endpoint for the end-to-end benchmarks of {@code run.sh}. For {@code e2e} (wrk):
 * {@code undertow-bare}, {@code undertow-graceful} (Undertow's {@code GracefulShutdownHandler}), {@code servlet-bare},
 * {@code servlet-noop-filter} (what any filter costs), {@code servlet-lifecycle} (the lifecycle filter), all on
 * Undertow; {@code netty-bare}, {@code netty-noop-handler} (what any duplex handler costs), {@code netty-lifecycle}.
 * For {@code e2e-adapters}, each adapter beside the same server without it: {@code jetty-bare} and
 * {@code jetty-lifecycle} ({@link JettyServer}), {@code tomcat-bare} and {@code tomcat-lifecycle}
 * ({@link TomcatServer}), {@code netty-h2c-bare} and {@code netty-h2c-lifecycle} (h2c, {@link NettyServer}),
 * {@code grpc-bare} and {@code grpc-lifecycle} (a unary method, {@link GrpcServer}). Usage:
 * {@code EndToEndServer <variant> <port>}; prints {@code listening <port>} and serves until killed.
 */
public final class EndToEndServer {

    static final byte[] BODY = "hello\n".getBytes(StandardCharsets.US_ASCII);

    private EndToEndServer() {
    }

    public static void main(String[] args) throws Exception {
        String variant = args[0];
        int port = Integer.parseInt(args[1]);
        // Started once the server is wired, as the adapters' examples do: probes and admission from then on.
        Lifecycle lifecycle = variant.endsWith("-lifecycle") ? Lifecycle.builder().environment(Map.of()).build()
                                                             : null;
        switch (variant) {
            case "undertow-bare":
                undertow(port, hello());
                break;
            case "undertow-graceful":
                undertow(port, new GracefulShutdownHandler(hello()));
                break;
            case "servlet-bare":
            case "servlet-lifecycle":
                undertow(port, servlet(lifecycle, false));
                break;
            case "servlet-noop-filter":
                undertow(port, servlet(null, true));
                break;
            case "netty-bare":
            case "netty-lifecycle":
                NettyServer.start(port, lifecycle, false);
                break;
            case "netty-noop-handler":
                NettyServer.start(port, null, true);
                break;
            case "jetty-bare":
            case "jetty-lifecycle":
                JettyServer.start(port, lifecycle);
                break;
            case "tomcat-bare":
            case "tomcat-lifecycle":
                TomcatServer.start(port, lifecycle);
                break;
            case "netty-h2c-bare":
            case "netty-h2c-lifecycle":
                NettyServer.startH2c(port, lifecycle);
                break;
            case "grpc-bare":
            case "grpc-lifecycle":
                GrpcServer.start(port, lifecycle);
                break;
            default:
                throw new IllegalArgumentException("variant: '" + variant + "' (expected: undertow-bare, "
                        + "undertow-graceful, servlet-bare, servlet-noop-filter, servlet-lifecycle, netty-bare, "
                        + "netty-noop-handler, netty-lifecycle, jetty-bare, jetty-lifecycle, tomcat-bare, "
                        + "tomcat-lifecycle, netty-h2c-bare, netty-h2c-lifecycle, grpc-bare, grpc-lifecycle)");
        }
        if (lifecycle != null) {
            lifecycle.start();
        }
        System.out.println("listening " + port);
        Thread.currentThread().join(); // until killed: grpc-java's event loops are daemon threads
    }

    private static HttpHandler hello() {
        ByteBuffer body = ByteBuffer.wrap(BODY);
        return exchange -> {
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
            exchange.getResponseSender().send(body.duplicate());
        };
    }

    private static void undertow(int port, HttpHandler handler) {
        Undertow.builder().addHttpListener(port, "127.0.0.1").setHandler(handler).build().start();
    }

    private static HttpHandler servlet(Lifecycle lifecycle, boolean noopFilter) throws ServletException {
        DeploymentInfo deployment = Servlets.deployment()
                .setClassLoader(EndToEndServer.class.getClassLoader())
                .setContextPath("/")
                .setDeploymentName("bench")
                .addServlet(Servlets.servlet("hello", HelloServlet.class).addMapping("/*"));
        if (lifecycle != null) {
            LifecycleFilter filter = new LifecycleFilter(lifecycle);
            deployment.addFilter(Servlets.filter("lifecycle", LifecycleFilter.class,
                                                 new ImmediateInstanceFactory<>(filter)).setAsyncSupported(true))
                      .addFilterUrlMapping("lifecycle", "/*", DispatcherType.REQUEST);
        }
        if (noopFilter) {
            deployment.addFilter(Servlets.filter("noop", NoopFilter.class).setAsyncSupported(true))
                      .addFilterUrlMapping("noop", "/*", DispatcherType.REQUEST);
        }
        DeploymentManager manager = Servlets.defaultContainer().addDeployment(deployment);
        manager.deploy();
        return manager.start();
    }

    /** A filter that only passes the request on: what any filter costs in Undertow's chain. */
    public static final class NoopFilter implements Filter {
        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            chain.doFilter(request, response);
        }
    }

    /** The benchmarked endpoint. */
    public static final class HelloServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            response.setContentType("text/plain");
            response.setContentLength(BODY.length);
            response.getOutputStream().write(BODY);
        }
    }
}
