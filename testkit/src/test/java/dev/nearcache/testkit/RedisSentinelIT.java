package dev.nearcache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A real Sentinel group: it starts settled, names its master, and fails over when asked or when the master dies. */
class RedisSentinelIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void failsOverWhenAskedAndWhenTheMasterDies() {
        try (RedisSentinel group = RedisServers.startSentinel(1, 3)) {
            assertTrue(group.uri().startsWith("redis-sentinel://127.0.0.1:") && group.uri().endsWith("#mymaster"),
                    group.uri());
            RedisServer first = group.master();
            first.command(TIMEOUT, "SET", "k", "v");
            RedisServer second = group.failover();
            assertNotEquals(first.port(), second.port());
            assertEquals("v", second.command(TIMEOUT, "GET", "k"), "the promoted replica has the data");
            assertTrue(String.valueOf(first.command(TIMEOUT, "ROLE")).startsWith("[slave"), "the old master follows");

            second.kill();
            long start = System.nanoTime();
            // the sentinels agree that it is down and promote the other server
            RedisServer third = awaitMasterOtherThan(group, second.port());
            assertEquals(first.port(), third.port());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(30).toNanos());
            second.start(); // back empty, as a master, until the sentinels make it a replica
            group.awaitHealthy(Duration.ofSeconds(60));
            assertEquals("v", second.command(TIMEOUT, "GET", "k"), "it resynced from the new master");
        }
    }

    private static RedisServer awaitMasterOtherThan(RedisSentinel group, int port) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                RedisServer master = group.master();
                if (master.port() != port && String.valueOf(master.command(TIMEOUT, "ROLE")).startsWith("[master")) {
                    return master;
                }
            } catch (RuntimeException e) {
                // asking again
            }
            LocalRedisServer.sleepQuietly(50);
        }
        throw new AssertionError("no failover away from " + port);
    }
}
