package dev.lifecycle.war;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import dev.lifecycle.core.Lifecycle;
import dev.lifecycle.servlet.LifecycleServlets;
import dev.lifecycle.war.app.UsersListener;

/**
 * A WAR that holds lifecycle-core and lifecycle-servlet in {@code WEB-INF/lib}, deployed to Tomcat and to Jetty as a
 * standalone container would (its own class loader, {@code web.xml} and {@code web-fragment.xml} processed): the
 * fragment registers the filter and the probes, undeploy runs the shutdown, and afterwards no thread, shutdown hook
 * or other reference keeps the application's class loader alive.
 */
class WarDeploymentTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String APP_LISTENER = """
              <listener>
                <listener-class>dev.lifecycle.war.app.UsersListener</listener-class>
              </listener>
            """;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path temp;

    @Test
    void tomcatDeploysTheWarWithItsLifecycleAndUndeployLeavesNothingBehind() throws Exception {
        Path app = explodedWar(APP_LISTENER);
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(temp.resolve("tomcat").toString());
        tomcat.setPort(0);
        tomcat.getConnector();
        Context context = tomcat.addWebapp("/users", app.toString());
        // Only the WAR's own jars are scanned, as in a standalone Tomcat: not the test's class path.
        ((StandardJarScanner) context.getJarScanner()).setScanClassPath(false);
        tomcat.start();
        try {
            int port = tomcat.getConnector().getLocalPort();
            WeakReference<ClassLoader> loader = checkDeployed(port, "/users",
                                                              context.getServletContext()
                                                                     .getAttribute(
                                                                             LifecycleServlets.LIFECYCLE_ATTRIBUTE),
                                                              context.getLoader().getClassLoader());

            tomcat.getHost().removeChild(context);
            context = null;

            checkUndeployed("/users", loader);
        } finally {
            tomcat.stop();
            tomcat.destroy();
        }
    }

    @Test
    void jettyDeploysTheWarWithItsLifecycleAndUndeployLeavesNothingBehind() throws Exception {
        Path app = explodedWar(APP_LISTENER);
        Server server = new Server(0);
        ContextHandlerCollection contexts = new ContextHandlerCollection();
        server.setHandler(contexts);
        WebAppContext webapp = new WebAppContext(app.toString(), "/orders");
        contexts.addHandler(webapp);
        server.start();
        try {
            ServerConnector connector = (ServerConnector) server.getConnectors()[0];
            int port = connector.getLocalPort();
            WeakReference<ClassLoader> loader = checkDeployed(port, "/orders",
                                                              webapp.getServletContext().getAttribute(
                                                                      LifecycleServlets.LIFECYCLE_ATTRIBUTE),
                                                              webapp.getClassLoader());

            webapp.stop();
            contexts.removeHandler(webapp);
            webapp = null;
            // Jetty keeps the last request's ServletChannel, and through it the context, its servlets and the WAR
            // class loader, in the cache of the keep-alive connection that served it; after the connection's idle
            // close, its selector may still hold that connection's key in the iterator of its last selection until
            // it selects again (seen in a heap dump of a failed run: about one run in four on a loaded machine).
            // Those are the container's references to the test client's connection, not the application's: stop
            // the connector, which closes the connections and drops the selectors; the server and its threads stay.
            connector.stop();

            checkUndeployed("/orders", loader);
        } finally {
            server.stop();
        }
    }

    @Test
    void aWarWithoutItsOwnLifecycleGetsOneFromTheEnvironment() throws Exception {
        Path app = explodedWar("");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(temp.resolve("tomcat").toString());
        tomcat.setPort(0);
        tomcat.getConnector();
        Context context = tomcat.addWebapp("/plain", app.toString());
        ((StandardJarScanner) context.getJarScanner()).setScanClassPath(false);
        tomcat.start();
        try {
            int port = tomcat.getConnector().getLocalPort();
            assertThat(get(port, "/plain/health/ready").statusCode()).isEqualTo(200);
            assertThat(get(port, "/plain/hello").body()).isEqualTo("hello");
            Object lifecycle = context.getServletContext().getAttribute(LifecycleServlets.LIFECYCLE_ATTRIBUTE);
            // Looked up while the WAR runs: a stopped web application's class loader loads nothing more.
            Method state = lifecycle.getClass().getMethod("state");
            assertThat(String.valueOf(state.invoke(lifecycle))).isEqualTo("READY");
            tomcat.getHost().removeChild(context);
            assertThat(String.valueOf(state.invoke(lifecycle))).as("shut down at undeploy").isEqualTo("STOPPED");
        } finally {
            tomcat.stop();
            tomcat.destroy();
        }
    }

    private WeakReference<ClassLoader> checkDeployed(int port, String path, Object lifecycle, ClassLoader webapp)
            throws Exception {
        assertThat(lifecycle).as("the application's Lifecycle, in the context attribute").isNotNull();
        assertThat(lifecycle.getClass().getClassLoader()).as("loaded from the WAR, not from the container")
                                                          .isSameAs(webapp)
                                                          .isNotSameAs(Lifecycle.class.getClassLoader());
        assertThat(call(lifecycle, "state")).isEqualTo("READY");
        HttpResponse<String> ready = get(port, path + "/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"state\":\"READY\"");
        assertThat(get(port, path + "/hello").body()).isEqualTo("hello");
        // The filter exits a request once its last byte is written: the client may have it a moment before.
        await("the filter counted the request and let it go").atMost(WAIT)
               .until(() -> call(lifecycle, "toString").contains("inflight=0"));
        return new WeakReference<>(webapp);
    }

    private static void checkUndeployed(String path, WeakReference<ClassLoader> loader) {
        assertThat(System.getProperty(UsersListener.STOPPED_ATTRIBUTE + '.' + path))
                .as("the lifecycle's stop actions ran at undeploy").isEqualTo("true");
        await("no thread left running with the WAR class loader").atMost(WAIT)
               .untilAsserted(() -> assertThat(threadsOf(loader.get())).isEmpty());
        // The WAR's class loader goes once nothing holds it: no shutdown hook, no thread, no cache entry.
        await("the WAR class loader collected").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            System.gc();
            return loader.get() == null;
        });
    }

    private static String call(Object target, String method) throws ReflectiveOperationException {
        return String.valueOf(target.getClass().getMethod(method).invoke(target));
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                         .timeout(Duration.ofSeconds(30)).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * An exploded WAR: {@code WEB-INF/lib} holds lifecycle-core, lifecycle-servlet (with its web-fragment.xml) and
     * slf4j-api as jars; {@code WEB-INF/classes} the test application; {@code web.xml} its servlet and, optionally,
     * its listener.
     */
    private Path explodedWar(String listener) throws IOException, URISyntaxException {
        Path app = Files.createDirectories(temp.resolve("app"));
        Path lib = Files.createDirectories(app.resolve("WEB-INF/lib"));
        addJar(lib, "lifecycle-core.jar", Lifecycle.class);
        addJar(lib, "lifecycle-servlet.jar", LifecycleServlets.class);
        addJar(lib, "slf4j-api.jar", LoggerFactory.class);
        Path classes = Files.createDirectories(app.resolve("WEB-INF/classes/dev/lifecycle/war/app"));
        Path testClasses = location(UsersListener.class).resolve("dev/lifecycle/war/app");
        try (Stream<Path> files = Files.list(testClasses)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, classes.resolve(file.getFileName().toString()));
            }
        }
        Files.writeString(app.resolve("WEB-INF/web.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
                %s  <servlet>
                    <servlet-name>hello</servlet-name>
                    <servlet-class>dev.lifecycle.war.app.HelloServlet</servlet-class>
                  </servlet>
                  <servlet-mapping>
                    <servlet-name>hello</servlet-name>
                    <url-pattern>/hello</url-pattern>
                  </servlet-mapping>
                </web-app>
                """.formatted(listener), StandardCharsets.UTF_8);
        return app;
    }

    private static void addJar(Path lib, String name, Class<?> member) throws IOException, URISyntaxException {
        Path source = location(member);
        Path jar = lib.resolve(name);
        if (Files.isRegularFile(source)) {
            Files.copy(source, jar);
            return;
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
             Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                zip.putNextEntry(new JarEntry(source.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, zip);
                zip.closeEntry();
            }
        }
    }

    private static Path location(Class<?> member) throws URISyntaxException {
        return Path.of(member.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** The threads that hold {@code loader}, each described with its stack, for the failure message. */
    private static List<String> threadsOf(ClassLoader loader) {
        if (loader == null) {
            return List.of();
        }
        return Thread.getAllStackTraces().entrySet().stream()
                     .filter(e -> e.getKey().getContextClassLoader() == loader
                                  || e.getKey().getClass().getClassLoader() == loader)
                     .map(e -> describe(e.getKey(), e.getValue(), loader))
                     .toList();
    }

    private static String describe(Thread thread, StackTraceElement[] stack, ClassLoader loader) {
        StringBuilder text = new StringBuilder("'").append(thread.getName()).append("' (")
                .append(thread.getState()).append(thread.isDaemon() ? ", daemon" : "")
                .append(", group ").append(thread.getThreadGroup() == null ? "-" : thread.getThreadGroup().getName())
                .append(thread.getClass().getClassLoader() == loader ? ", class from the WAR" : "")
                .append(thread.getContextClassLoader() == loader ? ", context class loader the WAR's" : "")
                .append(')');
        for (StackTraceElement frame : stack) {
            text.append("\n\tat ").append(frame);
        }
        return text.toString();
    }
}
