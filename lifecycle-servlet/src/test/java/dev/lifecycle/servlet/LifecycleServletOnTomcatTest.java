package dev.lifecycle.servlet;

class LifecycleServletOnTomcatTest extends LifecycleServletContract {

    LifecycleServletOnTomcatTest() {
        super(new TomcatContainer());
    }
}
