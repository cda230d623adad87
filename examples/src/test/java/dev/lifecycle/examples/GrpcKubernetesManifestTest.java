package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.grpc.GrpcLifecycle;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;

/**
 * {@code k8s/grpc/deployment.yaml} agrees with the gRPC variant: native gRPC probes on its port, with the health
 * service names lifecycle-grpc answers, and a grace period covering delay, drain and stop actions.
 */
class GrpcKubernetesManifestTest {

    private static final List<Map<String, Object>> documents = new ArrayList<>();

    @BeforeAll
    static void parse() throws IOException {
        Path file = Path.of(System.getProperty("examples.k8s", "k8s")).resolve("grpc").resolve("deployment.yaml");
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        try (Reader reader = Files.newBufferedReader(file)) {
            for (Object document : yaml.loadAll(reader)) {
                documents.add(map(document));
            }
        }
    }

    @Test
    void probesAreNativeGrpcProbesOnTheServicePortAskingHealthServicesTheLibraryAnswers() throws Exception {
        Map<String, Object> container = container();
        assertThat(env(container)).containsEntry(ServiceConfig.ENV_PORT, Integer.toString(ServiceConfig.DEFAULT_PORT));
        assertThat(list(container.get("command"))).endsWith(GrpcExampleService.class.getName());
        Map<String, String> services = new LinkedHashMap<>();
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            Map<String, Object> grpc = map(map(container.get(probe)).get("grpc"));
            assertThat(grpc.get("port")).as(probe).isEqualTo(ServiceConfig.DEFAULT_PORT);
            services.put(probe, (String) grpc.get("service"));
        }

        // Ask a server set up as the example's (GrpcLifecycle's defaults) what the kubelet will ask.
        Lifecycle lifecycle = Lifecycle.builder().environment(Map.of()).build();
        GrpcLifecycle grpc = GrpcLifecycle.of(lifecycle);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                                          .addService(grpc.healthService()).intercept(grpc.interceptor())
                                          .build().start();
        ManagedChannel channel = GrpcReplicas.channel(server.getPort());
        try {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
            Map<String, ServingStatus> starting = new LinkedHashMap<>();
            services.forEach((probe, service) -> starting.put(probe, check(health, service)));
            assertThat(starting).containsExactly(Map.entry("readinessProbe", ServingStatus.NOT_SERVING),
                                                 Map.entry("livenessProbe", ServingStatus.SERVING),
                                                 Map.entry("startupProbe", ServingStatus.NOT_SERVING));
            lifecycle.start();
            services.forEach((probe, service) -> assertThat(check(health, service)).as(probe)
                                                                                   .isEqualTo(ServingStatus.SERVING));
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }

    private static ServingStatus check(HealthGrpc.HealthBlockingStub health, String service) {
        return health.withDeadlineAfter(30, TimeUnit.SECONDS)
                     .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    @Test
    void terminationGracePeriodCoversPreStopDelayDrainAndStopActions() {
        Map<String, String> env = env(container());
        Duration budget = Duration.parse("PT" + env.get("LIFECYCLE_PRESTOP_DELAY").toUpperCase())
                                  .plus(Duration.parse("PT" + env.get("LIFECYCLE_DRAIN_TIMEOUT").toUpperCase()))
                                  .plus(ServiceConfig.STOP_TIMEOUT.multipliedBy(ServiceConfig.STOP_ACTIONS));
        Duration gracePeriod = Duration.ofSeconds((Integer) podSpec().get("terminationGracePeriodSeconds"));
        assertThat(budget).isLessThanOrEqualTo(gracePeriod);
        assertThat(env.get("LIFECYCLE_TERMINATION_GRACE_PERIOD")).isEqualTo(gracePeriod.toSeconds() + "s");
    }

    @Test
    void serviceTargetsTheGrpcPortOverH2c() {
        Map<String, Object> service = kind("Service");
        Map<String, Object> port = map(list(map(service.get("spec")).get("ports")).get(0));
        assertThat(port.get("targetPort")).isEqualTo(map(list(container().get("ports")).get(0)).get("name"));
        assertThat(port.get("appProtocol")).isEqualTo("kubernetes.io/h2c");
        assertThat(map(map(service.get("spec")).get("selector")))
                .isEqualTo(map(map(map(map(kind("Deployment").get("spec")).get("template")).get("metadata"))
                                       .get("labels")));
    }

    private static Map<String, Object> kind(String kind) {
        return documents.stream().filter(d -> kind.equals(d.get("kind"))).findFirst()
                        .orElseThrow(() -> new AssertionError("no " + kind));
    }

    private static Map<String, Object> podSpec() {
        return map(map(map(kind("Deployment").get("spec")).get("template")).get("spec"));
    }

    private static Map<String, Object> container() {
        return map(list(podSpec().get("containers")).get(0));
    }

    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Object entry : list(container.get("env"))) {
            Map<String, Object> variable = map(entry);
            if (variable.get("value") != null) {
                env.put((String) variable.get("name"), (String) variable.get("value"));
            }
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) value;
    }
}
