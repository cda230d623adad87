package dev.lifecycle.netty;

import java.util.ArrayDeque;

import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;

/**
 * The messages read on a connection while it is held behind a probe whose answer is being computed, kept in order to
 * be replayed once that answer is written. Holding the first one stops reading ({@code autoRead} off), so that the
 * queue stays short; {@link #resumeReading()} turns reading back on once the queue is empty. Used on the channel's
 * event loop only.
 */
final class HeldReads {

    private final Channel channel;
    private final ArrayDeque<Object> messages = new ArrayDeque<>(2);

    HeldReads(Channel channel) {
        this.channel = channel;
    }

    boolean isEmpty() {
        return messages.isEmpty();
    }

    void hold(Object msg) {
        if (messages.isEmpty()) {
            channel.config().setAutoRead(false);
        }
        messages.add(msg);
    }

    /** The oldest held message, removed, or {@code null}. */
    Object next() {
        return messages.poll();
    }

    /** Reads again if nothing is held any more. */
    void resumeReading() {
        channel.config().setAutoRead(messages.isEmpty());
    }

    /** Releases every held message and reads again: the connection is gone, or the handler was removed. */
    void releaseAll() {
        if (messages.isEmpty()) {
            return;
        }
        for (Object msg; (msg = messages.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
        // Only matters when the handler is removed from a live channel.
        channel.config().setAutoRead(true);
    }
}
