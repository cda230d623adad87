/** A user's module: reads the library modules by name, nothing else. */
open module dev.lifecycle.moduletests {
    requires dev.lifecycle.core;
    requires dev.lifecycle.netty;
    requires io.netty.transport;
    requires org.junit.jupiter.api;
    requires org.assertj.core;
}
