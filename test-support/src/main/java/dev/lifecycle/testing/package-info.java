/**
 * The one test toolkit of the modules' tests, with no dependency on the library: a throwaway
 * {@link dev.lifecycle.testing.PostgresServer}, a {@link dev.lifecycle.testing.ServiceProcess} that runs a service (a
 * child JVM) as a child process, a {@link dev.lifecycle.testing.RawHttpConnection} that shows exactly what a server
 * sends, a {@link dev.lifecycle.testing.LogCapture} of what is logged, {@link dev.lifecycle.testing.BackgroundThreads}
 * for a shutdown or a start a test must not block on, and {@link dev.lifecycle.testing.Ports#freePort()}.
 */
package dev.lifecycle.testing;
