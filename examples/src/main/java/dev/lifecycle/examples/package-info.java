/**
 * The example service: a users API whose Flyway migrations gate readiness, on embedded Undertow
 * ({@link dev.lifecycle.examples.ExampleService}) or on Netty ({@link dev.lifecycle.examples.NettyExampleService}).
 */
package dev.lifecycle.examples;
