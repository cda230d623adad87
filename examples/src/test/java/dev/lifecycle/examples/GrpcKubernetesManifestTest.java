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

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.internal.Durations;
import dev.lifecycle.grpc.GrpcLifecycle;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GRPCAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code k8s/grpc/deployment.yaml} is a valid Deployment and Service (read strictly into fabric8's typed model: an
 * unknown or misspelt field fails) and agrees with the gRPC variant: native gRPC probes on its port, asking health
 * service names that lifecycle-grpc answers, and a grace period covering delay, drain and stop actions.
 */
class GrpcKubernetesManifestTest {

    /** Unknown fields fail, as they do on the API server (fabric8 would keep them in "additional properties"). */
    private static final YAMLMapper STRICT = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                private static final long serialVersionUID = 1L;

                @Override
                public Boolean hasAnySetter(MapperConfig<?> config, Annotated annotated) {
                    return Boolean.FALSE;
                }
            })
            .build();

    private static final List<HasMetadata> objects = new ArrayList<>();

    @BeforeAll
    static void read() throws IOException {
        Path file = Path.of(System.getProperty("examples.k8s", "k8s")).resolve("grpc").resolve("deployment.yaml");
        try (Reader reader = Files.newBufferedReader(file);
             MappingIterator<JsonNode> documents = STRICT.readerFor(JsonNode.class).readValues(reader)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                Class<? extends HasMetadata> kind = document.path("kind").asString("").equals("Deployment")
                                                    ? Deployment.class
                                                    : io.fabric8.kubernetes.api.model.Service.class;
                objects.add(STRICT.treeToValue(document, kind));
            }
        }
        assertThat(objects).hasSize(2);
    }

    @Test
    void probesAreNativeGrpcProbesOnTheServicePortAskingHealthServicesTheLibraryAnswers() throws Exception {
        Container container = container();
        assertThat(env(container)).containsEntry(ServiceConfig.ENV_PORT, Integer.toString(ServiceConfig.DEFAULT_PORT));
        assertThat(container.getCommand()).endsWith(GrpcExampleService.class.getName());
        Map<String, GRPCAction> probes = new LinkedHashMap<>();
        probes.put("readiness", container.getReadinessProbe().getGrpc());
        probes.put("liveness", container.getLivenessProbe().getGrpc());
        probes.put("startup", container.getStartupProbe().getGrpc());
        probes.forEach((probe, grpc) -> assertThat(grpc.getPort()).as(probe).isEqualTo(ServiceConfig.DEFAULT_PORT));

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
            probes.forEach((probe, action) -> starting.put(probe, check(health, action.getService())));
            assertThat(starting).containsExactly(Map.entry("readiness", ServingStatus.NOT_SERVING),
                                                 Map.entry("liveness", ServingStatus.SERVING),
                                                 Map.entry("startup", ServingStatus.NOT_SERVING));
            lifecycle.start();
            probes.forEach((probe, action) -> assertThat(check(health, action.getService())).as(probe)
                                                                                           .isEqualTo(ServingStatus.SERVING));
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }

    private static ServingStatus check(HealthGrpc.HealthBlockingStub health, String service) {
        return health.withDeadlineAfter(30, TimeUnit.SECONDS)
                     .check(HealthCheckRequest.newBuilder().setService(service == null ? "" : service).build())
                     .getStatus();
    }

    @Test
    void terminationGracePeriodCoversPreStopDelayDrainAndStopActions() {
        Map<String, String> env = env(container());
        Duration budget = Durations.parse("LIFECYCLE_PRESTOP_DELAY", env.get("LIFECYCLE_PRESTOP_DELAY"))
                                   .plus(Durations.parse("LIFECYCLE_DRAIN_TIMEOUT",
                                                         env.get("LIFECYCLE_DRAIN_TIMEOUT")))
                                   .plus(ServiceConfig.STOP_TIMEOUT.multipliedBy(ServiceConfig.STOP_ACTIONS));
        Duration gracePeriod = Duration.ofSeconds(deployment().getSpec().getTemplate().getSpec()
                                                              .getTerminationGracePeriodSeconds());
        assertThat(budget).isLessThanOrEqualTo(gracePeriod);
        assertThat(Durations.parse("LIFECYCLE_TERMINATION_GRACE_PERIOD",
                                   env.get("LIFECYCLE_TERMINATION_GRACE_PERIOD"))).isEqualTo(gracePeriod);
    }

    @Test
    void serviceTargetsTheGrpcPortOverH2c() {
        io.fabric8.kubernetes.api.model.Service service = objects.stream()
                .filter(io.fabric8.kubernetes.api.model.Service.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.Service.class::cast).findFirst().orElseThrow();
        ServicePort port = service.getSpec().getPorts().get(0);
        assertThat(port.getTargetPort().getStrVal()).isEqualTo(container().getPorts().get(0).getName());
        assertThat(port.getAppProtocol()).isEqualTo("kubernetes.io/h2c");
        assertThat(service.getSpec().getSelector())
                .isEqualTo(deployment().getSpec().getTemplate().getMetadata().getLabels());
    }

    private static Deployment deployment() {
        return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst()
                      .orElseThrow();
    }

    private static Container container() {
        return deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static Map<String, String> env(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar variable : container.getEnv()) {
            if (variable.getValue() != null) {
                env.put(variable.getName(), variable.getValue());
            }
        }
        return env;
    }
}
