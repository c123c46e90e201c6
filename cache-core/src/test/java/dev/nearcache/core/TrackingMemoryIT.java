package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis remembers every key a tracking connection read. Bounding that memory on the server
 * ({@code tracking-table-max-keys}) costs hit ratio, never coherence: every key Redis drops from its tracking table
 * is invalidated, so the cache drops it too.
 */
class TrackingMemoryIT {
    private static final Logger log = LoggerFactory.getLogger(TrackingMemoryIT.class);
    private static final int KEYS = 20_000;
    private static final int TRACKED_AT_MOST = 1_000;

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    @Test
    void aBoundedTrackingTableKeepsTheCacheCoherent() {
        RedisClient client = RedisClient.create(redis.server().uri());
        try (StatefulRedisConnection<String, String> other = client.connect();
             NearCache<String, String> cache = NearCache.builder().redisUri(redis.server().uri())
                     .maximumSize(KEYS * 2).build()) {
            other.sync().configSet("tracking-table-max-keys", Integer.toString(TRACKED_AT_MOST));
            Map<String, String> values = new HashMap<>();
            for (int i = 0; i < KEYS; i++) {
                values.put("mem:" + i, "v1");
            }
            other.sync().mset(values);
            for (int i = 0; i < KEYS; i++) {
                assertEquals("v1", cache.get("mem:" + i));
            }
            long tracked = trackedKeys(other);
            long invalidations = cache.stats().invalidations();
            log.info("{} keys read, {} tracked by Redis, {} invalidated by its tracking table's bound, {} kept"
                    + " locally", KEYS, tracked, invalidations, cache.stats().size());
            assertTrue(tracked <= TRACKED_AT_MOST + 1, "Redis tracks " + tracked + " keys");
            assertTrue(invalidations >= KEYS - TRACKED_AT_MOST - 1, "evicted keys are invalidated: " + invalidations);
            // the table in view: keys and fill from INFO and CONFIG GET, within one look of the monitor
            await("the tracking table's fill is seen").atMost(Duration.ofSeconds(15)).until(() ->
                    cache.stats().serverTrackingFill() >= ServerTracking.WARN_FILL);
            NearCacheStats seen = cache.stats();
            assertTrue(seen.serverTrackingKeys() > 0 && seen.serverTrackingKeys() <= TRACKED_AT_MOST + 1,
                    seen.toString());
            assertEquals(seen.serverTrackingKeys() / (double) TRACKED_AT_MOST, seen.serverTrackingFill(), 1e-9);
            for (int i = 0; i < KEYS; i++) {
                values.put("mem:" + i, "v2");
            }
            other.sync().mset(values);
            // one pass reads 20,000 keys, 19,000 of them misses, one round trip each: seconds on a loaded CI machine
            await("every key reads the new value").atMost(Duration.ofSeconds(30)).until(() -> {
                for (int i = 0; i < KEYS; i++) {
                    if (!"v2".equals(cache.get("mem:" + i))) {
                        return false;
                    }
                }
                return true;
            });
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            redis.server().command(Duration.ofSeconds(2), "CONFIG", "SET", "tracking-table-max-keys", "1000000");
        }
    }

    @Test
    void invalidationsOfKeysNoLongerHeldAreCounted() {
        RedisClient client = RedisClient.create(redis.server().uri());
        try (StatefulRedisConnection<String, String> other = client.connect();
             NearCache<String, String> cache = NearCache.builder().redisUri(redis.server().uri()).maximumSize(100)
                     .build()) {
            Map<String, String> values = new HashMap<>();
            for (int i = 0; i < 2_000; i++) {
                values.put("held:" + i, "v1");
            }
            other.sync().mset(values);
            for (int i = 0; i < 2_000; i++) {
                cache.get("held:" + i); // tracked in Redis, but at most 100 are kept here
            }
            other.sync().mset(values);
            await("invalidations of keys evicted here are counted").atMost(Duration.ofSeconds(10))
                    .until(() -> cache.stats().invalidationsNotHeld() >= 1_500);
            assertTrue(cache.stats().invalidationsNotHeld() <= cache.stats().invalidations(), cache.stats().toString());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static long trackedKeys(StatefulRedisConnection<String, String> redis) {
        long keys = ServerTracking.parse(redis.sync().info("stats"), null).keys();
        assertTrue(keys >= 0, "INFO stats has no tracking_total_keys");
        return keys;
    }
}
