/**
 * Drain-aware handlers for a Netty HTTP/1.1 and HTTP/2 server: request and stream tracking, {@code Connection: close}
 * and the graceful {@code GOAWAY} while draining, probes, and stop actions for the server. Start with
 * {@link dev.lifecycle.netty.NettyLifecycle#of}.
 */
package dev.lifecycle.netty;
