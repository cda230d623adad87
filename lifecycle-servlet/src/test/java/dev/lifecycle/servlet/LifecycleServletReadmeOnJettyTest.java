package dev.lifecycle.servlet;

class LifecycleServletReadmeOnJettyTest extends LifecycleServletReadmeContract {

    LifecycleServletReadmeOnJettyTest() {
        super(new JettyContainer());
    }
}
