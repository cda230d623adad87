/** Benchmarks of the lifecycle's hot path, drain and startup, side by side with the peers' approaches. */
package dev.lifecycle.benchmarks;
