package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.Load;
import dev.nearcache.core.support.OtherClient;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Data and callers a production cache meets: a caller reading keys outside the user's ACL key patterns, keys that
 * hold other types than strings, keys the codec cannot encode faithfully, a getAll larger than the loader's queue,
 * and an outage with fail-fast on. One bad key never fails another caller's key, and nothing is cached wrongly.
 */
class HostileInputIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient other = new OtherClient(redis);

    @BeforeAll
    static void connect() {
        // a user that may touch only app:* keys (and every command, so only the key pattern is at stake)
        other.sync().aclSetuser("app", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("app-pw")
                .keyPattern("app:*").allChannels().allCommands());
    }

    @AfterAll
    static void disconnect() {
        other.sync().aclDeluser("app");
    }

    private static NearCacheBuilder<String, String> builder() {
        return NearCache.builder().redisUri(redis.server().uri());
    }

    private static String appUri() {
        RedisURI server = RedisURI.create(redis.server().uri());
        return "redis://app:app-pw@" + server.getHost() + ":" + server.getPort();
    }

    @Test
    void readsOfKeysOutsideTheAclPatternFailOnlyTheirOwnCallers() throws Exception {
        for (int i = 0; i < 200; i++) {
            other.sync().set("app:" + i, "v" + i);
        }
        try (NearCache<String, String> cache = NearCache.builder().redisUri(appUri()).maximumSize(10)
                .connections(1).build()) {
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong appReads = new AtomicLong();
            AtomicLong appFailures = new AtomicLong();
            AtomicLong forbiddenFailures = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                threads.add(Load.start("app-reader-" + t, running, () -> {
                    int k = (int) ((appReads.incrementAndGet() * 7 + offset) % 200);
                    try {
                        assertEquals("v" + k, cache.get("app:" + k));
                    } catch (NearCacheException e) {
                        appFailures.incrementAndGet();
                    }
                }));
            }
            threads.add(Load.start("forbidden-reader", running, () -> {
                NearCacheException e = assertThrows(NearCacheException.class, () -> cache.get("secret:1"));
                assertInstanceOf(RedisCommandExecutionException.class, e.getCause());
                assertTrue(e.getCause().getMessage().startsWith("NOPERM"), e.getCause().getMessage());
                forbiddenFailures.incrementAndGet();
            }));
            await("both kinds of read ran many times").atMost(Duration.ofSeconds(30))
                    .until(() -> appReads.get() > 5_000 && forbiddenFailures.get() > 500);
            running.set(false);
            for (Thread thread : threads) {
                thread.join(10_000);
            }
            assertEquals(0, appFailures.get(), "reads of allowed keys failed because another key shared their MGET ("
                    + appReads.get() + " reads)");
        }
    }

    @Test
    void aForbiddenKeyInABatchCountsOneFailedLoadNotTheWholeBatch() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            other.sync().set("app:" + i, "v" + i);
            keys.add("app:" + i);
        }
        keys.add("secret:1");
        try (NearCache<String, String> cache = NearCache.builder().redisUri(appUri()).connections(1).build()) {
            assertThrows(NearCacheException.class, () -> cache.getAll(keys));
            NearCacheStats stats = cache.stats();
            assertEquals(1, stats.loadFailures(), "only the forbidden key failed: " + stats);
            assertEquals(20, stats.loads(), "the allowed keys were read alone: " + stats);
            assertEquals(1 + keys.size(), stats.batches(), "the batch of 21 and each key again: " + stats);
            assertEquals("v3", cache.get("app:3"));
        }
    }

    @Test
    void aKeyOfAnotherTypeIsNeverCachedAsAbsentNorOverwrittenByReadThrough() {
        other.sync().hset("app:hash", "field", "value");
        try (NearCache<String, String> cache = builder().build()) {
            Harness.cachedForSure(cache, "warm", null);
            assertNull(cache.get("app:hash"), "a hash reads as null through a string cache");
            long misses = cache.stats().misses();
            assertNull(cache.get("app:hash"));
            assertEquals(misses + 1, cache.stats().misses(), "and is read from Redis again: not cached as absent");
            assertEquals("computed", cache.get("app:hash", key -> "computed"));
            assertEquals("hash", other.sync().type("app:hash"), "read-through must not overwrite another type");
            assertEquals("value", other.sync().hget("app:hash", "field"));
        }
    }

    @Test
    void readThroughNeverOverwritesAConcurrentWritersValue() {
        try (NearCache<String, String> cache = builder().build()) {
            String result = cache.get("app:raced", key -> {
                other.sync().set(key, "theirs"); // another service wrote it while this one computed
                return "mine";
            });
            assertEquals("mine", result, "the caller gets what it computed");
            assertEquals("theirs", other.sync().get("app:raced"), "but Redis keeps the other writer's value");
            assertEquals("theirs", cache.get("app:raced"));
        }
    }

    @Test
    void aKeyTheCodecCannotEncodeFaithfullyIsRefusedWithAClearError() {
        try (NearCache<String, String> cache = builder().build()) {
            String alias = "alias\uD800"; // an unpaired surrogate: UTF-8 writes '?' instead
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache.get(alias));
            assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cache.set(alias, "v"));
            assertThrows(IllegalArgumentException.class, () -> cache.getAll(List.of("ok", alias)));
            assertNull(other.sync().get("alias?"), "nothing was written under the mangled name");
            assertEquals(0, cache.stats().size());
            assertNull(cache.get("ok"), "other keys are unaffected");
        }
    }

    @Test
    void aGetAllLargerThanTheLoadersQueueIsReadInChunks() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 150_000; i++) {
            keys.add("app:many:" + i);
        }
        other.sync().set("app:many:149999", "last");
        try (NearCache<String, String> cache = builder().maximumSize(1000).build()) {
            Map<String, String> values = cache.getAll(keys);
            assertEquals(150_000, values.size());
            assertEquals("last", values.get("app:many:149999"));
            assertNull(values.get("app:many:0"));
        }
    }

    @Test
    void withFailFastReadsFailAtOnceWhileRedisIsUnreachable() {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             NearCache<String, String> cache = NearCache.builder().redisUri(proxy.uri())
                     .commandTimeout(Duration.ofSeconds(10)).failFastWhenDisconnected(true).build()) {
            assertNull(cache.get("app:x"));
            proxy.disconnect(); // every link reset, every reconnect refused
            await("the data connections are known down").atMost(Duration.ofSeconds(5)).ignoreExceptions()
                    .until(() -> {
                        long start = System.nanoTime();
                        NearCacheException e = assertThrows(NearCacheException.class, () -> cache.get("app:y"));
                        // far less than the 10 s command timeout: rejected, not waited for
                        return System.nanoTime() - start < Duration.ofSeconds(2).toNanos() && e != null;
                    });
            proxy.restore();
            await("reads work again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.get("app:y") == null);
        }
    }
}
