package dev.lifecycle.servlet;

class LifecycleServletOnJettyTest extends LifecycleServletContract {

    LifecycleServletOnJettyTest() {
        super(new JettyContainer());
    }
}
