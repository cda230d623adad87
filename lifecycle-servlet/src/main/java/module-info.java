/**
 * The lifecycle for Jakarta Servlet 6 containers: the drain-aware filter, the probe servlet, and the WAR listener
 * declared by this jar's {@code web-fragment.xml}.
 */
module dev.lifecycle.servlet {
    requires transitive dev.lifecycle.core;
    requires transitive jakarta.servlet;
    requires org.slf4j;

    exports dev.lifecycle.servlet;
}
