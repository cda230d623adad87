package dev.lifecycle.servlet;

class LifecycleServletReadmeOnUndertowTest extends LifecycleServletReadmeContract {

    LifecycleServletReadmeOnUndertowTest() {
        super(new UndertowContainer());
    }
}
