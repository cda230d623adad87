/**
 * The example service: a users API whose Flyway migrations gate readiness, on embedded Undertow
 * ({@link dev.lifecycle.examples.ExampleService}), on Netty ({@link dev.lifecycle.examples.NettyExampleService}) or
 * over gRPC ({@link dev.lifecycle.examples.GrpcExampleService}).
 */
package dev.lifecycle.examples;
