package dev.lifecycle.grpc;

import static java.util.Objects.requireNonNull;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

/**
 * A streaming call that the drain can end. {@code ServerCall} is not thread-safe, and the drain ends the call from
 * the thread closing admission while the service may be sending on its own: the methods that write go through one
 * lock. Once the drain has ended the call, the service's messages throw {@code UNAVAILABLE} (so that a streaming
 * loop stops, as it does when the client cancels) and its own {@code close} does nothing.
 */
final class StreamingCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> implements GrpcDrain {

    private static final Logger logger = LoggerFactory.getLogger(StreamingCall.class);

    /** The status the drain ends a stream with, when the service registered no drain action. */
    static final Status DRAINED = Status.UNAVAILABLE.withDescription(
            "Service shutting down: the stream was ended by the server's drain; retry on another connection");

    private final GrpcLifecycle grpc;
    private final Object lock = new Object();
    // All guarded by lock.
    private boolean closed;
    private boolean endedByDrain;
    private Runnable drainAction;
    private volatile boolean draining;

    StreamingCall(ServerCall<Q, R> delegate, GrpcLifecycle grpc) {
        super(delegate);
        this.grpc = grpc;
    }

    @Override
    public void sendHeaders(Metadata headers) {
        synchronized (lock) {
            if (!endedByDrain) {
                super.sendHeaders(headers);
            }
        }
    }

    @Override
    public void sendMessage(R message) {
        synchronized (lock) {
            if (endedByDrain) {
                throw DRAINED.asRuntimeException();
            }
            super.sendMessage(message);
        }
    }

    @Override
    public void close(Status status, Metadata trailers) {
        synchronized (lock) {
            if (endedByDrain) {
                return;
            }
            closed = true;
            super.close(status, trailers);
        }
    }

    @Override
    public boolean isDraining() {
        return draining;
    }

    @Override
    public void onDrain(Runnable action) {
        requireNonNull(action, "action cannot be null");
        synchronized (lock) {
            if (closed || drainAction != null) {
                return;
            }
            drainAction = action;
            if (!draining) {
                return;
            }
        }
        run(action);
    }

    /** The tracker's drain signal: runs once, on the thread closing admission. */
    void drain() {
        // GOAWAY first, so that the client opens its next call on another connection.
        grpc.drainBegins();
        Runnable action;
        synchronized (lock) {
            draining = true;
            if (closed) {
                return;
            }
            action = drainAction;
            if (action == null) {
                closed = true;
                endedByDrain = true;
                try {
                    super.close(DRAINED, new Metadata());
                } catch (RuntimeException e) {
                    logger.debug("Could not end a stream for the drain", e);
                }
                return;
            }
        }
        run(action);
    }

    private static void run(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException | Error e) {
            logger.warn("A stream's drain action threw; ignored", e);
        }
    }
}
