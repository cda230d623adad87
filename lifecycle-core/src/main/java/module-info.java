/**
 * The lifecycle of a service: in-flight request tracking, startup tasks gating readiness, probes, the ready-file and
 * the graceful shutdown sequence. Micrometer is optional ({@code requires static}): only
 * {@link dev.lifecycle.core.LifecycleMetrics} needs it.
 */
@SuppressWarnings("module") // the qualified export names a module of this project that is compiled after this one
module dev.lifecycle.core {
    requires org.slf4j;
    requires static micrometer.core;

    exports dev.lifecycle.core;
    exports dev.lifecycle.core.internal to dev.lifecycle.netty;
}
