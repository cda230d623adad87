package dev.lifecycle.zerodowntime;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load of gRPC calls through grpc-java, as its users run it: a few long-lived {@link ManagedChannel}s to
 * the Service address, each one HTTP/2 connection that stays on the pod it reached (conntrack) until the server sends
 * {@code GOAWAY}; default channel settings, so the only retries are grpc-java's transparent ones (a stream that never
 * left the client, or that the server refused with {@code REFUSED_STREAM} or left out of its {@code GOAWAY}): no
 * retry policy, fail-fast calls (no wait-for-ready), so a call that fails with any status is a failed call, including
 * {@code UNAVAILABLE}.
 *
 * <p>The calls are the example service's users API ({@code lifecycle.examples.Users}, JSON messages): {@code List}
 * (a read), {@code Create}, and {@code Work} of 200 to 600 ms and of 2 s (the slow call, in flight across a
 * {@code GOAWAY}). Each call is sent on channel {@code sequence % channels}, with the read timeout as its deadline,
 * and recorded exactly once: {@code connection} is the channel, {@code replica} the {@code x-instance} header (or
 * trailer), {@code status} the gRPC status code (0 is {@code OK}). A call answered by the service with another status
 * is {@link Outcome#HTTP_ERROR}; one that never got an answer is classified from its status and cause (refused
 * connection, reset stream, closed connection, deadline).
 *
 * <p>Reconnects are observable: each time a channel becomes {@code READY} again after it was, counted as
 * {@code CHANNEL_RECONNECTED} (after a {@code GOAWAY}, the channel's next connection goes through the Service's DNAT
 * again and may reach another pod).
 */
final class GrpcLoad {

    static final String SERVICE = "lifecycle.examples.Users";
    static final String RECONNECTED = "CHANNEL_RECONNECTED";

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** One call of the mix. */
    record Call(String name, MethodDescriptor<byte[], byte[]> method, byte[] request) {}

    private record Scheduled(long sequence, long dueNanos, CompletableFuture<Void> done) {}

    private final List<ManagedChannel> channels = new ArrayList<>();
    private final int rate;
    private final Duration deadline;
    private final Timeline timeline;
    private final Metadata.Key<String> instanceKey;
    private final ConcurrentLinkedQueue<RequestRecord> records = new ConcurrentLinkedQueue<>();
    private final Map<Long, Scheduled> pending = new ConcurrentHashMap<>();
    private final AtomicLong names = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private volatile boolean stopping;
    private volatile boolean abandoned;
    private Thread scheduler;
    private volatile long scheduledCount;
    private volatile double startedAt = Double.NaN;
    private volatile double stoppedAt = Double.NaN;

