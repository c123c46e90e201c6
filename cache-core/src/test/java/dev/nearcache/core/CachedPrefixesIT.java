package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.OtherClient;
import dev.nearcache.testkit.RedisExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Opt-in caching: only keys with the given prefixes are tracked (OPTIN + CLIENT CACHING YES) and kept; or, with
 * broadcast, tracked by prefix (BCAST), with no per-key state on the server.
 */
class CachedPrefixesIT {
    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient other = new OtherClient(redis);

    private static long trackedKeys() {
        return ServerTracking.parse((String) redis.server().command(Duration.ofSeconds(2), "INFO", "stats"), null)
                .keys();
    }

    @Test
    void onlyKeysWithThePrefixesAreTrackedKeptAndInvalidated() {
        try (NearCache<String, String> cache = NearCache.builder().redisUri(redis.server().uri())
                .cachedPrefixes("user:", "product:").verifyRate(0).build()) {
            long trackedBefore = trackedKeys();
            other.sync().set("user:1", "ada");
            other.sync().set("order:1", "o1");
            cachedForSure(cache, "user:1", "ada");
            for (int i = 0; i < 5; i++) {
                assertEquals("o1", cache.get("order:1"));
            }
            assertEquals(1, cache.stats().size(), "only user:1 is kept");
            long missesBefore = cache.stats().misses();
            assertEquals("o1", cache.get("order:1"));
            assertEquals(missesBefore + 1, cache.stats().misses(), "order:1 is read from Redis every time");
            // a batch of both kinds: each kind in its own MGET, only the prefixed one tracked
            cache.getAll(List.of("product:7", "order:2", "order:3"));
            assertEquals(trackedBefore + 2, trackedKeys(), "Redis tracks user:1 and product:7, nothing else");

            other.sync().set("user:1", "grace"); // tracked, so invalidated
            await("the write to a cached key is seen").atMost(Duration.ofSeconds(5))
                    .until(() -> "grace".equals(cache.get("user:1")));
            other.sync().set("order:1", "o2");
            assertEquals("o2", cache.get("order:1"));
        }
        assertThrows(NearCacheConfigurationException.class, () -> NearCache.builder().cachedPrefixes("user:", ""));
    }

    @ParameterizedTest
    @EnumSource(value = TrackingMode.class, names = {"REDIRECT", "SAME_CONNECTION"})
    void broadcastTracksByPrefixWithNoPerKeyStateOnTheServer(TrackingMode mode) {
        try (NearCache<String, String> cache = NearCache.builder().redisUri(redis.server().uri()).trackingMode(mode)
                .cachedPrefixes("user:", "product:").broadcast(true).verifyRate(0).build()) {
            long trackedBefore = trackedKeys();
            for (int i = 0; i < 20; i++) {
                other.sync().set("user:" + i, "u" + i);
                cachedForSure(cache, "user:" + i, "u" + i);
            }
            other.sync().set("order:1", "o1");
            assertEquals("o1", cache.get("order:1"));
            assertEquals(20, cache.stats().size(), "only the prefixed keys are kept");
            assertEquals(trackedBefore, trackedKeys(), "BCAST keeps nothing per key in Redis");
            String info = (String) redis.server().command(Duration.ofSeconds(2), "INFO", "stats");
            assertTrue(info.contains("tracking_total_prefixes:2"), "two prefixes registered: " + info);

            other.sync().set("user:3", "changed");
            await("a write under a prefix invalidates").atMost(Duration.ofSeconds(5))
                    .until(() -> "changed".equals(cache.get("user:3")));
            long notHeld = cache.stats().invalidationsNotHeld();
            other.sync().set("product:never-read", "p");
            await("and so does one to a key never read").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().invalidationsNotHeld() > notHeld);
            cachedForSure(cache, "user:3", "changed");
        }
    }
}
