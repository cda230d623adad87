package dev.lifecycle.zerodowntime;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.util.Timeout;

/**
 * An open-loop load through a real pooled HTTP client that nobody here wrote: the JDK's {@link HttpClient} or Apache
 * HttpClient 5 (classic, pooling connection manager), each with its own pool, default retry behaviour and
 * idle-connection handling, as users run them. The schedule is either a steady rate or bursts: {@code burstSize}
 * requests due at once every {@code burstPeriod}, so that pooled connections sit idle in between (across a pre-stop
 * delay when the period is longer than it). Every scheduled request is recorded exactly once, {@link Outcome#UNFINISHED}
 * when it had not completed when the load stopped waiting.
 *
 * <p>Their failures are what a user of the client sees after the client's own retries. The JDK's client does not tell
 * when it opens a connection, so its reconnects are not observable; Apache's opens its connections through a factory we
 * give it, so {@link #reconnects()} counts the connections it opened beyond its pool size: each replaced one the client
 * had given up (a {@code Connection: close} honoured, an idle connection found closed when leased, or one discarded
 * after a failure).
 */
final class PooledLoad {

    /** The reason {@link #reconnects()} gives for Apache's connections beyond its pool size. */
    static final String REPLACED_CONNECTION = "REPLACED_CONNECTION";

    /**
     * Which client sends the requests: the JDK's over HTTP/1.1, the JDK's over HTTP/2 (h2c by the HTTP/1.1 upgrade,
     * then one multiplexed connection), or Apache's.
     */
    enum Kind { JDK, JDK_HTTP2, APACHE }

    /** One exchange's result; {@code protocol} is the HTTP version of the response when the client tells. */
    private record Answer(int status, String instance, String protocol) {}

    private interface Exchange extends AutoCloseable {
        Answer send(RequestMix.Request request) throws IOException, InterruptedException;

        @Override
        void close() throws IOException;
    }

    private record Scheduled(long sequence, long dueNanos) {}

    private final Kind kind;
    private final String baseUri;
    private final int rate;
    private final int burstSize;
    private final Duration burstPeriod;
    private final RequestMix mix;
    private final String instanceHeader;
    private final Timeline timeline;
    private final Exchange exchange;
    private final ExecutorService executor;
    private final ConcurrentLinkedQueue<RequestRecord> records = new ConcurrentLinkedQueue<>();
    /** Connections Apache's client opened; the JDK's does not tell. */
    private final LongAdder connectionsOpened = new LongAdder();
    private final int concurrency;
    private final Map<Long, Scheduled> pending = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    /** Set when the load stops waiting: what is interrupted then is unfinished, not a failure of the server's. */
    private volatile boolean abandoned;
    private Thread scheduler;
    private volatile long scheduledCount;
    private volatile double startedAt = Double.NaN;
    private volatile double stoppedAt = Double.NaN;

