package dev.nearcache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BuilderValidationTest {

    @Test
    void rejectsBadArgumentsWithPreciseMessages() {
        RedisServers.Builder b = RedisServers.builder();
        assertEquals("source must not be null", assertThrows(NullPointerException.class,
                () -> b.source(null)).getMessage());
        assertEquals("config name must be one word, got 'max memory'", assertThrows(IllegalArgumentException.class,
                () -> b.config("max memory", "1mb")).getMessage());
        assertEquals("config value of maxmemory must be on one line", assertThrows(IllegalArgumentException.class,
                () -> b.config("maxmemory", "1mb\nport 1")).getMessage());
        assertEquals("clusterNodeTimeout must be at least 100 ms, got PT0.01S",
                assertThrows(IllegalArgumentException.class,
                        () -> b.clusterNodeTimeout(Duration.ofMillis(10))).getMessage());
        assertEquals("masters must be between 1 and 100, got 0", assertThrows(IllegalArgumentException.class,
                () -> b.startCluster(0, 1)).getMessage());
        assertEquals("replicasPerMaster must be between 0 and 5, got -1",
                assertThrows(IllegalArgumentException.class, () -> b.startCluster(3, -1)).getMessage());
    }

    @Test
    void proxyRejectsBadArguments() {
        assertEquals("port must be between 1 and 65535, got 0", assertThrows(IllegalArgumentException.class,
                () -> FaultProxy.to("127.0.0.1", 0)).getMessage());
        try (FaultProxy proxy = FaultProxy.to("127.0.0.1", 1)) {
            assertEquals("delay must not be negative, got PT-1S", assertThrows(IllegalArgumentException.class,
                    () -> proxy.delay(Duration.ofSeconds(-1))).getMessage());
        }
    }
}
