package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.core.internal.Durations;
import dev.lifecycle.core.internal.ReadyFile;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.databind.type.LogicalType;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The manifests in {@code examples/k8s} are valid Kubernetes objects (read strictly into fabric8's typed model of the
 * Kubernetes API: an unknown or misspelt field, or a value of the wrong type, fails) and agree with the service: probe
 * paths, ports, the termination budget as the library itself checks it, the startup budget, the migration Job.
 */
class KubernetesManifestsTest {

    /** The kinds the manifests may hold, by {@code apiVersion/kind}; any other fails. */
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "apps/v1/Deployment", Deployment.class,
            "v1/Service", io.fabric8.kubernetes.api.model.Service.class,
            "batch/v1/Job", Job.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    /**
     * Strict like the API server: fabric8's classes keep unknown fields in an "additional properties" map, which
     * this mapper turns off so that an unknown field fails; numbers and booleans written as strings fail too, and so
     * does a number where Kubernetes wants a string (an unquoted {@code env} value).
     */
    private static final YAMLMapper STRICT = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                private static final long serialVersionUID = 1L;

                @Override
                public Boolean hasAnySetter(MapperConfig<?> config, Annotated annotated) {
                    return Boolean.FALSE;
                }
            })
            .withCoercionConfig(LogicalType.Integer,
                                c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Boolean,
                                c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
            .withCoercionConfig(LogicalType.Textual,
                                c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                                      .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                                      .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private static final List<HasMetadata> objects = new ArrayList<>();

    @BeforeAll
    static void readManifests() throws IOException {
        Path directory = Path.of(System.getProperty("examples.k8s", "k8s"));
        List<Path> files;
        try (Stream<Path> paths = Files.list(directory)) {
            files = paths.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            try (Reader reader = Files.newBufferedReader(file)) {
                objects.addAll(read(reader, file.getFileName().toString()));
            }
        }
    }

    /** Reads every document of a YAML stream into its typed Kubernetes object. */
    private static List<HasMetadata> read(Reader reader, String source) {
        List<HasMetadata> read = new ArrayList<>();
        try (MappingIterator<JsonNode> documents = STRICT.readerFor(JsonNode.class).readValues(reader)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                String type = document.path("apiVersion").asString("") + '/' + document.path("kind").asString("");
                Class<? extends HasMetadata> kind = KINDS.get(type);
                if (kind == null) {
                    throw new IllegalArgumentException(source + ": unexpected apiVersion/kind '" + type
                                                       + "' (expected: one of " + KINDS.keySet() + ')');
                }
                read.add(STRICT.treeToValue(document, kind));
            }
        }
        return read;
    }

    private static HasMetadata readOne(String yaml) {
        List<HasMetadata> read = read(new StringReader(yaml), "test");
        assertThat(read).hasSize(1);
        return read.get(0);
    }

    @Test
    void everyManifestIsAKnownKindWithANameAndTheAppLabel() {
        assertThat(objects).extracting(HasMetadata::getKind)
                           .containsExactlyInAnyOrder("Deployment", "Service", "Job", "PodDisruptionBudget");
        assertThat(objects).allSatisfy(object -> {
            assertThat(object.getMetadata().getName()).isNotBlank();
            assertThat(object.getMetadata().getLabels()).containsEntry("app", "lifecycle-example");
        });
    }

    @Test
    void validationRejectsMisspeltFieldsWrongTypesAndUnknownKinds() {
        String deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: x
                spec:
                  replicas: %s
                  template:
                    spec:
                      containers:
                        - name: app
                          env:
                            - name: PORT
                              value: %s
                          readinessProbe:
                            %s: 2
                """;
        assertThat(readOne(deployment.formatted("3", "\"8080\"", "failureThreshold"))).isInstanceOf(Deployment.class);

        assertThatThrownBy(() -> readOne(deployment.formatted("3", "\"8080\"", "failureThreshhold")))
                .isInstanceOf(JacksonException.class).hasMessageContaining("failureThreshhold");
        assertThatThrownBy(() -> readOne(deployment.formatted("\"3\"", "\"8080\"", "failureThreshold")))
                .isInstanceOf(JacksonException.class).hasMessageContaining("replicas");
        assertThatThrownBy(() -> readOne(deployment.formatted("3", "8080", "failureThreshold")))
                .isInstanceOf(JacksonException.class).hasMessageContaining("value");
        assertThatThrownBy(() -> readOne("apiVersion: apps/v1beta1\nkind: Deployment\nmetadata:\n  name: x\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("test: unexpected apiVersion/kind 'apps/v1beta1/Deployment'");
    }

    @Test
    void deploymentRollsOneNewPodAtATimeWithoutLosingCapacity() {
        DeploymentSpec spec = deployment().getSpec();
        assertThat(spec.getReplicas()).isEqualTo(3);
        assertThat(spec.getMinReadySeconds()).isPositive();
        assertThat(spec.getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(spec.getStrategy().getRollingUpdate().getMaxUnavailable()).isEqualTo(new IntOrString(0));
        assertThat(spec.getStrategy().getRollingUpdate().getMaxSurge()).isEqualTo(new IntOrString(1));
        assertThat(podLabels()).containsAllEntriesOf(spec.getSelector().getMatchLabels());
    }

    @Test
    void probesUseTheServicePathsPortAndReadyFile() {
        Container container = appContainer();
        Map<String, String> env = env(container);
        assertThat(container.getPorts().get(0).getContainerPort()).isEqualTo(ServiceConfig.DEFAULT_PORT);
        assertThat(env).containsEntry(ServiceConfig.ENV_PORT, Integer.toString(ServiceConfig.DEFAULT_PORT));

        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo(ServiceConfig.LIVE_PATH);
        assertThat(container.getLivenessProbe().getHttpGet().getPort())
                .isIn(new IntOrString("http"), new IntOrString(ServiceConfig.DEFAULT_PORT));
        assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo(ServiceConfig.STARTED_PATH);
        assertThat(container.getStartupProbe().getHttpGet().getPort())
                .isIn(new IntOrString("http"), new IntOrString(ServiceConfig.DEFAULT_PORT));

        String readyFile = env.get("LIFECYCLE_READY_FILE");
        assertThat(readyFile).isNotBlank();
        assertThat(container.getReadinessProbe().getExec().getCommand())
                .as("the probe that rejects a ready-file left by a killed process")
                .isEqualTo(ReadyFile.probeCommand(Path.of(readyFile)));
        assertThat(container.getVolumeMounts()).as("the ready-file's directory is a writable volume")
                .anySatisfy(mount -> assertThat(mount.getMountPath())
                        .isEqualTo(Path.of(readyFile).getParent().toString()));
    }

    @Test
    void execReadinessProbeDoesNotFlapOnOneSlowRun() {
        Probe readiness = appContainer().getReadinessProbe();
        assertThat(readiness.getFailureThreshold()).as("failureThreshold: one slow run must not flip readiness")
                                                   .isGreaterThan(1);
        assertThat(readiness.getTimeoutSeconds()).as("timeoutSeconds: a throttled fork + exec of sh can take over 1 s")
                                                 .isGreaterThan(1);
        assertThat(readiness.getTimeoutSeconds()).as("a run ends before the next one starts")
                                                 .isLessThanOrEqualTo(readiness.getPeriodSeconds() + 1);
    }

    /**
     * Issue 18: the budget is the library's own check, not a copy of its defaults in a formula. A lifecycle built from
     * the container's environment, with the service's stop actions, must not warn that shutdown may outlast the
     * grace period, neither at start nor when shutting down; and the same check does warn with a shorter period.
     */
    @Test
    void terminationGracePeriodCoversTheShutdownAsTheLibraryChecksIt() {
        PodSpec podSpec = deployment().getSpec().getTemplate().getSpec();
        Map<String, String> env = lifecycleEnvironment();
        long gracePeriod = podSpec.getTerminationGracePeriodSeconds();
        assertThat(env).as("LIFECYCLE_TERMINATION_GRACE_PERIOD, so that the service checks the pod's budget")
                       .containsEntry("LIFECYCLE_TERMINATION_GRACE_PERIOD", gracePeriod + "s");
        assertThat(Durations.parse("LIFECYCLE_PRESTOP_DELAY", env.getOrDefault("LIFECYCLE_PRESTOP_DELAY", "0")))
                .as("an in-process pre-stop delay replaces a preStop hook").isPositive();
        assertThat(appContainer().getLifecycle()).as("no preStop hook adds to the budget unseen").isNull();

        String log = logOfStartAndShutdown(env, true);
        assertThat(log).contains("Stopped in").doesNotContain("termination grace period");

        Map<String, String> shorter = new LinkedHashMap<>(env);
        shorter.put("LIFECYCLE_TERMINATION_GRACE_PERIOD", (gracePeriod - 10) + "s");
        assertThat(logOfStartAndShutdown(shorter, false)).as("the same check, with 10 s less")
                                                         .contains("termination grace period");
    }

    /** The container's {@code LIFECYCLE_*} variables but the ready-file, whose directory exists only in the pod. */
    private static Map<String, String> lifecycleEnvironment() {
        Map<String, String> env = new LinkedHashMap<>(env(appContainer()));
        env.keySet().removeIf(name -> !name.startsWith("LIFECYCLE_") || name.equals("LIFECYCLE_READY_FILE"));
        return env;
    }

    /** Builds the lifecycle as {@link Service} does, starts it and, when asked, shuts it down; returns the log. */
    private static String logOfStartAndShutdown(Map<String, String> env, boolean shutdown) {
        PrintStream original = System.out; // where the examples' slf4j-simple writes, looked up on each call
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Lifecycle lifecycle = Lifecycle.builder().environment(env).stopTimeout(ServiceConfig.STOP_TIMEOUT).build();
            for (int i = 0; i < ServiceConfig.STOP_ACTIONS; i++) {
                lifecycle.addStopAction("stop action " + i, () -> { });
            }
            lifecycle.start();
            if (shutdown) {
                lifecycle.shutdown();
            }
        } finally {
            System.setOut(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        original.print(log);
        return log;
    }

    @Test
    void startupProbeWaitsLongerThanTheMigrationTimeout() {
        Probe startup = appContainer().getStartupProbe();
        long seconds = (long) startup.getPeriodSeconds() * startup.getFailureThreshold();
        assertThat(Duration.ofSeconds(seconds)).isGreaterThan(ServiceConfig.MIGRATION_TIMEOUT);
    }

    @Test
    void serviceTargetsTheContainerPortOfTheDeploymentsPods() {
        io.fabric8.kubernetes.api.model.Service service = kind(io.fabric8.kubernetes.api.model.Service.class);
        assertThat(podLabels()).containsAllEntriesOf(service.getSpec().getSelector());
        ServicePort port = service.getSpec().getPorts().get(0);
        IntOrString targetPort = port.getTargetPort();
        if (targetPort.getStrVal() != null) {
            assertThat(appContainer().getPorts().get(0).getName()).isEqualTo(targetPort.getStrVal());
        } else {
            assertThat(targetPort.getIntVal()).isEqualTo(ServiceConfig.DEFAULT_PORT);
        }
    }

    @Test
    void jobRunsTheSameImageWithMigrateOnlyAgainstTheSameDatabase() {
        Job job = kind(Job.class);
        PodSpec podSpec = job.getSpec().getTemplate().getSpec();
        Container container = podSpec.getContainers().get(0);
        assertThat(container.getArgs()).containsExactly(Service.MIGRATE_ONLY);
        assertThat(container.getImage()).isEqualTo(appContainer().getImage());
        assertThat(podSpec.getRestartPolicy()).isIn("Never", "OnFailure");
        assertThat(Duration.ofSeconds(job.getSpec().getActiveDeadlineSeconds()))
                .isGreaterThan(ServiceConfig.MIGRATION_TIMEOUT);

        for (String variable : List.of(ServiceConfig.ENV_DATABASE_URL, ServiceConfig.ENV_DATABASE_USER,
                                       ServiceConfig.ENV_DATABASE_PASSWORD)) {
            assertThat(envVar(container, variable)).as(variable).isEqualTo(envVar(appContainer(), variable));
        }
        assertThat(env(container)).doesNotContainKey("LIFECYCLE_READY_FILE");
    }

    @Test
    void jobIsAHelmPreUpgradeHookThatCleansItselfUp() {
        Job job = kind(Job.class);
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).as("ttlSecondsAfterFinished").isPositive();
        Map<String, String> annotations = job.getMetadata().getAnnotations();
        assertThat(List.of(annotations.get("helm.sh/hook").split(",")))
                .as("helm.sh/hook").contains("pre-upgrade", "pre-install");
        assertThat(annotations.get("helm.sh/hook-delete-policy")).as("helm.sh/hook-delete-policy")
                                                                 .contains("before-hook-creation");
    }

    @Test
    void disruptionBudgetEvictsOneReplicaAtATimeAndNeverBlocksOnUnreadyPods() {
        PodDisruptionBudget budget = kind(PodDisruptionBudget.class);
        assertThat(podLabels()).containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
        assertThat(budget.getSpec().getMinAvailable()).isNull();
        assertThat(budget.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isLessThan(deployment().getSpec().getReplicas());
        assertThat(budget.getSpec().getUnhealthyPodEvictionPolicy()).isEqualTo("AlwaysAllow");
    }

    private static Deployment deployment() {
        return kind(Deployment.class);
    }

    private static <T extends HasMetadata> T kind(Class<T> kind) {
        List<T> found = objects.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertThat(found).as("manifests of kind %s", kind.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private static Map<String, String> podLabels() {
        return deployment().getSpec().getTemplate().getMetadata().getLabels();
    }

    private static Container appContainer() {
        List<Container> containers = deployment().getSpec().getTemplate().getSpec().getContainers();
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    /** The container's literal environment values (not those from secrets or fields). */
    private static Map<String, String> env(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar variable : container.getEnv()) {
            if (variable.getValue() != null) {
                env.put(variable.getName(), variable.getValue());
            }
        }
        return env;
    }

    private static EnvVar envVar(Container container, String name) {
        return container.getEnv().stream().filter(e -> name.equals(e.getName())).findFirst()
                        .orElseThrow(() -> new AssertionError("no env " + name));
    }
}
