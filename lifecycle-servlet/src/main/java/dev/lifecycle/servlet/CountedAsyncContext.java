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
 *
 * <p>{@link #getResponse()} hands out the filter's {@link CloseOnDrainResponse} in place of the response it wraps
 * ({@code startAsync()} gives the container's own): a response written from another thread after the drain began then
 * gets {@code Connection: close} too.
 */
final class CountedAsyncContext implements AsyncContext {

    private final AsyncContext delegate;
    private final Lifecycle lifecycle;
    private final CloseOnDrainResponse closeOnDrain;

    /** {@code closeOnDrain}: the response wrapper of the request, or {@code null} (HTTP/2). */
    CountedAsyncContext(AsyncContext delegate, Lifecycle lifecycle, CloseOnDrainResponse closeOnDrain) {
        this.delegate = delegate;
        this.lifecycle = lifecycle;
        this.closeOnDrain = closeOnDrain;
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

    /**
     * The response the async request was started with; the filter's wrapper in place of the very response it wraps,
     * so that a commit from another thread is seen. A wrapper of the application's own is handed out as it is.
     */
    @Override
    public ServletResponse getResponse() {
        ServletResponse response = delegate.getResponse();
        return closeOnDrain != null && response == closeOnDrain.getResponse() ? closeOnDrain : response;
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
