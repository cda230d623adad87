package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.undertow.util.HttpString;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PooledLoadTest {

    private Backend backend;

    @AfterEach
    void stop() {
        if (backend != null) {
            backend.close();
        }
    }

    private PooledLoad load(PooledLoad.Kind kind) {
        return load(kind, 6, Duration.ofMillis(100));
    }

    private PooledLoad load(PooledLoad.Kind kind, int burst, Duration period) {
        return new PooledLoad(kind, "127.0.0.1", backend.port(), 1, burst, period, 3,
                Duration.ofSeconds(5), RequestMix.of(List.of("GET /x", "POST /y {\"a\":1}")), "X-Instance",
                new Timeline());
    }

    @ParameterizedTest
    @EnumSource(PooledLoad.Kind.class)
    void everyScheduledRequestOfABurstIsRecordedWithItsReplica(PooledLoad.Kind kind) throws Exception {
        backend = Backend.hello("a");
        PooledLoad load = load(kind);
        load.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> load.records().size() >= 18);
        load.stop(Duration.ofSeconds(5));

        assertThat(load.records()).hasSize((int) load.scheduled()).allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.replica()).isEqualTo("a");
        });
        assertThat(load.records()).extracting(RequestRecord::request).contains("GET /x", "POST /y");
    }

    @ParameterizedTest
    @EnumSource(PooledLoad.Kind.class)
    void a503IsAFailureAttributedToItsReplica(PooledLoad.Kind kind) throws Exception {
        backend = Backend.of("a", exchange -> {
            exchange.setStatusCode(503);
            exchange.getResponseHeaders().put(new HttpString("Retry-After"), "1");
            exchange.getResponseSender().send("draining");
        });
        // Apache HttpClient 5 retries a 503 once after Retry-After, POST included (its default retry strategy): a
        // request takes a second, so few and slow bursts, all awaited.
        PooledLoad load = load(kind, 3, Duration.ofSeconds(30));
        load.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> load.records().size() >= 3);
        load.stop(Duration.ofSeconds(20));

        assertThat(load.records()).isNotEmpty().allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.HTTP_ERROR);
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.replica()).isEqualTo("a");
        });
    }

    @ParameterizedTest
    @EnumSource(PooledLoad.Kind.class)
    void requestWhoseSenderDiedIsRecordedUnfinishedNotLost(PooledLoad.Kind kind) throws Exception {
        backend = Backend.hello("a");
        AtomicInteger calls = new AtomicInteger();
        RequestMix dying = random -> {
            if (calls.incrementAndGet() == 2) {
                throw new AssertionError("the sender dies");
            }
            return RequestMix.of(List.of("GET /x")).next(random);
        };
        PooledLoad load = new PooledLoad(kind, "127.0.0.1", backend.port(), 1, 6, Duration.ofMillis(100), 3,
                Duration.ofSeconds(5), dying, "X-Instance", new Timeline());
        load.start();
        // the sender's death is the point: Awaitility must not report it as the test's failure
        await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(20))
                .until(() -> load.records().size() >= 12);
        load.stop(Duration.ofSeconds(5));

        assertThat(load.records()).hasSize((int) load.scheduled());
        assertThat(load.records()).filteredOn(r -> r.outcome() != Outcome.OK).singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo(Outcome.UNFINISHED));
    }

    @Test
    void apachesConnectionsBeyondItsPoolAreReportedAsReconnectsTheJdksAreNotObservable() throws Exception {
        backend = Backend.of("a", exchange -> {
            exchange.setPersistent(false);
            exchange.getResponseSender().send("bye");
        });
        PooledLoad apache = load(PooledLoad.Kind.APACHE);
        apache.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> apache.records().size() >= 12);
        apache.stop(Duration.ofSeconds(5));
        PooledLoad jdk = load(PooledLoad.Kind.JDK);
        jdk.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> jdk.records().size() >= 6);
        jdk.stop(Duration.ofSeconds(5));

        assertThat(apache.records()).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(Outcome.OK));
        // every response closed its connection: each request but the pool's first 3 connections opened a new one
        assertThat(apache.reconnectsObservable()).isTrue();
        assertThat(apache.reconnects()).containsEntry(PooledLoad.REPLACED_CONNECTION, apache.scheduled() - 3);
        assertThat(jdk.reconnectsObservable()).isFalse();
        assertThat(jdk.reconnects()).isEmpty();
    }

    @Test
    void refusedConnectionIsClassifiedAsRefusedForBothClients() {
        assertThat(PooledLoad.classify(new java.net.ConnectException("Connection refused")))
                .isEqualTo(Outcome.CONNECT_REFUSED);
        assertThat(PooledLoad.classify(new org.apache.hc.core5.http.NoHttpResponseException("no response")))
                .isEqualTo(Outcome.EOF_NO_RESPONSE);
        assertThat(PooledLoad.classify(new java.io.IOException("HTTP/1.1 header parser received no bytes")))
                .isEqualTo(Outcome.EOF_NO_RESPONSE);
        assertThat(PooledLoad.classify(new java.net.http.HttpTimeoutException("request timed out")))
                .isEqualTo(Outcome.READ_TIMEOUT);
    }
}
