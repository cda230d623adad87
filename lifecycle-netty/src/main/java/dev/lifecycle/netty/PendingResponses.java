package dev.lifecycle.netty;

import java.util.ArrayDeque;

import dev.lifecycle.core.InflightRequest;

/**
 * The requests of one HTTP/1.1 connection that have not been answered yet, in the order they arrived, which is the
 * order their responses must go out: an {@link InflightRequest} for a request handed to the application (the
 * tracker's no-op request for one to an excluded path), or a {@link LocalAnswer} for one the handler answers itself.
 * The handler writes a local answer as soon as it is ready and at the head, so the head is always a request of the
 * application, a probe whose answer is being computed, or nothing. Used on the channel's event loop only.
 */
final class PendingResponses {

    private final ArrayDeque<Object> entries = new ArrayDeque<>(4);

    void add(InflightRequest request) {
        entries.add(request);
    }

    void add(LocalAnswer answer) {
        entries.add(answer);
    }

    boolean isEmpty() {
        return entries.isEmpty();
    }

    int size() {
        return entries.size();
    }

    /**
     * Removes the request of the application at the head, whose response has just ended, and returns it to exit once
     * that response is written; {@code null} if the head is not one (a response the application wrote unasked).
     */
    InflightRequest pollApplication() {
        return entries.peek() instanceof InflightRequest ? (InflightRequest) entries.poll() : null;
    }

    /** Removes and returns the local answer at the head if it is ready to write; {@code null} otherwise. */
    LocalAnswer pollReadyLocal() {
        Object head = entries.peek();
        if (head instanceof LocalAnswer && ((LocalAnswer) head).isReady()) {
            entries.poll();
            return (LocalAnswer) head;
        }
        return null;
    }

    /** Exits every request and releases every answer: the connection is gone, none will be written. */
    void releaseAll() {
        for (Object entry; (entry = entries.poll()) != null; ) {
            if (entry instanceof InflightRequest) {
                ((InflightRequest) entry).exit();
            } else {
                ((LocalAnswer) entry).release();
            }
        }
    }
}
