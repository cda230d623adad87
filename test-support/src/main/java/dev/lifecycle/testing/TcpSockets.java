package dev.lifecycle.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The states of this machine's TCP sockets, read from Linux's {@code /proc/net/tcp} and {@code /proc/net/tcp6}, so
 * that a test can wait for what a client library does not expose: that a pooled client has seen the server close an
 * idle connection (its socket leaves {@code CLOSE_WAIT}) before the test sends the next request on the pool.
 */
public final class TcpSockets {

    /** A socket's state, as the kernel names it (the subset tests wait for). */
    public enum State {
        ESTABLISHED, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE_WAIT, LAST_ACK, OTHER;

        static State of(int code) {
            switch (code) {
                case 0x01: return ESTABLISHED;
                case 0x04: return FIN_WAIT1;
                case 0x05: return FIN_WAIT2;
                case 0x06: return TIME_WAIT;
                case 0x08: return CLOSE_WAIT;
                case 0x09: return LAST_ACK;
                default: return OTHER;
            }
        }
    }

    private TcpSockets() {
    }

    /**
     * The states of the sockets connected to {@code remotePort}, on any address: the client side of every connection
     * to a local server listening there.
     *
     * @throws UncheckedIOException if the tables cannot be read (not Linux)
     */
    public static List<State> connectedTo(int remotePort) {
        List<State> states = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(path);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read " + table, e);
            }
            for (String line : lines.subList(1, lines.size())) {
                // "  sl  local_address rem_address   st ...": addresses are HEXADDR:HEXPORT
                String[] fields = line.trim().split("\\s+");
                String remote = fields[2];
                int port = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
                if (port == remotePort) {
                    states.add(State.of(Integer.parseInt(fields[3], 16)));
                }
            }
        }
        return states;
    }
}
