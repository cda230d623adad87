package dev.lifecycle.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.util.Map;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.LifecycleFilter;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Bytes {@link LifecycleFilter#doFilter} allocates per admitted HTTP/1.1 request whose application writes a small
 * body through {@code getOutputStream()}, outside the drain: counted by the JVM's per-thread allocation counter, on
 * a request and response with no allocation of their own (proxies answering constants, a stream that drops bytes), so
 * that what is left is the filter's. Allocation, not time: the number is exact and the same on every run once the JIT
 * has settled. Usage: {@code java -cp benchmarks.jar dev.lifecycle.benchmarks.FilterAllocation [requests]}.
 */
public final class FilterAllocation {

    /** Where the chain stores what it is handed, as a container would: nothing is scalar-replaced away. */
    static volatile Object escaped;

    private FilterAllocation() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        System.out.println("| variant | requests | bytes allocated per request |");
        System.out.println("|---|---|---|");
        for (boolean describe : new boolean[] {false, true}) {
            Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).describeRequests(describe).build();
            lifecycle.start();
            LifecycleFilter filter = new LifecycleFilter(lifecycle);
            measure(filter, requests); // warm-up: JIT
            System.out.printf("| describeRequests(%s) | %d | %.1f |%n", describe, requests, measure(filter, requests));
        }
    }

    private static double measure(LifecycleFilter filter, int requests) throws Exception {
        ServletOutputStream out = new ServletOutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void write(byte[] b, int off, int len) {
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setWriteListener(WriteListener listener) {
            }
        };
        HttpServletRequest request = (HttpServletRequest) Proxy.newProxyInstance(
                FilterAllocation.class.getClassLoader(), new Class<?>[] {HttpServletRequest.class},
                (proxy, method, arguments) -> {
                    switch (method.getName()) {
                        case "getDispatcherType": return DispatcherType.REQUEST;
                        case "getServletPath": return "/app";
                        case "getPathInfo": return "/hello";
                        case "getMethod": return "GET";
                        case "getRequestURI": return "/app/hello";
                        case "getProtocol": return "HTTP/1.1";
                        case "isAsyncStarted": return false;
                        default: return null;
                    }
                });
        HttpServletResponse response = (HttpServletResponse) Proxy.newProxyInstance(
                FilterAllocation.class.getClassLoader(), new Class<?>[] {HttpServletResponse.class},
                (proxy, method, arguments) -> {
                    switch (method.getName()) {
                        case "getOutputStream": return out;
                        case "getStatus": return 200;
                        case "isCommitted": return false;
                        default: return null;
                    }
                });
        byte[] body = "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        FilterChain chain = (req, res) -> {
            escaped = req;
            escaped = res;
            res.getOutputStream().write(body);
        };
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < requests; i++) {
            filter.doFilter(request, response, chain);
        }
        return (threads.getCurrentThreadAllocatedBytes() - before) / (double) requests;
    }
}
