package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stale-if-error against a real server that is stopped, restarted empty, or whose invalidations are lost. */
class StaleIfErrorIT {
    private static final int KEYS = 10;

    private static NearCacheBuilder<String, String> builder(RedisServer server, Duration window) {
        return NearCache.builder().redisUri(server.uri()).staleIfError(window).failFastWhenDisconnected(true)
                .commandTimeout(Duration.ofMillis(500)).heartbeatInterval(Duration.ofMillis(200))
                .reconnectDebounce(Duration.ofMillis(200));
    }

    @Test
    void whileRedisIsDownRecentValuesAreServedThenTheWindowEndsAndNothingStaleIsServedAsFresh() {
        try (RedisServer server = RedisServers.start();
             NearCache<String, String> cache = builder(server, Duration.ofSeconds(3)).build()) {
            RedisClient client = RedisClient.create(server.uri());
            try (StatefulRedisConnection<String, String> other = client.connect()) {
                for (int i = 0; i < KEYS; i++) {
                    other.sync().set("k" + i, "v1");
                    cachedForSure(cache, "k" + i, "v1");
                }
                server.stop();
                long stopped = System.nanoTime();
                await("the loss is seen").atMost(Duration.ofSeconds(5))
                        .until(() -> !cache.stats().invalidationConnectionHealthy());
                for (int i = 0; i < KEYS; i++) {
                    assertEquals("v1", cache.get("k" + i), "Redis is down: the last value, within the window");
                }
                assertEquals(Map.of("k0", "v1", "k1", "v1"), cache.getAll(List.of("k0", "k1")));
                assertEquals("v1", cache.getAsync("k2").join());
                assertTrue(cache.stats().staleServed() >= KEYS + 3, cache.stats().toString());
                assertThrows(NearCacheException.class, () -> cache.get("never-cached"));
                await("past the window, reads fail").atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThrows(NearCacheException.class, () -> cache.get("k0")));
                assertTrue(System.nanoTime() - stopped >= Duration.ofSeconds(3).toNanos(),
                        "not before the window ended");

                server.start(); // empty: persistence is off
                await("Redis answers again").atMost(Duration.ofSeconds(10)).until(() -> {
                    try {
                        other.sync().ping();
                        return true;
                    } catch (RuntimeException e) {
                        return false;
                    }
                });
                for (int i = 0; i < KEYS; i++) {
                    other.sync().set("k" + i, "v2");
                }
                await("the cache is healthy again").atMost(Duration.ofSeconds(10))
                        .until(() -> cache.stats().invalidationConnectionHealthy());
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < KEYS; i++) {
                        assertEquals("v2", cache.get("k" + i), "an unverified value is never served as fresh");
                    }
                }
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }

    @Test
    void afterAFlushAValueWhoseInvalidationWasLostIsReadFromRedisNotServed() {
        try (RedisServer server = RedisServers.start();
             NearCache<String, String> cache = builder(server, Duration.ofMinutes(1))
                     .reconnectDebounce(Duration.ofSeconds(2)).build()) {
            RedisClient client = RedisClient.create(server.uri());
            try (StatefulRedisConnection<String, String> other = client.connect()) {
                other.sync().set("k", "v1");
                cachedForSure(cache, "k", "v1");
                Harness.kill(server, Harness.LISTENER); // a flush; the invalidation of the write below is lost
                await("the loss is seen").atMost(Duration.ofSeconds(5))
                        .until(() -> !cache.stats().invalidationConnectionHealthy());
                other.sync().set("k", "v2");
                assertEquals("v2", cache.get("k"), "the entry kept for stale-if-error is unverified, not a hit");
                assertEquals(0, cache.stats().staleServed(), "Redis answered every read");
                // Redis answered v2 (untracked, so not stored): v1 must not come back as a fallback when Redis goes
                server.stop();
                String after;
                try {
                    after = cache.get("k");
                } catch (NearCacheException e) {
                    after = "failed";
                }
                assertTrue(!"v1".equals(after), "older than what Redis already said: " + after);
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }
}
