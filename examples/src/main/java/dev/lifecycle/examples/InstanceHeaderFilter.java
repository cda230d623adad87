package dev.lifecycle.examples;

import java.io.IOException;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Adds {@code X-Instance} to every response, probes and refusals included, so that a rollout shows which replica
 * answered. Runs first in the chain.
 */
final class InstanceHeaderFilter implements Filter {

    private final String instanceId;

    InstanceHeaderFilter(String instanceId) {
        this.instanceId = instanceId;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        ((HttpServletResponse) response).setHeader(ServiceConfig.INSTANCE_HEADER, instanceId);
        chain.doFilter(request, response);
    }
}
