package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lifecycle.testing.Ports;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {

    private Backend backend;
    private LoadGenerator generator;

    @AfterEach
    void stop() throws InterruptedException {
        if (generator != null) {
            generator.stop(Duration.ofSeconds(5));
        }
        if (backend != null) {
            backend.close();
        }
    }

    private LoadGenerator generator(InetSocketAddress target, int rate, int connections, Duration readTimeout,
                                    String... requests) {
        return generator(target, rate, connections, readTimeout, 0, requests);
    }

    private LoadGenerator generator(InetSocketAddress target, int rate, int connections, Duration readTimeout,
                                    int requestsPerConnection, String... requests) {
        generator = new LoadGenerator(target, rate, connections, Duration.ofSeconds(2), readTimeout,
                RequestMix.of(List.of(requests)), "X-Instance", new Timeline())
                .requestsPerConnection(requestsPerConnection);
        generator.start();
        return generator;
    }

    private List<RequestRecord> runUntil(int requests) throws InterruptedException {
        await().atMost(Duration.ofSeconds(20)).until(() -> generator.records().size() >= requests);
        generator.stop(Duration.ofSeconds(5));
        List<RequestRecord> records = generator.records();
        generator = null;
        return records;
    }

    @Test
    void everyScheduledRequestIsLoggedWithTheReplicaNamedInTheResponse() throws InterruptedException {
        backend = Backend.hello("a");
        LoadGenerator load = generator(backend.address(), 200, 4, Duration.ofSeconds(2), "GET /x", "POST /y {}");

        List<RequestRecord> records = runUntil(50);

        assertThat(records).hasSize((int) load.scheduled());
        assertThat(records).allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.replica()).isEqualTo("a");
            assertThat(r.connection()).isBetween(1, 4);
            assertThat(r.completed()).isGreaterThanOrEqualTo(r.sent());
            assertThat(r.sent()).isGreaterThanOrEqualTo(r.scheduled());
        });
        assertThat(records).extracting(RequestRecord::request).contains("GET /x", "POST /y");
        assertThat(records).extracting(RequestRecord::sequence).doesNotHaveDuplicates();
    }

    @Test
    void serverClosingTheConnectionAfterTheRequestWasWrittenIsAFailure() throws InterruptedException {
        backend = Backend.of("a", exchange -> exchange.getConnection().close());
        generator(backend.address(), 50, 2, Duration.ofSeconds(2), "GET /drop");

        List<RequestRecord> records = runUntil(10);

        assertThat(records).isNotEmpty().allSatisfy(r -> {
            assertThat(r.outcome()).isIn(Outcome.EOF_NO_RESPONSE, Outcome.RESET);
            assertThat(r.sent()).isNotNaN();
        });
    }

    @Test
    void idleConnectionClosedByTheServerBeforeTheNextRequestIsAReconnectNotAFailure() throws InterruptedException {
        backend = Backend.closingIdleConnections("a", 100);
        LoadGenerator load = generator(backend.address(), 4, 1, Duration.ofSeconds(2), "GET /x");

        await().atMost(Duration.ofSeconds(20))
                .until(() -> load.reconnects().get(LoadGenerator.Reconnect.IDLE_CLOSED_BY_PEER) >= 3);
        List<RequestRecord> records = runUntil(0);

        assertThat(records).isNotEmpty().allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.OK));
        assertThat(records.stream().mapToInt(RequestRecord::connection).distinct().count()).isGreaterThan(3);
    }

    @Test
    void bytesOnAnIdleConnectionAreAFailureOfTheNextRequestNotAReconnect() throws Exception {
        // A server that answers once, then sends an extra response on the idle connection.
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread serverThread = new Thread(() -> {
                try (java.net.Socket socket = server.accept()) {
                    socket.getInputStream().read(new byte[4096]);
                    String ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Instance: a\r\n\r\nok";
                    socket.getOutputStream().write((ok + ok).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    socket.getInputStream().read(new byte[4096]);
                } catch (java.io.IOException ignored) {
                    // the client closes the connection: the test is over
                }
            }, "extra-response-server");
            serverThread.setDaemon(true);
            serverThread.start();
            LoadGenerator load = generator(new InetSocketAddress("127.0.0.1", server.getLocalPort()), 20, 1,
                    Duration.ofSeconds(2), "GET /x");

            await().atMost(Duration.ofSeconds(10)).until(() -> load.records().stream()
                    .anyMatch(r -> r.outcome() == Outcome.UNSOLICITED_RESPONSE));
            List<RequestRecord> records = runUntil(0).stream()
                    .sorted(java.util.Comparator.comparingLong(RequestRecord::sequence)).toList();

            assertThat(records.get(0).outcome()).isEqualTo(Outcome.OK);
            assertThat(records).filteredOn(r -> r.connection() == records.get(0).connection())
                    .extracting(RequestRecord::outcome).containsExactly(Outcome.OK, Outcome.UNSOLICITED_RESPONSE);
            assertThat(load.reconnects()).as("not counted as a harmless reconnect")
                    .containsEntry(LoadGenerator.Reconnect.IDLE_CLOSED_BY_PEER, 0L);
        }
    }

    @Test
    void connectionCloseInTheResponseIsHonouredByReconnecting() throws InterruptedException {
        backend = Backend.of("a", exchange -> {
            exchange.getResponseHeaders().put(Headers.CONNECTION, "close");
            exchange.getResponseSender().send("bye");
        });
        LoadGenerator load = generator(backend.address(), 100, 2, Duration.ofSeconds(2), "GET /x");

        List<RequestRecord> records = runUntil(20);

        assertThat(records).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.OK));
        assertThat(records).extracting(RequestRecord::connection).doesNotHaveDuplicates();
        assertThat(load.reconnects().get(LoadGenerator.Reconnect.CONNECTION_CLOSE)).isEqualTo(records.size());
    }

    @Test
    void connectionsAreRecycledAfterTheirShareOfRequests() throws InterruptedException {
        backend = Backend.hello("a");
        LoadGenerator load = generator(backend.address(), 100, 1, Duration.ofSeconds(2), 3, "GET /x");

        List<RequestRecord> records = runUntil(12);

        assertThat(records).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.OK));
        assertThat(records.stream().collect(java.util.stream.Collectors.groupingBy(RequestRecord::connection,
                java.util.stream.Collectors.counting())).values()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(3));
        assertThat(load.reconnects().get(LoadGenerator.Reconnect.CONNECTION_RECYCLED)).isPositive();
    }

    @Test
    void statusOutside2xxIsAFailureAttributedToItsReplica() throws InterruptedException {
        backend = Backend.of("a", exchange -> {
            exchange.setStatusCode(503);
            exchange.getResponseHeaders().put(new HttpString("Retry-After"), "1");
            exchange.getResponseSender().send("draining");
        });
        generator(backend.address(), 100, 2, Duration.ofSeconds(2), "GET /x");

        List<RequestRecord> records = runUntil(10);

        assertThat(records).allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.HTTP_ERROR);
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.replica()).isEqualTo("a");
        });
    }

    @Test
    void responseSlowerThanTheReadTimeoutIsAFailure() throws InterruptedException {
        HttpHandler slow = new HttpHandler() {
            @Override
            public void handleRequest(HttpServerExchange exchange) throws Exception {
                if (exchange.isInIoThread()) {
                    exchange.dispatch(this);
                    return;
                }
                Thread.sleep(1000); // the slow response is the behaviour under test
                exchange.getResponseSender().send("late");
            }
        };
        backend = Backend.of("a", slow);
        generator(backend.address(), 20, 4, Duration.ofMillis(200), "GET /slow");

        List<RequestRecord> records = runUntil(4);

        assertThat(records).isNotEmpty().allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.READ_TIMEOUT));
    }

    @Test
    void refusedConnectionIsAFailure() throws Exception {
        generator(new InetSocketAddress("127.0.0.1", Ports.freePort()), 50, 2, Duration.ofSeconds(1), "GET /x");

        List<RequestRecord> records = runUntil(5);

        assertThat(records).isNotEmpty().allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.CONNECT_REFUSED);
            assertThat(r.sent()).isNaN();
        });
    }

    @Test
    void requestHeldByAWorkerThatDiedIsRecordedUnfinishedNotLost() throws Exception {
        backend = Backend.hello("a");
        AtomicInteger calls = new AtomicInteger();
        RequestMix dying = random -> {
            if (calls.incrementAndGet() == 3) {
                throw new AssertionError("the worker dies");
            }
            return RequestMix.of(List.of("GET /x")).next(random);
        };
        generator = new LoadGenerator(backend.address(), 50, 2, Duration.ofSeconds(2), Duration.ofSeconds(5), dying,
                "X-Instance", new Timeline());
        generator.start();
        // the worker's death is the point: Awaitility must not report it as the test's failure
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(20))
                .until(() -> generator.records().size() >= 10);
        LoadGenerator load = generator;
        load.stop(Duration.ofSeconds(5));
        generator = null;

        assertThat(load.records()).hasSize((int) load.scheduled());
        assertThat(load.records()).filteredOn(r -> r.outcome() != Outcome.OK).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.UNFINISHED);
            assertThat(r.detail()).startsWith("its worker died: java.lang.AssertionError: the worker dies");
        });
    }

    @Test
    void requestsLeftWhenStopGivesUpAreUnfinished() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpHandler stuck = new HttpHandler() {
            @Override
            public void handleRequest(HttpServerExchange exchange) throws Exception {
                if (exchange.isInIoThread()) {
                    exchange.dispatch(this);
                    return;
                }
                entered.countDown();
                release.await(10, TimeUnit.SECONDS);
                exchange.getResponseSender().send("late");
            }
        };
        backend = Backend.of("a", stuck);
        try {
            LoadGenerator load = generator(backend.address(), 50, 1, Duration.ofSeconds(10), "GET /stuck");
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

            load.stop(Duration.ofMillis(100));
            List<RequestRecord> records = load.records();
            generator = null;

            assertThat(records).hasSize((int) load.scheduled());
            assertThat(records).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.UNFINISHED));
        } finally {
            release.countDown();
        }
    }
}
