package dev.lifecycle.zerodowntime;

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

    private static String csv(String value) {
        if (value == null) {
            return "";
        }
        return value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0
                ? value : '"' + value.replace("\"", "\"\"").replace('\n', ' ') + '"';
    }
}