    /**
     * @param rate requests per second for a steady load; ignored when {@code burstSize > 0}
     * @param concurrency threads sending requests, so at most that many connections in the client's pool
     */
    PooledLoad(Kind kind, String host, int port, int rate, int burstSize, Duration burstPeriod, int concurrency,
               Duration readTimeout, RequestMix mix, String instanceHeader, Timeline timeline) {
        this.kind = kind;
        this.baseUri = "http://" + host + ':' + port;
        this.rate = rate;
        this.burstSize = burstSize;
        this.burstPeriod = burstPeriod;
        this.mix = mix;
        this.instanceHeader = instanceHeader;
        this.timeline = timeline;
        this.concurrency = concurrency;
        this.exchange = switch (kind) {
            case JDK -> jdk(HttpClient.Version.HTTP_1_1, readTimeout, instanceHeader);
            case JDK_HTTP2 -> jdk(HttpClient.Version.HTTP_2, readTimeout, instanceHeader);
            case APACHE -> apache(concurrency, readTimeout, instanceHeader);
        };
        this.executor = new ThreadPoolExecutor(concurrency, concurrency, 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, kind.name().toLowerCase(java.util.Locale.ROOT) + "-client");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    String client() {
        return client(kind);
    }

    /** The name under which a client of this kind reports its records. */
    static String client(Kind kind) {
        return switch (kind) {
            case JDK -> "jdk-httpclient";
            case JDK_HTTP2 -> "jdk-httpclient-h2";
            case APACHE -> "apache-httpclient5";
        };
    }

    synchronized void start() {
        if (scheduler != null) {
            throw new IllegalStateException("load already started");
        }
        scheduler = new Thread(this::schedule, "pooled-load-scheduler");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    private long due(long start, long n) {
        return burstSize > 0 ? start + (n / burstSize) * burstPeriod.toNanos() : start + n * 1_000_000_000L / rate;
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
            Scheduled s = new Scheduled(n++, due);
            pending.put(s.sequence(), s);
            executor.execute(() -> execute(s));
        }
        scheduledCount = n;
        stoppedAt = timeline.at(due(start, n));
    }

    private void execute(Scheduled s) {
        RequestMix.Request request = mix.next(ThreadLocalRandom.current());
        double due = timeline.at(s.dueNanos());
        double sent = timeline.now();
        RequestRecord record;
        try {
            Answer answer = exchange.send(request);
            boolean ok = answer.status() >= 200 && answer.status() < 300;
            record = new RequestRecord(s.sequence(), due, sent, timeline.now(), -1,
                    answer.instance() == null ? "" : answer.instance(), request.name(), answer.status(),
                    ok ? Outcome.OK : Outcome.HTTP_ERROR, answer.protocol() == null ? "" : answer.protocol());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            record = failure(s, due, sent, request, Outcome.UNFINISHED, "interrupted at the end");
        } catch (IOException | RuntimeException e) {
            record = failure(s, due, sent, request, abandoned ? Outcome.UNFINISHED : classify(e),
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        if (pending.remove(s.sequence()) != null) {
            records.add(record);
        }
    }

    private RequestRecord failure(Scheduled s, double due, double sent, RequestMix.Request request, Outcome outcome,
                                  String detail) {
        return new RequestRecord(s.sequence(), due, sent, timeline.now(), -1, "", request.name(), 0, outcome, detail);
    }

    /** The exceptions of both clients, to our outcomes; anything unrecognised is {@link Outcome#IO_ERROR}. */
    static Outcome classify(Throwable e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectTimeoutException) {
            return Outcome.CONNECT_FAILED;
        }
        if (e instanceof ConnectException) {
            return message.contains("refused") ? Outcome.CONNECT_REFUSED : Outcome.CONNECT_FAILED;
        }
        if (e instanceof HttpTimeoutException || e instanceof SocketTimeoutException) {
            return Outcome.READ_TIMEOUT;
        }
        if (e instanceof NoHttpResponseException || message.contains("received no bytes")) {
            return Outcome.EOF_NO_RESPONSE;
        }
        if (e instanceof ConnectionClosedException || message.contains("EOF reached while reading")) {
            return Outcome.EOF_PARTIAL_RESPONSE;
        }
        if (e instanceof SocketException && message.contains("reset")) {
            return Outcome.RESET;
        }
        if (e instanceof SocketException && message.contains("Broken pipe")) {
            return Outcome.WRITE_FAILED;
        }
        if (e.getCause() != null && e.getCause() != e && !(e instanceof RuntimeException)) {
            Outcome cause = classify(e.getCause());
            if (cause != Outcome.IO_ERROR) {
                return cause;
            }
        }
        return e instanceof RuntimeException ? Outcome.CLIENT_ERROR : Outcome.IO_ERROR;
    }

    /**
     * Stops scheduling and waits at most {@code bound} for what is queued and in flight; what is left is
     * {@link Outcome#UNFINISHED}.
     */
    void stop(Duration bound) throws InterruptedException {
        stopping = true;
        scheduler.join();
        executor.shutdown();
        if (!executor.awaitTermination(bound.toMillis(), TimeUnit.MILLISECONDS)) {
            abandoned = true;
            executor.shutdownNow();
            executor.awaitTermination(1, TimeUnit.SECONDS);
        }
        double now = timeline.now();
        for (Scheduled s : new ArrayList<>(pending.values())) {
            if (pending.remove(s.sequence()) != null) {
                records.add(new RequestRecord(s.sequence(), timeline.at(s.dueNanos()), Double.NaN, now, -1, "", "",
                        0, Outcome.UNFINISHED, "not completed when the load stopped"));
            }
        }
        try {
            exchange.close();
        } catch (IOException ignored) {
            // closing the client's pool at the end: nothing depends on it
        }
    }

    List<RequestRecord> records() {
        return List.copyOf(records);
    }

    long scheduled() {
        return scheduledCount;
    }

    /** Whether {@link #reconnects()} can tell anything: only for Apache's client. */
    boolean reconnectsObservable() {
        return kind == Kind.APACHE;
    }

    /**
     * Apache's connections opened beyond its pool size ({@value #REPLACED_CONNECTION}), each replacing one the client
     * had given up; empty for the JDK's client, which does not tell.
     */
    Map<String, Long> reconnects() {
        if (!reconnectsObservable()) {
            return Map.of();
        }
        return Map.of(REPLACED_CONNECTION, Math.max(0, connectionsOpened.sum() - concurrency));
    }

    double startedAt() {
        return startedAt;
    }

    double stoppedAt() {
        return stoppedAt;
    }

    private Exchange jdk(HttpClient.Version version, Duration readTimeout, String instanceHeader) {
        HttpClient client = HttpClient.newBuilder().version(version)
                .connectTimeout(Duration.ofSeconds(2)).build();
        return new Exchange() {
            @Override
            public Answer send(RequestMix.Request request) throws IOException, InterruptedException {
                HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUri + request.target()))
                        .timeout(readTimeout);
                if (request.body().length > 0 || request.method().equals("POST") || request.method().equals("PUT")) {
                    builder.header("Content-Type", request.contentType())
                            .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
                } else {
                    builder.method(request.method(), HttpRequest.BodyPublishers.noBody());
                }
                HttpResponse<byte[]> response = client.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
                return new Answer(response.statusCode(), response.headers().firstValue(instanceHeader).orElse(null),
                        version == HttpClient.Version.HTTP_2 ? response.version().name() : null);
            }

            @Override
            public void close() {
                // the JDK's client in Java 17 has no close(); its idle connections die with the process
            }
        };
    }

