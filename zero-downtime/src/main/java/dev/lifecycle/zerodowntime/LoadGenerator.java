package dev.lifecycle.zerodowntime;

import dev.lifecycle.zerodowntime.ClientConnection.ExchangeException;
import dev.lifecycle.zerodowntime.ClientConnection.IdleState;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load at a fixed rate over a bounded pool of keep-alive connections, on raw sockets, with no retry.
 *
 * <p>A scheduler thread puts request {@code n} on a queue at {@code start + n / rate}, whether or not earlier ones
 * have completed; each of {@code connections} workers owns at most one connection and takes the next request when it
 * is free. Latency counts from the scheduled time, so a generator or a server falling behind shows up as latency
 * instead of as a lower rate. Idle workers wait on the queue in FIFO order, so every connection is used often.
 *
 * <p>Classification, for each request:
 * <ul>
 *   <li>Before writing on a connection that already carried a response, the worker reads it without blocking. End of
 *       stream or a reset there mean the server (or the balancer) gave up the idle connection before this request
 *       existed for it: the worker reconnects, counted in {@link #reconnects()}, and the request goes on a new
 *       connection. This is the only case not counted as a failure. Bytes found there (an unsolicited or an extra
 *       response) are {@link Outcome#UNSOLICITED_RESPONSE}: a pooled client would have read them as the answer to
 *       this request.</li>
 *   <li>On a connection opened for this request, everything counts: a request is sent right after connecting, so a
 *       connection the balancer closes because its backend refused is a failure, as it is for a kube-proxy client.</li>
 *   <li>Once the first byte is handed to the socket, any end of stream, reset, timeout or bad response is the
 *       request's {@link Outcome}. A write that fails is {@link Outcome#WRITE_FAILED} even on a reused connection:
 *       we cannot prove the peer closed it before the write rather than during it.</li>
 *   <li>A complete response with {@code Connection: close} (or HTTP/1.0 without keep-alive) is honoured by closing;
 *       the next request of that worker connects anew.</li>
 * </ul>
 */
final class LoadGenerator {

    /** Why a worker opened a new connection without a failed request. */
    enum Reconnect {
        /** End of stream on an idle connection, seen before writing. */
        IDLE_CLOSED_BY_PEER,
        /** A reset on an idle connection, seen before writing. */
        IDLE_RESET_BY_PEER,
        /** The previous response said {@code Connection: close}. */
        CONNECTION_CLOSE,
        /** The previous request on the connection failed. */
        AFTER_FAILURE,
        /** The connection carried its share of requests ({@link #requestsPerConnection(int)}): clients come and go. */
        CONNECTION_RECYCLED
    }

    private record Scheduled(long sequence, long dueNanos) {}

    private static final Scheduled POISON = new Scheduled(-1, 0);

    private final InetSocketAddress target;
    private final String host;
    private final int rate;
    private final int connectionCount;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final RequestMix mix;
    private final String instanceHeader;
    private final Timeline timeline;

    private final BlockingQueue<Scheduled> queue = new LinkedBlockingQueue<>();
    private final ConcurrentLinkedQueue<RequestRecord> records = new ConcurrentLinkedQueue<>();
    private final Map<Reconnect, LongAdder> reconnects = new EnumMap<>(Reconnect.class);
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final List<Worker> workers = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean abandoned;
    private volatile int requestsPerConnection;
    private Thread scheduler;
    private volatile long scheduledCount;
    private volatile double startedAt = Double.NaN;
    private volatile double stoppedAt = Double.NaN;

    LoadGenerator(InetSocketAddress target, int rate, int connections, Duration connectTimeout, Duration readTimeout,
                  RequestMix mix, String instanceHeader, Timeline timeline) {
        this.target = target;
        this.host = target.getHostString() + ':' + target.getPort();
        this.rate = rate;
        this.connectionCount = connections;
        this.connectTimeoutMillis = Math.toIntExact(connectTimeout.toMillis());
        this.readTimeoutMillis = Math.toIntExact(readTimeout.toMillis());
        this.mix = mix;
        this.instanceHeader = instanceHeader;
        this.timeline = timeline;
        for (Reconnect reason : Reconnect.values()) {
            reconnects.put(reason, new LongAdder());
        }
    }

    /**
     * Closes a connection after it carried {@code n} responses, and opens a new one for the next request, as a
     * population of clients that come and go would; {@code 0}, the default, keeps connections for good. New
     * connections are what an endpoint still listed for a stopped replica refuses.
     */
    LoadGenerator requestsPerConnection(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("requestsPerConnection: " + n + " (expected: >= 0)");
        }
        this.requestsPerConnection = n;
        return this;
    }

    /** Starts the workers, then the schedule. */
    synchronized void start() {
        if (scheduler != null) {
            throw new IllegalStateException("load generator already started");
        }
        for (int i = 0; i < connectionCount; i++) {
            Worker worker = new Worker(i + 1);
            workers.add(worker);
            worker.start();
        }
        scheduler = new Thread(this::schedule, "load-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    private void schedule() {
        long start = System.nanoTime();
        startedAt = timeline.at(start);
        long n = 0;
        while (!stopping) {
            long due = start + n * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                // The wait IS the schedule of an open-loop generator.
                LockSupport.parkNanos(wait);
                continue;
            }
            queue.add(new Scheduled(n++, due));
        }
        scheduledCount = n;
        stoppedAt = timeline.at(start + n * 1_000_000_000L / rate);
    }

    /**
     * Stops scheduling, lets the workers finish what is queued and in flight for at most {@code bound}, then gives
     * up: what is left is {@link Outcome#UNFINISHED}.
     */
    void stop(Duration bound) throws InterruptedException {
        stopping = true;
        scheduler.join();
        for (int i = 0; i < workers.size(); i++) {
            queue.add(POISON);
        }
        long deadline = System.nanoTime() + bound.toNanos();
        for (Worker worker : workers) {
            worker.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        if (workers.stream().anyMatch(Thread::isAlive)) {
            abandoned = true;
            workers.forEach(Worker::abort);
            for (Worker worker : workers) {
                worker.join(1000);
            }
        }
        double now = timeline.now();
        for (Worker worker : workers) {
            // A worker that died, or did not answer its interrupt, still holds a request: record it rather than
            // lose it.
            Scheduled held = worker.current.getAndSet(null);
            if (held != null) {
                records.add(new RequestRecord(held.sequence(), timeline.at(held.dueNanos()), Double.NaN, now, -1, "",
                        "", 0, Outcome.UNFINISHED, worker.death != null ? "its worker died: " + worker.death
                        : "worker still busy at the end"));
            }
        }
        List<Scheduled> left = new ArrayList<>();
        queue.drainTo(left);
        for (Scheduled s : left) {
            if (s != POISON) {
                records.add(new RequestRecord(s.sequence(), timeline.at(s.dueNanos()), Double.NaN, now, -1, "", "",
                        0, Outcome.UNFINISHED, "still queued at the end"));
            }
        }
    }

    /** Every request, in no particular order. */
    List<RequestRecord> records() {
        return Collections.unmodifiableList(new ArrayList<>(records));
    }

    long scheduled() {
        return scheduledCount;
    }

    int rate() {
        return rate;
    }

    /** When the schedule started and ended on the run's timeline. */
    double startedAt() {
        return startedAt;
    }

    double stoppedAt() {
        return stoppedAt;
    }

    Map<Reconnect, Long> reconnects() {
        Map<Reconnect, Long> counts = new EnumMap<>(Reconnect.class);
        reconnects.forEach((reason, adder) -> counts.put(reason, adder.sum()));
        return counts;
    }

    private final class Worker extends Thread {
        private volatile ClientConnection connection;
        /** The request this worker holds until it is recorded: whoever clears it records it, exactly once. */
        private final AtomicReference<Scheduled> current = new AtomicReference<>();
        /** What killed this worker (an {@link Error}), or null. */
        private volatile Throwable death;

        Worker(int index) {
            super("load-worker-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (true) {
                    Scheduled next = queue.take();
                    if (next == POISON) {
                        break;
                    }
                    current.set(next);
                    RequestRecord record;
                    try {
                        record = execute(next);
                    } catch (RuntimeException e) {
                        // A bug of ours or of the response parser must not make the request vanish.
                        record = new RequestRecord(next.sequence(), timeline.at(next.dueNanos()), Double.NaN,
                                timeline.now(), -1, "", "", 0, Outcome.CLIENT_ERROR, String.valueOf(e));
                        discard();
                    }
                    if (current.compareAndSet(next, null)) {
                        records.add(record);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Error e) {
                // The request it holds stays in current: stop() records it as unfinished.
                death = e;
                throw e;
            } finally {
                discard();
            }
        }

        void abort() {
            interrupt();
            discard();
        }

        private void discard() {
            ClientConnection c = connection;
            connection = null;
            if (c != null) {
                c.close();
            }
        }

        private RequestRecord execute(Scheduled scheduled) {
            RequestMix.Request request = mix.next(ThreadLocalRandom.current());
            double due = timeline.at(scheduled.dueNanos());
            double sent = Double.NaN;
            int connectionId = -1;
            try {
                ClientConnection c = connection;
                if (c != null && c.isReused()) {
                    IdleState idle = c.idleState();
                    if (idle == IdleState.UNSOLICITED_DATA) {
                        connectionId = c.id();
                        reconnects.get(Reconnect.AFTER_FAILURE).increment();
                        discard();
                        return new RequestRecord(scheduled.sequence(), due, Double.NaN, timeline.now(), connectionId,
                                "", request.name(), 0, Outcome.UNSOLICITED_RESPONSE,
                                "bytes on the idle connection before the request was written");
                    }
                    if (idle != IdleState.OPEN) {
                        reconnects.get(idle == IdleState.PEER_CLOSED
                                ? Reconnect.IDLE_CLOSED_BY_PEER : Reconnect.IDLE_RESET_BY_PEER).increment();
                        discard();
                        c = null;
                    }
                }
                if (c == null) {
                    c = ClientConnection.open(connectionIds.incrementAndGet(), target, connectTimeoutMillis,
                            readTimeoutMillis, instanceHeader);
                    connection = c;
                }
                connectionId = c.id();
                sent = timeline.now();
                c.write(request.encode(host));
                ClientConnection.Response response = c.read();
                double completed = timeline.now();
                if (!response.keepAlive()) {
                    reconnects.get(Reconnect.CONNECTION_CLOSE).increment();
                    discard();
                } else if (requestsPerConnection > 0 && c.exchanges() >= requestsPerConnection) {
                    reconnects.get(Reconnect.CONNECTION_RECYCLED).increment();
                    discard();
                }
                boolean ok = response.status() >= 200 && response.status() < 300;
                if (ok) {
                    mix.onSuccess(request, response);
                }
                return new RequestRecord(scheduled.sequence(), due, sent, completed, connectionId,
                        response.instance() == null ? "" : response.instance(), request.name(), response.status(),
                        ok ? Outcome.OK : Outcome.HTTP_ERROR, "");
            } catch (ExchangeException e) {
                if (connection != null) {
                    reconnects.get(Reconnect.AFTER_FAILURE).increment();
                    discard();
                }
                Outcome outcome = abandoned ? Outcome.UNFINISHED : e.outcome();
                return new RequestRecord(scheduled.sequence(), due, sent, timeline.now(), connectionId, "",
                        request.name(), 0, outcome, e.getMessage());
            }
        }
    }
}