    /**
     * @param channels long-lived channels the calls are spread over, each one HTTP/2 connection at a time
     * @param deadline each call's deadline (the read timeout)
     */
    GrpcLoad(String host, int port, int rate, int channels, Duration deadline, String instanceHeader,
             Timeline timeline) {
        if (rate < 1) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: >= 1)");
        }
        if (channels < 1) {
            throw new IllegalArgumentException("channels: " + channels + " (expected: >= 1)");
        }
        this.rate = rate;
        this.deadline = deadline;
        this.timeline = timeline;
        this.instanceKey = Metadata.Key.of(instanceHeader.toLowerCase(Locale.ROOT), Metadata.ASCII_STRING_MARSHALLER);
        for (int i = 0; i < channels; i++) {
            this.channels.add(Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create())
                    .userAgent("lifecycle-rollout-harness").build());
        }
    }

    String client() {
        return "grpc-java";
    }

    /**
     * Connects every channel (each reaches a pod chosen by the Service's DNAT), waits at most {@code bound} until all
     * are {@code READY}, then starts the schedule.
     *
     * @throws IOException if a channel is not ready within the bound
     */
    synchronized void start(Duration bound) throws IOException, InterruptedException {
        if (scheduler != null) {
            throw new IllegalStateException("load already started");
        }
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        for (ManagedChannel channel : channels) {
            CompletableFuture<Void> first = new CompletableFuture<>();
            watch(channel, first);
            ready.add(first);
        }
        try {
            CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(bound.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("gRPC channels not READY within " + bound + ": " + channels.stream()
                    .map(c -> c.getState(false).name()).toList(), e);
        }
        scheduler = new Thread(this::schedule, "grpc-load-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    /**
     * Follows a channel's state for good: its first READY completes {@code first}, each later one is a reconnect. An
     * IDLE channel (after a GOAWAY) is asked to connect at once, as the next call of a busy client would.
     */
    private void watch(ManagedChannel channel, CompletableFuture<Void> first) {
        ConnectivityState state = channel.getState(!stopping);
        if (state == ConnectivityState.READY && !first.complete(null)) {
            reconnects.incrementAndGet();
        }
        if (state != ConnectivityState.SHUTDOWN) {
            channel.notifyWhenStateChanged(state, () -> watch(channel, first));
        }
    }

    private long due(long start, long n) {
        return start + n * 1_000_000_000L / rate;
    }

    private void schedule() {
        long start = System.nanoTime();
        startedAt = timeline.at(start);
        long n = 0;
        while (!stopping) {
            long due = due(start, n);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                // The wait IS the schedule of an open-loop generator.
                LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(50)));
                continue;
            }
            Scheduled s = new Scheduled(n++, due, new CompletableFuture<>());
            pending.put(s.sequence(), s);
            send(s, next(ThreadLocalRandom.current()));
        }
        scheduledCount = n;
        stoppedAt = timeline.at(due(start, n));
    }

    /** The mix: reads, creations, short work and a slow call. */
    Call next(Random random) {
        int dice = random.nextInt(100);
        if (dice < 35) {
            return call("List", "{\"limit\":5}");
        }
        if (dice < 70) {
            long n = names.incrementAndGet();
            return call("Create", "{\"name\":\"grpc-" + n + "\",\"email\":\"grpc-" + n + "@example.test\"}");
        }
        if (dice < 95) {
            return call("Work", "{\"ms\":" + (200 + random.nextInt(401)) + "}");
        }
        return call("Work", "{\"ms\":2000}");
    }

    private static Call call(String method, String json) {
        return new Call(method, MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build(),
                json.getBytes(StandardCharsets.UTF_8));
    }

    private void send(Scheduled s, Call call) {
        int channelIndex = (int) (s.sequence() % channels.size());
        double due = timeline.at(s.dueNanos());
        double sent = timeline.now();
        ClientCall<byte[], byte[]> clientCall;
        try {
            clientCall = channels.get(channelIndex).newCall(call.method(),
                    CallOptions.DEFAULT.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS));
            clientCall.start(new ClientCall.Listener<>() {
                private volatile String instance;
                private volatile boolean answered;

                @Override
                public void onHeaders(Metadata headers) {
                    answered = true;
                    instance = headers.get(instanceKey);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    String fromTrailers = trailers.get(instanceKey);
                    if (fromTrailers != null) {
                        answered = true;
                        instance = fromTrailers;
                    }
                    record(s, new RequestRecord(s.sequence(), due, sent, timeline.now(), channelIndex,
                            instance == null ? "" : instance, call.name(), status.getCode().value(),
                            classify(status, answered), status.isOk() ? "" : describe(status)));
                }
            }, new Metadata());
            clientCall.sendMessage(call.request());
            clientCall.halfClose();
            clientCall.request(1);
        } catch (RuntimeException e) {
            record(s, new RequestRecord(s.sequence(), due, sent, timeline.now(), channelIndex, "", call.name(), -1,
                    Outcome.CLIENT_ERROR, e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
    }

    private void record(Scheduled s, RequestRecord record) {
        if (abandoned && record.outcome() != Outcome.OK) {
            record = new RequestRecord(record.sequence(), record.scheduled(), record.sent(), record.completed(),
                    record.connection(), record.replica(), record.request(), record.status(), Outcome.UNFINISHED,
                    "not completed when the load stopped: " + record.detail());
        }
        if (pending.remove(s.sequence()) != null) {
            records.add(record);
        }
        s.done().complete(null);
    }

    private static String describe(Status status) {
        String text = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
        return status.getCause() == null ? text : text + " (" + status.getCause() + ")";
    }

    /**
     * A call's status to our outcomes. {@code answered}: the service sent headers or its instance in the trailers,
     * so the status is its answer.
     */
    static Outcome classify(Status status, boolean answered) {
        if (status.isOk()) {
            return Outcome.OK;
        }
        if (answered) {
            return Outcome.HTTP_ERROR;
        }
        if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            return Outcome.READ_TIMEOUT;
        }
        if (status.getCause() != null) {
            Outcome cause = PooledLoad.classify(status.getCause());
            if (cause != Outcome.IO_ERROR && cause != Outcome.CLIENT_ERROR) {
                return cause;
            }
        }
        String description = String.valueOf(status.getDescription());
        if (description.contains("RST_STREAM")) {
            return Outcome.RESET;
        }
        if (description.contains("closed") || description.contains("GOAWAY")) {
            return Outcome.EOF_NO_RESPONSE;
        }
        if (status.getCode() == Status.Code.INTERNAL) {
            return Outcome.PROTOCOL_ERROR;
        }
        return Outcome.IO_ERROR;
    }

    /**
     * Stops scheduling and waits at most {@code bound} for the calls in flight; what is left is cancelled and
     * {@link Outcome#UNFINISHED}. The channels are shut down.
     */
    void stop(Duration bound) throws InterruptedException {
        stopping = true;
        scheduler.join();
        try {
            CompletableFuture.allOf(pending.values().stream().map(Scheduled::done)
                    .toArray(CompletableFuture[]::new)).get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            abandoned = true;
        }
        abandoned = true;
        channels.forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
        double now = timeline.now();
        for (Scheduled s : new ArrayList<>(pending.values())) {
            if (pending.remove(s.sequence()) != null) {
                records.add(new RequestRecord(s.sequence(), timeline.at(s.dueNanos()), Double.NaN, now, -1, "", "",
                        -1, Outcome.UNFINISHED, "not completed when the load stopped"));
            }
        }
    }

    List<RequestRecord> records() {
        return List.copyOf(records);
    }

    long scheduled() {
        return scheduledCount;
    }

    long reconnects() {
        return reconnects.get();
    }

    double startedAt() {
        return startedAt;
    }

    double stoppedAt() {
        return stoppedAt;
    }
}
