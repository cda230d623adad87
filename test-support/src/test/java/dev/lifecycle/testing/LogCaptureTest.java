package dev.lifecycle.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;

import org.junit.jupiter.api.Test;

class LogCaptureTest {

    @Test
    void capturesWhatIsWrittenToSystemErrWhileOpenAndPutsTheStreamBack() {
        PrintStream original = System.err;
        LogCapture capture = new LogCapture();
        try {
            System.err.println("[main] INFO dev.lifecycle - Drained in 3 ms");
        } finally {
            capture.close();
        }
        System.err.println("after the capture");

        assertThat(System.err).isSameAs(original);
        assertThat(capture.text()).isEqualTo("[main] INFO dev.lifecycle - Drained in 3 ms" + System.lineSeparator());
    }
}
