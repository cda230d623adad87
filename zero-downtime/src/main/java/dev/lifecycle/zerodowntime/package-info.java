/**
 * Proof of zero-downtime rolling updates: replicas behind a real HAProxy, an open-loop load generator on raw sockets
 * and a report of every failed request. Start with {@link dev.lifecycle.zerodowntime.RolloutHarness#builder()}.
 */
package dev.lifecycle.zerodowntime;
