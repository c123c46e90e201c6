package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.OtherClient;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rule 8: a value is kept locally no longer than its key's TTL in Redis. Redis sends an invalidation for an expiring
 * key only when it deletes it; among many keys with long TTLs its sampling expire cycle finds a short-lived key only
 * after minutes, so without the rule a cache keeps serving it (measured: 500 of 500). The keyspace here is such: a
 * few hundred short-lived keys among 200,000 that live an hour.
 */
class ServerTtlIT {
    private static final Logger log = LoggerFactory.getLogger(ServerTtlIT.class);
    private static final int LONG_LIVED = 200_000;
    private static final int SHORT_LIVED = 500;

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient other = new OtherClient(redis);

    private static NearCacheBuilder<String, String> builder() {
        return NearCache.builder().redisUri(redis.server().uri());
    }

    /** {@code count} keys {@code prefix0..} that live an hour, written by a script in chunks. */
    static void longLivedKeys(RedisCommands<String, String> redis, String prefix, int count) {
        String script = "for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do "
                + "redis.call('SET', ARGV[1] .. i, 'filler', 'EX', 3600) end return 1";
        for (int from = 0; from < count; from += 50_000) {
            int to = Math.min(count, from + 50_000) - 1;
            redis.eval(script, ScriptOutputType.INTEGER, new String[0], prefix, Integer.toString(from),
                    Integer.toString(to));
        }
    }

    @Test
    void shortLivedKeysAmongManyLongLivedOnesAreNeverServedAfterTheirTtl() {
        longLivedKeys(other.sync(), "long:", LONG_LIVED);
        try (NearCache<String, String> cache = builder().build();
             NearCache<String, String> unbounded = builder().serverTtl(false).build()) {
            cachedForSure(cache, "warm", null);
            cachedForSure(unbounded, "warm", null);
            List<String> keys = new ArrayList<>();
            long written = System.nanoTime();
            for (int i = 0; i < SHORT_LIVED; i++) {
                keys.add("short:" + i);
                other.sync().set("short:" + i, "v" + i, SetArgs.Builder.px(1500));
            }
            long hits = cache.stats().hits();
            for (int round = 0; round < 2; round++) {
                for (String key : keys) {
                    assertEquals("v" + key.substring(6), cache.get(key));
                    assertEquals("v" + key.substring(6), unbounded.get(key));
                }
            }
            assertEquals(SHORT_LIVED, cache.stats().hits() - hits, "the second reads were served locally");
            await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(10))
                    .until(() -> System.nanoTime() - written > Duration.ofMillis(2500).toNanos());
            // the control first: its local hits do not touch Redis, so Redis deletes nothing before the real check
            int servedWithoutBound = 0;
            for (String key : keys) {
                servedWithoutBound += unbounded.get(key) != null ? 1 : 0;
            }
            int served = 0;
            for (String key : keys) {
                served += cache.get(key) != null ? 1 : 0;
            }
            log.info("2.5 s after a TTL of 1.5 s: {} of {} keys served with the server TTL, {} without", served,
                    SHORT_LIVED, servedWithoutBound);
            assertEquals(0, served, "values served after their key expired in Redis");
            assertTrue(servedWithoutBound > SHORT_LIVED / 2, "the keyspace keeps expired keys in Redis's memory, so"
                    + " a cache without the rule serves them: " + servedWithoutBound + " of " + SHORT_LIVED);
        }
    }

    @Test
    void aTtlRemovedOrExtendedByAnotherClientIsReadAgain() {
        try (NearCache<String, String> cache = builder().build()) {
            other.sync().set("persisted", "p", SetArgs.Builder.px(1000));
            other.sync().set("extended", "e", SetArgs.Builder.px(1000));
            long written = System.nanoTime();
            cachedForSure(cache, "persisted", "p");
            cachedForSure(cache, "extended", "e");
            other.sync().persist("persisted"); // invalidates, like a write
            other.sync().pexpire("extended", 60_000);
            await("both invalidations arrived").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().invalidations() >= 2);
            cachedForSure(cache, "persisted", "p");
            cachedForSure(cache, "extended", "e");
            await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(10))
                    .until(() -> System.nanoTime() - written > Duration.ofMillis(1500).toNanos());
            long hits = cache.stats().hits();
            assertEquals("p", cache.get("persisted"));
            assertEquals("e", cache.get("extended"));
            assertEquals(2, cache.stats().hits() - hits, "kept past the old TTL: the new one was read");
        }
    }

    @Test
    void writesWithATtlThroughTheCacheAreBoundedTheSameWay() {
        try (NearCache<String, String> cache = builder().readThroughTtl(Duration.ofMillis(1000)).build()) {
            longLivedKeys(other.sync(), "long:", 20_000);
            long written = System.nanoTime();
            cache.set("own", "o", Duration.ofMillis(1000));
            assertEquals("t", cache.get("through", k -> "t"));
            cachedForSure(cache, "own", "o");
            cachedForSure(cache, "through", "t");
            await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(10))
                    .until(() -> System.nanoTime() - written > Duration.ofMillis(1500).toNanos());
            assertNull(cache.get("own"));
            assertNull(cache.get("through"));
        }
    }

    @Test
    void keysWithoutATtlAndAbsentKeysStayCached() {
        try (NearCache<String, String> cache = builder().localTtl(Duration.ofHours(1)).build()) {
            other.sync().set("forever", "f");
            cachedForSure(cache, "forever", "f");
            cachedForSure(cache, "nothing", null);
            other.sync().set("nothing", "now"); // the creation of a key cached as absent is invalidated
            await("the creation is seen").atMost(Duration.ofSeconds(5)).until(() -> "now".equals(cache.get("nothing")));
        }
    }
}
