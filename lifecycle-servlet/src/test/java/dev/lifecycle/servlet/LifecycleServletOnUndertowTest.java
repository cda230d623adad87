package dev.lifecycle.servlet;

class LifecycleServletOnUndertowTest extends LifecycleServletContract {

    LifecycleServletOnUndertowTest() {
        super(new UndertowContainer());
    }
}
