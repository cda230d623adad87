package dev.lifecycle.spring.boot;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import dev.lifecycle.core.Health;

/** The details Actuator shows for a probe: the state, the requests in flight, each check's and task's status. */
final class ProbeDetails {

    private ProbeDetails() {
    }

    static Map<String, Object> of(Health health) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", health.state().name());
        details.put("inflight", health.inflight());
        Map<String, String> checks = new LinkedHashMap<>();
        health.checks().forEach(check -> checks.put(check.kind().name().toLowerCase(Locale.ROOT) + ':'
                                                    + check.name(), check.up() ? "UP" : "DOWN"));
        details.put("checks", checks);
        Map<String, String> tasks = new LinkedHashMap<>();
        health.tasks().forEach(task -> tasks.put(task.name(), task.status().name()));
        details.put("tasks", tasks);
        return details;
    }
}
