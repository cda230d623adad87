/**
 * The example service: a users API on embedded Undertow whose Flyway migrations gate readiness; run
 * {@link dev.lifecycle.examples.ExampleService}.
 */
package dev.lifecycle.examples;
