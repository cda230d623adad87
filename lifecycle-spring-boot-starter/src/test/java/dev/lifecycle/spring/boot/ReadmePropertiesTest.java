package dev.lifecycle.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The README's table of the starter's properties is true to the code: every property is in it, each environment
 * variable it names binds to its property, and each default it states is the default.
 */
class ReadmePropertiesTest {

    /** {@code | `lifecycle.x` (`LIFECYCLE_X`) | `default` or none | meaning |} */
    private static final Pattern ROW = Pattern.compile(
            "^\\| `(lifecycle\\.[a-z.-]+)` \\(`([A-Z_]+)`\\) \\| (none|`([^`]*)`) \\|.*");
    /** Read from conditions, not bound to {@link LifecycleProperties}. */
    private static final Set<String> CONDITIONS = Set.of("lifecycle.actuator.enabled");

    @Test
    void everyPropertyIsInTheTableWithItsEnvironmentVariableAndItsDefault() throws IOException {
        Map<String, Row> rows = readmeRows();
        assertThat(rows.keySet()).as("properties in the README's table")
                .containsExactlyInAnyOrderElementsOf(boundProperties());

        for (Row row : rows.values()) {
            // The variable binds to its property (Spring's relaxed binding, as for System.getenv()).
            MutablePropertySources sources = new MutablePropertySources();
            sources.addFirst(new SystemEnvironmentPropertySource("env", Map.of(row.variable(), "x")));
            assertThat(new Binder(ConfigurationPropertySources.from(sources)).bind(row.property(), String.class)
                               .orElse(null))
                    .as("%s bound from %s", row.property(), row.variable()).isEqualTo("x");
            if (CONDITIONS.contains(row.property())) {
                continue;
            }
            Object actual = valueOf(new LifecycleProperties(), row.property());
            if (row.defaultValue() == null) {
                assertThat(actual == null || actual instanceof List<?> list && list.isEmpty())
                        .as("%s: none by default, but %s", row.property(), actual).isTrue();
            } else {
                LifecycleProperties stated = new Binder(new MapConfigurationPropertySource(
                        Map.of(row.property(), row.defaultValue())))
                        .bind("lifecycle", Bindable.of(LifecycleProperties.class)).get();
                assertThat(actual).as("%s: default %s", row.property(), row.defaultValue())
                        .isEqualTo(valueOf(stated, row.property()));
            }
        }
    }

    private record Row(String property, String variable, String defaultValue) {
    }

    private static Map<String, Row> readmeRows() throws IOException {
        List<String> lines = Files.readAllLines(readme());
        int section = lines.indexOf("## Spring Boot");
        assertThat(section).as("the README's Spring Boot section").isNotNegative();
        Map<String, Row> rows = new LinkedHashMap<>();
        for (String line : lines.subList(section + 1, lines.size())) {
            if (line.startsWith("## ")) {
                break;
            }
            Matcher row = ROW.matcher(line);
            if (row.matches()) {
                assertThat(row.group(2)).as("the variable of %s", row.group(1))
                        .isEqualTo(row.group(1).toUpperCase().replace('.', '_').replace('-', '_'));
                rows.put(row.group(1), new Row(row.group(1), row.group(2), row.group(4)));
            } else {
                assertThat(line).as("a row of the table not in the form | `lifecycle.x` (`LIFECYCLE_X`) | ...")
                        .doesNotStartWith("| `lifecycle.");
            }
        }
        return rows;
    }

    private static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("lifecycle-core"))) {
                return dir.resolve("README.md");
            }
        }
        throw new IllegalStateException("README.md not found above " + Path.of("").toAbsolutePath());
    }

    /** Every {@code lifecycle.*} property: those bound to {@link LifecycleProperties} and those of conditions. */
    private static Set<String> boundProperties() {
        Set<String> names = new TreeSet<>(CONDITIONS);
        collect("lifecycle", new LifecycleProperties(), names);
        return names;
    }

    private static void collect(String prefix, Object bean, Set<String> names) {
        for (PropertyDescriptor descriptor : new BeanWrapperImpl(bean).getPropertyDescriptors()) {
            if (descriptor.getName().equals("class") || descriptor.getReadMethod() == null) {
                continue;
            }
            String name = prefix + "." + kebab(descriptor.getName());
            if (descriptor.getWriteMethod() != null) {
                names.add(name);
            } else if (descriptor.getPropertyType() == LifecycleProperties.Probes.class) {
                collect(name, new LifecycleProperties().getProbes(), names);
            }
        }
    }

    private static Object valueOf(LifecycleProperties properties, String property) {
        List<String> path = new ArrayList<>();
        for (String part : property.substring("lifecycle.".length()).split("\\.")) {
            path.add(camel(part));
        }
        return new BeanWrapperImpl(properties).getPropertyValue(String.join(".", path));
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([A-Z])", "-$1").toLowerCase();
    }

    private static String camel(String kebab) {
        StringBuilder sb = new StringBuilder();
        for (String word : kebab.split("-")) {
            sb.append(sb.length() == 0 ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1));
        }
        return sb.toString();
    }
}
