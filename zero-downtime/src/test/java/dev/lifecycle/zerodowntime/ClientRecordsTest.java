package dev.lifecycle.zerodowntime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientRecordsTest {

    @TempDir
    Path directory;

    @Test
    void recordsWrittenByAClientProcessReadBackIdentically() throws IOException {
        List<RequestRecord> records = List.of(
                new RequestRecord(0, 1.5, 1.6, 9.25, 3, "r0-1", "POST /users", 201, Outcome.OK, ""),
                new RequestRecord(1, 2.5, Double.NaN, 3, -1, "", "GET /x", 0, Outcome.IO_ERROR,
                        "IOException: \"closed\", by peer"));
        Path file = directory.resolve("jdk.records");

        ClientRecords.write(file, "jdk-httpclient", 2, 1.0, 20.0, records, Map.of("CONNECTION_CLOSE", 4L), true);
        double[] window = new double[2];
        ClientRecords read = ClientRecords.read(file, window);

        assertThat(read.client).isEqualTo("jdk-httpclient");
        assertThat(read.scheduled).isEqualTo(2);
        assertThat(read.records).containsExactlyElementsOf(records.stream()
                .map(r -> RequestRecord.fromCsv(r.toCsv())).toList());
        assertThat(read.records.get(1).detail()).isEqualTo("IOException: \"closed\", by peer");
        assertThat(read.records.get(0).completed()).isEqualTo(9.25);
        assertThat(read.reconnects).containsExactly(Map.entry("CONNECTION_CLOSE", 4L));
        assertThat(window).containsExactly(1.0, 20.0);
        assertThat(read.failures()).isEqualTo(1);
    }

    @Test
    void heyWithoutASummaryIsAnErrorNotAnEmptyResult() {
        assertThatThrownBy(() -> ClientRecords.parseHey("hey", "signal: killed\n"))
                .isInstanceOf(IOException.class).hasMessage("hey: no summary in hey's output: signal: killed");
    }

    @Test
    void goErrorsAreClassifiedLikeOurOwn() {
        assertThat(ClientRecords.classifyGoError("Post \"http://10.96.0.10:80/users\": EOF"))
                .isEqualTo(Outcome.EOF_NO_RESPONSE);
        assertThat(ClientRecords.classifyGoError("Post \"http://x/users\": dial tcp 10.96.0.10:80: connect: "
                + "connection refused")).isEqualTo(Outcome.CONNECT_REFUSED);
        assertThat(ClientRecords.classifyGoError("Post \"http://x/users\": read tcp 1.2.3.4:5->6.7.8.9:80: read: "
                + "connection reset by peer")).isEqualTo(Outcome.RESET);
        assertThat(ClientRecords.classifyGoError("Post \"http://x/users\": context deadline exceeded "
                + "(Client.Timeout exceeded while awaiting headers)")).isEqualTo(Outcome.READ_TIMEOUT);
        assertThat(ClientRecords.classifyGoError("Post \"http://x/users\": something new"))
                .isEqualTo(Outcome.IO_ERROR);
    }
}
