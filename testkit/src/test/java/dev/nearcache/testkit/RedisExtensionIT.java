package dev.nearcache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisExtensionIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();

    private static int port;

    @Test
    @Order(1)
    void injectsTheRunningServer(RedisServer server) {
        assertSame(redis.server(), server);
        assertTrue(server.isRunning());
        port = server.port();
        server.command(Duration.ofSeconds(2), "SET", "left", "behind");
        server.stop();
        assertFalse(server.isRunning());
    }

    @Test
    @Order(2)
    void restartsAServerAnEarlierTestStoppedAndFlushes(RedisServer server) {
        assertTrue(server.isRunning());
        assertEquals(port, server.port(), "same port after the restart");
        server.command(Duration.ofSeconds(2), "SET", "left", "behind");
    }

    @Test
    @Order(3)
    void flushesBeforeEachTest(RedisServer server) {
        assertEquals(null, server.command(Duration.ofSeconds(2), "GET", "left"));
    }

    @Nested
    class NestedTests {
        @Test
        void shareTheOuterServer(RedisServer server) {
            assertSame(redis.server(), server);
            assertTrue(server.isRunning());
        }
    }
}
