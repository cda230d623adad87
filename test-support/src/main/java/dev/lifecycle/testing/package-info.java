/**
 * Test fixtures shared by the modules' tests: a throwaway {@link dev.lifecycle.testing.PostgresServer} and a
 * {@link dev.lifecycle.testing.ServiceProcess} that runs a service as a child process.
 */
package dev.lifecycle.testing;
