/**
 * Drain-aware gRPC for grpc-java servers: {@link dev.lifecycle.grpc.GrpcLifecycle} counts calls, refuses them with
 * {@code UNAVAILABLE} while starting and after the drain, serves {@code grpc.health.v1.Health} from the lifecycle and
 * stops the server with GOAWAY.
 */
package dev.lifecycle.grpc;
