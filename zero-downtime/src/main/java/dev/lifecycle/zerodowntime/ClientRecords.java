package dev.lifecycle.zerodowntime;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one client of a run saw: its requests one by one when the client lets us see them (the raw generator, the
 * JDK's and Apache's HttpClient), else only counts ({@code hey} prints a summary); how many requests it scheduled
 * ({@code -1} for a closed-loop client that schedules nothing), and the new connections it opened without a failed
 * request, by reason, when it can tell.
 *
 * <p>Clients that run in another process (in the node's network namespace) hand their records over in a file:
 * {@link #write} and {@link #read}, lines of {@link RequestRecord#toCsv()} after a few {@code #} header lines.
 */
final class ClientRecords {

    final String client;
    final long scheduled;
    final List<RequestRecord> records;
    final Map<Outcome, Long> outcomes;
    /** Reconnects by reason; empty when the client does not tell (then {@link #reconnectsObservable} is false). */
    final Map<String, Long> reconnects;
    final boolean reconnectsObservable;
    /** A line of what the client reported that has no record (hey's error distribution), for the summary. */
    final List<String> notes;

    private ClientRecords(String client, long scheduled, List<RequestRecord> records, Map<Outcome, Long> outcomes,
                          Map<String, Long> reconnects, boolean reconnectsObservable, List<String> notes) {
        this.client = client;
        this.scheduled = scheduled;
        this.records = List.copyOf(records);
        Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
        for (Outcome outcome : Outcome.values()) {
            counts.put(outcome, outcomes.getOrDefault(outcome, 0L));
        }
        this.outcomes = Collections.unmodifiableMap(counts);
        this.reconnects = Collections.unmodifiableMap(new LinkedHashMap<>(reconnects));
        this.reconnectsObservable = reconnectsObservable;
        this.notes = List.copyOf(notes);
    }

    /** A client whose every request we saw. */
    static ClientRecords of(String client, long scheduled, List<RequestRecord> records, Map<String, Long> reconnects,
                            boolean reconnectsObservable) {
        Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
        records.forEach(r -> counts.merge(r.outcome(), 1L, Long::sum));
        return new ClientRecords(client, scheduled, records, counts, reconnects, reconnectsObservable, List.of());
    }

    /** A client that reports counts only. */
    static ClientRecords ofCounts(String client, Map<Outcome, Long> outcomes, List<String> notes) {
        return new ClientRecords(client, -1, List.of(), outcomes, Map.of(), false, notes);
    }

    static ClientRecords of(String client, LoadGenerator load) {
        Map<String, Long> reasons = new LinkedHashMap<>();
        load.reconnects().forEach((reason, count) -> reasons.put(reason.name(), count));
        return of(client, load.scheduled(), load.records(), reasons, true);
    }

    long requests() {
        return outcomes.values().stream().mapToLong(Long::longValue).sum();
    }

    long completed() {
        return outcomes.get(Outcome.OK);
    }

    long failures() {
        return requests() - completed();
    }

    /** Writes the records for the process that started this client. */
    static void write(Path file, String client, long scheduled, double startedAt, double stoppedAt,
                      List<RequestRecord> records, Map<String, Long> reconnects, boolean reconnectsObservable)
            throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try (BufferedWriter out = Files.newBufferedWriter(partial, StandardCharsets.UTF_8)) {
            out.write("# client " + client + "\n");
            out.write("# scheduled " + scheduled + "\n");
            out.write("# load " + startedAt + " " + stoppedAt + "\n");
            if (reconnectsObservable) {
                for (Map.Entry<String, Long> e : reconnects.entrySet()) {
                    out.write("# reconnect " + e.getKey() + " " + e.getValue() + "\n");
                }
            }
            out.write(RequestRecord.CSV_HEADER + "\n");
            for (RequestRecord r : records) {
                out.write(r.toCsv());
                out.newLine();
            }
        }
        // Atomic, so that a reader never sees half a file from a client that died while writing.
        Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads what {@link #write} wrote; the load's start and end go into {@code loadWindow} when it is not null. */
    static ClientRecords read(Path file, double[] loadWindow) throws IOException {
        String client = null;
        long scheduled = -1;
        Map<String, Long> reconnects = new LinkedHashMap<>();
        boolean observable = false;
        List<RequestRecord> records = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("# client ")) {
                client = line.substring(9);
            } else if (line.startsWith("# scheduled ")) {
                scheduled = Long.parseLong(line.substring(12).trim());
            } else if (line.startsWith("# load ")) {
                String[] times = line.substring(7).trim().split(" ");
                if (loadWindow != null) {
                    loadWindow[0] = Double.parseDouble(times[0]);
                    loadWindow[1] = Double.parseDouble(times[1]);
                }
            } else if (line.startsWith("# reconnect ")) {
                String[] parts = line.substring(12).trim().split(" ");
                reconnects.put(parts[0], Long.parseLong(parts[1]));
                observable = true;
            } else if (!line.isEmpty() && !line.equals(RequestRecord.CSV_HEADER)) {
                records.add(RequestRecord.fromCsv(line));
            }
        }
        if (client == null) {
            throw new IOException(file + " is not a client's record file");
        }
        return of(client, scheduled, records, reconnects, observable);
    }

    private static final Pattern HEY_STATUS = Pattern.compile("^\\s*\\[(\\d{3})]\\s+(\\d+) responses", Pattern.MULTILINE);
    private static final Pattern HEY_ERROR = Pattern.compile("^\\s*\\[(\\d+)]\\s+(.+)$", Pattern.MULTILINE);

    /**
     * Reads {@code hey}'s summary: its status code distribution and its error distribution (Go's errors, e.g.
     * {@code Post "http://...": EOF}). Statuses outside 2xx are {@link Outcome#HTTP_ERROR}; errors are classified
     * from their text.
     *
     * @throws IOException if the output has no status code distribution (hey did not finish)
     */
    static ClientRecords parseHey(String client, String output) throws IOException {
        int statusAt = output.indexOf("Status code distribution:");
        if (statusAt < 0) {
            throw new IOException(client + ": no summary in hey's output: " + output.strip());
        }
        int errorAt = output.indexOf("Error distribution:");
        String statuses = output.substring(statusAt, errorAt < 0 ? output.length() : errorAt);
        Map<Outcome, Long> counts = new EnumMap<>(Outcome.class);
        List<String> notes = new ArrayList<>();
        Matcher status = HEY_STATUS.matcher(statuses);
        while (status.find()) {
            int code = Integer.parseInt(status.group(1));
            long n = Long.parseLong(status.group(2));
            counts.merge(code >= 200 && code < 300 ? Outcome.OK : Outcome.HTTP_ERROR, n, Long::sum);
            if (code < 200 || code >= 300) {
                notes.add("status " + code + ": " + n);
            }
        }
        if (errorAt >= 0) {
            Matcher error = HEY_ERROR.matcher(output.substring(errorAt + "Error distribution:".length()));
            while (error.find()) {
                long n = Long.parseLong(error.group(1));
                String text = error.group(2).strip();
                counts.merge(classifyGoError(text), n, Long::sum);
                notes.add(n + " x " + text);
            }
        }
        return ofCounts(client, counts, notes);
    }

    /** Go's net/http error texts, as hey prints them, to our outcomes. */
    static Outcome classifyGoError(String text) {
        if (text.contains("connection refused")) {
            return Outcome.CONNECT_REFUSED;
        }
        if (text.contains("connection reset")) {
            return Outcome.RESET;
        }
        if (text.contains("broken pipe")) {
            return Outcome.WRITE_FAILED;
        }
        if (text.contains("Client.Timeout") || text.contains("timeout")) {
            return Outcome.READ_TIMEOUT;
        }
        if (text.endsWith(": EOF") || text.contains("server closed idle connection")) {
            return Outcome.EOF_NO_RESPONSE;
        }
        if (text.contains("unexpected EOF")) {
            return Outcome.EOF_PARTIAL_RESPONSE;
        }
        if (text.contains("malformed") || text.contains("unsolicited response")) {
            return text.contains("unsolicited") ? Outcome.UNSOLICITED_RESPONSE : Outcome.PROTOCOL_ERROR;
        }
        return Outcome.IO_ERROR;
    }
}
