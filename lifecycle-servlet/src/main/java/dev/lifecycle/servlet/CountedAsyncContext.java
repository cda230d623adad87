package dev.lifecycle.servlet;

import dev.lifecycle.core.Lifecycle;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/**
 * The {@link AsyncContext} of a counted request: {@link #complete()} first writes the response out (blocking, on the
 * caller's thread, as the application's own writes are), so that the completion the filter waits for comes after the
 * last byte. Some containers run the completion listeners before they write the buffered rest of the response.
 */
final class CountedAsyncContext implements AsyncContext {

    private final AsyncContext delegate;
    private final Lifecycle lifecycle;

    CountedAsyncContext(AsyncContext delegate, Lifecycle lifecycle) {
        this.delegate = delegate;
        this.lifecycle = lifecycle;
    }

    AsyncContext delegate() {
        return delegate;
    }

    @Override
    public void complete() {
        ResponseCompletion.finish(delegate.getResponse(), lifecycle, ResponseCompletion.isHttp1(delegate.getRequest()));
        delegate.complete();
    }

    @Override
    public ServletRequest getRequest() {
        return delegate.getRequest();
    }

    @Override
    public ServletResponse getResponse() {
        return delegate.getResponse();
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
        return delegate.hasOriginalRequestAndResponse();
    }

    @Override
    public void dispatch() {
        delegate.dispatch();
    }

    @Override
    public void dispatch(String path) {
        delegate.dispatch(path);
    }

    @Override
    public void dispatch(ServletContext context, String path) {
        delegate.dispatch(context, path);
    }

    @Override
    public void start(Runnable run) {
        delegate.start(run);
    }

    @Override
    public void addListener(AsyncListener listener) {
        delegate.addListener(listener);
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest request, ServletResponse response) {
        delegate.addListener(listener, request, response);
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> clazz) throws ServletException {
        return delegate.createListener(clazz);
    }

    @Override
    public void setTimeout(long timeout) {
        delegate.setTimeout(timeout);
    }

    @Override
    public long getTimeout() {
        return delegate.getTimeout();
    }
}
