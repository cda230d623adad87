/**
 * The lifecycle of a service: in-flight request tracking, startup tasks gating readiness, probes, the ready-file and
 * the graceful shutdown sequence. Micrometer is optional ({@code requires static}): only
 * {@link dev.lifecycle.core.LifecycleMetrics} needs it.
 */
// module: the qualified export names a module of this project compiled after this one; requires-automatic: Micrometer
// has only an Automatic-Module-Name. Not transitive, though LifecycleMetrics shows Micrometer's types: requires static
// transitive would make every module that reads this one need Micrometer to compile.
@SuppressWarnings({"module", "requires-automatic"})
module dev.lifecycle.core {
    requires org.slf4j;
    requires static micrometer.core;

    exports dev.lifecycle.core;
    exports dev.lifecycle.core.internal to dev.lifecycle.netty;
}
