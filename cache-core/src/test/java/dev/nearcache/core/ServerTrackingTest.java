package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerTrackingTest {
    @Test
    void parsesInfoAndConfigAndKnowsWhatItDoesNotKnow() {
        ServerTracking t = ServerTracking.parse("# Stats\r\ntotal_connections_received:3\r\ntracking_total_keys:800\r\n"
                + "tracking_total_items:900\r\n", Map.of("tracking-table-max-keys", "1000"));
        assertEquals(800, t.keys());
        assertEquals(0.8, t.fill(), 1e-9);
        assertEquals(-1, ServerTracking.parse(null, null).fill(), "no +info: unknown");
        assertEquals(-1, ServerTracking.parse("tracking_total_keys:5\r\n", Map.of("tracking-table-max-keys", "0"))
                .fill(), "0: unbounded");
    }

    @Test
    void aClusterAddsKeysAndReportsItsFullestMaster() {
        ServerTracking c = ServerTracking.combine(List.of(new ServerTracking(100, 1000), new ServerTracking(900, 1000),
                new ServerTracking(10, 1000)));
        assertEquals(1010, c.keys());
        assertEquals(0.9, c.fill(), 1e-3);
        assertEquals(-1, ServerTracking.combine(List.of(new ServerTracking(1, 10), ServerTracking.UNKNOWN)).keys());
    }
}
