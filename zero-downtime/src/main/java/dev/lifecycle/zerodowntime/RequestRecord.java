package dev.lifecycle.zerodowntime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One request of the load, as written to the CSV log. Times are milliseconds on the run's {@link Timeline};
 * {@code sent} is {@code NaN} when the request was never written, {@code connection} is {@code -1} when no connection
 * was made, {@code replica} is empty when no response named one.
 */
record RequestRecord(long sequence, double scheduled, double sent, double completed, int connection, String replica,
                     String request, int status, Outcome outcome, String detail) {

    static final String CSV_HEADER =
            "sequence,scheduled_ms,sent_ms,completed_ms,latency_ms,connection,replica,request,status,outcome,detail";

    /** From the scheduled time, so that a generator falling behind shows as latency (open loop). */
    double latency() {
        return completed - scheduled;
    }

    String toCsv() {
        return String.format(Locale.ROOT, "%d,%.3f,%.3f,%.3f,%.3f,%d,%s,%s,%d,%s,%s", sequence, scheduled, sent,
                completed, latency(), connection, csv(replica), csv(request), status, outcome, csv(detail));
    }

    /** Parses a line of {@link #toCsv()}. */
    static RequestRecord fromCsv(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        if (fields.size() != 11) {
            throw new IllegalArgumentException("request record: " + line + " (expected: 11 fields)");
        }
        return new RequestRecord(Long.parseLong(fields.get(0)), Double.parseDouble(fields.get(1)),
                Double.parseDouble(fields.get(2)), Double.parseDouble(fields.get(3)), Integer.parseInt(fields.get(5)),
                fields.get(6), fields.get(7), Integer.parseInt(fields.get(8)), Outcome.valueOf(fields.get(9)),
                fields.get(10));
    }

    private static String csv(String value) {
        if (value == null) {
            return "";
        }
        return value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0
                ? value : '"' + value.replace("\"", "\"\"").replace('\n', ' ') + '"';
    }
}
