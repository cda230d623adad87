package dev.lifecycle.zerodowntime;

/** What stands between the clients and the replicas during a run. */
public enum DataPlane {
    /**
     * A real HAProxy in {@code mode tcp} on the loopback, {@code retries 0}, no redispatch; its HTTP check of the
     * readiness path is the readiness probe. Runs anywhere HAProxy is installed.
     */
    HAPROXY,
    /**
     * kube-proxy's iptables mode in miniature: every replica in its own network namespace (a pod) with its own
     * address and the same port, the Service as random DNAT rules, conntrack keeping established flows, clients in a
     * node namespace, and the kubelet's exec readiness probe on the ready-file. Needs root, iptables and conntrack.
     */
    KUBE_PROXY,
    /**
     * {@link #KUBE_PROXY} with an ingress in front: nginx in HTTP mode in the node namespace, upstream keep-alive as
     * ingress-nginx configures it, retries off. Needs nginx too.
     */
    NGINX
}
