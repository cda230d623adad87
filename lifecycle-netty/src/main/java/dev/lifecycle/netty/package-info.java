/**
 * Drain-aware handlers for a Netty HTTP/1.1 server: request tracking, {@code Connection: close} while draining,
 * probes, and stop actions for the server. Start with {@link dev.lifecycle.netty.NettyLifecycle#of}.
 */
package dev.lifecycle.netty;
