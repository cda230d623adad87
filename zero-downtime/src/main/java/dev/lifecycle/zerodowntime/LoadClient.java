package dev.lifecycle.zerodowntime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One client of a run as a process of its own, so that it can run where the harness cannot: in the node's network
 * namespace ({@code ip netns exec <node> java ... LoadClient ...}), where the Service address exists. It starts the
 * load, prints {@value #STARTED} once the schedule runs, keeps going until its standard input ends (the harness closes
 * it), stops within the read timeout plus 5 s, writes every request to the records file ({@link ClientRecords#write})
 * and exits with 0.
 *
 * <pre>
 * LoadClient --client raw|jdk|jdk-http2|apache|grpc --host H --port P --rate N --connections N [--burst N --burst-period-ms N]
 *            --read-timeout-ms N --origin-nanos N --origin-epoch-micros N --records FILE --request "GET /x" ...
 * </pre>
 */
final class LoadClient {

    static final String STARTED = "load started";

    private LoadClient() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        List<String> requests = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--request")) {
                requests.add(args[i + 1]);
            } else {
                options.put(args[i].substring(2), args[i + 1]);
            }
        }
        String client = required(options, "client");
        String host = required(options, "host");
        int port = Integer.parseInt(required(options, "port"));
        int rate = Integer.parseInt(options.getOrDefault("rate", "50"));
        int connections = Integer.parseInt(options.getOrDefault("connections", "8"));
        int burst = Integer.parseInt(options.getOrDefault("burst", "0"));
        Duration burstPeriod = Duration.ofMillis(Long.parseLong(options.getOrDefault("burst-period-ms", "1000")));
        Duration readTimeout = Duration.ofMillis(Long.parseLong(options.getOrDefault("read-timeout-ms", "5000")));
        String instanceHeader = options.getOrDefault("instance-header", "X-Instance");
        Timeline timeline = new Timeline(Long.parseLong(required(options, "origin-nanos")),
                Long.parseLong(required(options, "origin-epoch-micros")));
        Path records = Path.of(required(options, "records"));
        RequestMix mix = requests.isEmpty() ? RequestMix.exampleService() : RequestMix.of(requests);
        Duration bound = readTimeout.plusSeconds(5);

        if (client.equals("raw")) {
            LoadGenerator load = new LoadGenerator(new java.net.InetSocketAddress(host, port), rate,
                    connections, Duration.ofSeconds(2), readTimeout, mix, instanceHeader, timeline)
                    .requestsPerConnection(Integer.parseInt(options.getOrDefault("requests-per-connection", "0")));
            load.start();
            announceAndAwaitEndOfInput();
            load.stop(bound);
            Map<String, Long> reasons = new LinkedHashMap<>();
            load.reconnects().forEach((reason, count) -> reasons.put(reason.name(), count));
            ClientRecords.write(records, "raw", load.scheduled(), load.startedAt(), load.stoppedAt(), load.records(),
                    reasons, true);
        } else if (client.equals("grpc")) {
            // --connections: the long-lived channels; the request list does not apply (the users API's calls)
            GrpcLoad load = new GrpcLoad(host, port, rate, connections, readTimeout, instanceHeader, timeline);
            load.start(Duration.ofSeconds(60));
            announceAndAwaitEndOfInput();
            load.stop(bound);
            ClientRecords.write(records, load.client(), load.scheduled(), load.startedAt(), load.stoppedAt(),
                    load.records(), Map.of(GrpcLoad.RECONNECTED, load.reconnects()), true);
        } else {
            PooledLoad.Kind kind = switch (client) {
                case "jdk" -> PooledLoad.Kind.JDK;
                case "jdk-http2" -> PooledLoad.Kind.JDK_HTTP2;
                case "apache" -> PooledLoad.Kind.APACHE;
                default -> throw new IllegalArgumentException("client: " + client
                        + " (expected: raw, jdk, jdk-http2, apache or grpc)");
            };
            PooledLoad load = new PooledLoad(kind, host, port, rate, burst, burstPeriod, connections, readTimeout,
                    mix, instanceHeader, timeline);
            load.start();
            announceAndAwaitEndOfInput();
            load.stop(bound);
            ClientRecords.write(records, load.client(), load.scheduled(), load.startedAt(), load.stoppedAt(),
                    load.records(), load.reconnects(), load.reconnectsObservable());
        }
        System.exit(0);
    }

    private static void announceAndAwaitEndOfInput() throws IOException {
        System.out.println(STARTED);
        System.out.flush();
        InputStream in = System.in;
        byte[] sink = new byte[256];
        while (in.read(sink) >= 0) {
            // the harness writes nothing; the end of input is the signal to stop
        }
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing: --" + name);
        }
        return value;
    }
}
