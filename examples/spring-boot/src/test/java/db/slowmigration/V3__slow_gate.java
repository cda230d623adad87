package db.slowmigration;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Test-only (with {@code SPRING_FLYWAY_LOCATIONS=classpath:db/migration,classpath:db/slowmigration}): a migration
 * that lasts until the test lets it end. It connects to the test's socket at {@code SLOW_MIGRATION_GATE}
 * ({@code 127.0.0.1:PORT}), which tells the test it is running, and waits, bounded, for one byte.
 */
public class V3__slow_gate extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws IOException {
        String[] gate = System.getenv("SLOW_MIGRATION_GATE").split(":");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(gate[0], Integer.parseInt(gate[1])), 10_000);
            socket.setSoTimeout(120_000);
            if (socket.getInputStream().read() < 0) {
                throw new IOException("the test closed the gate without letting the migration end");
            }
        }
    }
}
