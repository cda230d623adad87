package dev.lifecycle.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
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
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import dev.lifecycle.core.internal.Durations;
import dev.lifecycle.core.internal.ReadyFile;

/**
 * The manifests in {@code examples/k8s} agree with the service's configuration: probe paths, ports, the termination
 * budget, the startup budget, the migrate-only Job. Changing one side without the other fails here.
 */
class KubernetesManifestsTest {

    /** lifecycle-core's default, not overridden by the service. */
    private static final Duration LONG_LIVED_DRAIN_TIMEOUT = Duration.ofSeconds(5);
    /** lifecycle-core's default drain timeout, when the manifest does not set one. */
    private static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(20);

    private static final List<Map<String, Object>> documents = new ArrayList<>();

    @BeforeAll
    static void parseManifests() throws IOException {
        Path directory = Path.of(System.getProperty("examples.k8s", "k8s"));
        List<Path> files;
        try (Stream<Path> paths = Files.list(directory)) {
            files = paths.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        for (Path file : files) {
            try (Reader reader = Files.newBufferedReader(file)) {
                for (Object document : yaml.loadAll(reader)) {
                    assertThat(document).as("a document of %s", file).isInstanceOf(Map.class);
                    documents.add(map(document));
                }
            }
        }
    }

    @Test
    void deploymentRollsOneNewPodAtATimeWithoutLosingCapacity() {
        Map<String, Object> spec = map(deployment().get("spec"));
        assertThat(spec.get("replicas")).isEqualTo(3);
        assertThat((Integer) spec.get("minReadySeconds")).isPositive();
        Map<String, Object> strategy = map(spec.get("strategy"));
        assertThat(strategy.get("type")).isEqualTo("RollingUpdate");
        assertThat(map(strategy.get("rollingUpdate"))).containsEntry("maxUnavailable", 0).containsEntry("maxSurge", 1);
        Map<String, Object> labels = map(map(map(spec.get("template")).get("metadata")).get("labels"));
        assertThat(labels).containsAllEntriesOf(map(map(spec.get("selector")).get("matchLabels")));
    }

    @Test
    void probesUseTheServicePathsPortAndReadyFile() {
        Map<String, Object> container = appContainer();
        Map<String, String> env = env(container);
        assertThat(containerPort(container)).isEqualTo(ServiceConfig.DEFAULT_PORT);
        assertThat(env).containsEntry(ServiceConfig.ENV_PORT, Integer.toString(ServiceConfig.DEFAULT_PORT));

        Map<String, Object> liveness = map(map(container.get("livenessProbe")).get("httpGet"));
        assertThat(liveness.get("path")).isEqualTo(ServiceConfig.LIVE_PATH);
        assertThat(liveness.get("port")).isIn("http", ServiceConfig.DEFAULT_PORT);
        Map<String, Object> startup = map(map(container.get("startupProbe")).get("httpGet"));
        assertThat(startup.get("path")).isEqualTo(ServiceConfig.STARTED_PATH);
        assertThat(startup.get("port")).isIn("http", ServiceConfig.DEFAULT_PORT);

        String readyFile = env.get("LIFECYCLE_READY_FILE");
        assertThat(readyFile).isNotBlank();
        assertThat(map(map(container.get("readinessProbe")).get("exec")).get("command"))
                .as("the probe that rejects a ready-file left by a killed process")
                .isEqualTo(ReadyFile.probeCommand(Path.of(readyFile)));
        List<Object> mounts = list(container.get("volumeMounts"));
        assertThat(mounts).as("the ready-file's directory is a writable volume")
                          .anySatisfy(m -> assertThat(map(m).get("mountPath"))
                                  .isEqualTo(Path.of(readyFile).getParent().toString()));
    }

    @Test
    void terminationGracePeriodCoversPreStopDelayDrainAndStopActions() {
        Map<String, Object> podSpec = podSpec(deployment());
        Map<String, String> env = env(appContainer());
        Duration preStopDelay = duration(env, "LIFECYCLE_PRESTOP_DELAY", Duration.ZERO);
        Duration drainTimeout = duration(env, "LIFECYCLE_DRAIN_TIMEOUT", DEFAULT_DRAIN_TIMEOUT);
        Duration stopTimeout = duration(env, "LIFECYCLE_STOP_TIMEOUT", ServiceConfig.STOP_TIMEOUT);
        Duration budget = preStopDelay
                .plus(drainTimeout.compareTo(LONG_LIVED_DRAIN_TIMEOUT) >= 0 ? drainTimeout : LONG_LIVED_DRAIN_TIMEOUT)
                .plus(stopTimeout.multipliedBy(ServiceConfig.STOP_ACTIONS));
        Duration gracePeriod = Duration.ofSeconds((Integer) podSpec.get("terminationGracePeriodSeconds"));

        assertThat(preStopDelay).as("an in-process pre-stop delay replaces a preStop hook").isPositive();
        assertThat(budget).isLessThanOrEqualTo(gracePeriod);
        assertThat(duration(env, "LIFECYCLE_TERMINATION_GRACE_PERIOD", Duration.ZERO))
                .as("LIFECYCLE_TERMINATION_GRACE_PERIOD, so the service checks the same budget")
                .isEqualTo(gracePeriod);
        assertThat(appContainer()).as("no preStop hook adds to the budget unseen").doesNotContainKey("lifecycle");
    }

    @Test
    void startupProbeWaitsLongerThanTheMigrationTimeout() {
        Map<String, Object> startup = map(appContainer().get("startupProbe"));
        long seconds = (long) (Integer) startup.get("periodSeconds") * (Integer) startup.get("failureThreshold");
        assertThat(Duration.ofSeconds(seconds)).isGreaterThan(ServiceConfig.MIGRATION_TIMEOUT);
    }

    @Test
    void serviceTargetsTheContainerPortOfTheDeploymentsPods() {
        Map<String, Object> service = kind("Service");
        Map<String, Object> spec = map(service.get("spec"));
        Map<String, Object> podLabels = map(map(map(map(deployment().get("spec")).get("template")).get("metadata"))
                                                    .get("labels"));
        assertThat(podLabels).containsAllEntriesOf(map(spec.get("selector")));
        Map<String, Object> port = map(list(spec.get("ports")).get(0));
        Object targetPort = port.get("targetPort");
        Map<String, Object> containerPort = map(list(appContainer().get("ports")).get(0));
        if (targetPort instanceof String name) {
            assertThat(containerPort.get("name")).isEqualTo(name);
        } else {
            assertThat(targetPort).isEqualTo(ServiceConfig.DEFAULT_PORT);
        }
    }

    @Test
    void jobRunsTheSameImageWithMigrateOnlyAgainstTheSameDatabase() {
        Map<String, Object> job = kind("Job");
        Map<String, Object> jobSpec = map(job.get("spec"));
        Map<String, Object> container = map(list(podSpec(job).get("containers")).get(0));
        assertThat(container.get("args")).isEqualTo(List.of(Service.MIGRATE_ONLY));
        assertThat(container.get("image")).isEqualTo(appContainer().get("image"));
        assertThat(podSpec(job).get("restartPolicy")).isIn("Never", "OnFailure");
        assertThat(Duration.ofSeconds((Integer) jobSpec.get("activeDeadlineSeconds")))
                .isGreaterThan(ServiceConfig.MIGRATION_TIMEOUT);

        List<Object> appEnv = list(appContainer().get("env"));
        for (String variable : List.of(ServiceConfig.ENV_DATABASE_URL, ServiceConfig.ENV_DATABASE_USER,
                                       ServiceConfig.ENV_DATABASE_PASSWORD)) {
            assertThat(envEntry(list(container.get("env")), variable)).as(variable)
                                                                      .isEqualTo(envEntry(appEnv, variable));
        }
        assertThat(env(container)).doesNotContainKey("LIFECYCLE_READY_FILE");
    }

    private static Map<String, Object> deployment() {
        return kind("Deployment");
    }

    private static Map<String, Object> kind(String kind) {
        List<Map<String, Object>> found = documents.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertThat(found).as("manifests of kind %s", kind).hasSize(1);
        return found.get(0);
    }

    private static Map<String, Object> podSpec(Map<String, Object> workload) {
        return map(map(map(workload.get("spec")).get("template")).get("spec"));
    }

    private static Map<String, Object> appContainer() {
        List<Object> containers = list(podSpec(deployment()).get("containers"));
        assertThat(containers).hasSize(1);
        return map(containers.get(0));
    }

    private static int containerPort(Map<String, Object> container) {
        return (Integer) map(list(container.get("ports")).get(0)).get("containerPort");
    }

    /** The container's literal environment values (not those from secrets or fields). */
    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Object entry : list(container.get("env"))) {
            Map<String, Object> variable = map(entry);
            if (variable.get("value") != null) {
                assertThat(variable.get("value")).as("%s is quoted as a string", variable.get("name"))
                                                 .isInstanceOf(String.class);
                env.put((String) variable.get("name"), (String) variable.get("value"));
            }
        }
        return env;
    }

    private static Map<String, Object> envEntry(List<Object> env, String name) {
        return env.stream().map(KubernetesManifestsTest::map).filter(e -> name.equals(e.get("name"))).findFirst()
                  .orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static Duration duration(Map<String, String> env, String variable, Duration defaultValue) {
        String text = env.get(variable);
        return text == null ? defaultValue : Durations.parse(variable, text);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return (List<Object>) value;
    }
}