    private Exchange apache(int concurrency, Duration readTimeout, String instanceHeader) {
        CloseableHttpClient client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnTotal(concurrency)
                        .setMaxConnPerRoute(concurrency)
                        .setConnectionFactory(socket -> {
                            connectionsOpened.increment();
                            return ManagedHttpClientConnectionFactory.INSTANCE.createConnection(socket);
                        })
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.ofSeconds(2))
                                .setSocketTimeout(Timeout.ofMilliseconds(readTimeout.toMillis()))
                                .build())
                        .build())
                .build();
        return new Exchange() {
            @Override
            public Answer send(RequestMix.Request request) throws IOException {
                HttpUriRequestBase message = new HttpUriRequestBase(request.method(),
                        URI.create(baseUri + request.target()));
                if (request.body().length > 0 || request.method().equals("POST") || request.method().equals("PUT")) {
                    message.setEntity(new ByteArrayEntity(request.body(), ContentType.parse(request.contentType())));
                }
                return client.execute(message, response -> {
                    EntityUtils.consume(response.getEntity());
                    Header instance = response.getFirstHeader(instanceHeader);
                    return new Answer(response.getCode(), instance == null ? null : instance.getValue(), null);
                });
            }

            @Override
            public void close() throws IOException {
                client.close();
            }
        };
    }
}
