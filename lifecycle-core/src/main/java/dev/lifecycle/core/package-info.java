/**
 * The lifecycle of a JVM HTTP service on Kubernetes: startup tasks gating readiness, probes, a ready-file, in-flight
 * request tracking and graceful shutdown. Start with {@link dev.lifecycle.core.Lifecycle#builder()}.
 */
package dev.lifecycle.core;
