package dev.lifecycle.servlet;

import dev.lifecycle.core.InflightRequest;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;

/** Exits a request when its async processing ends; re-registers itself if the application restarts async. */
final class ExitOnAsyncEnd implements AsyncListener {

    private final InflightRequest inflight;

    ExitOnAsyncEnd(InflightRequest inflight) {
        this.inflight = inflight;
    }

    @Override
    public void onComplete(AsyncEvent event) {
        inflight.exit();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        // A timeout always ends in onComplete, once the application or the container has written the response.
    }

    @Override
    public void onError(AsyncEvent event) {
        // Likewise an error.
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // startAsync() again in an async dispatch drops the listeners that do not add themselves back.
        event.getAsyncContext().addListener(this);
    }
}
