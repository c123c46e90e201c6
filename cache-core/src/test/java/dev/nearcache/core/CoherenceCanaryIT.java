package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.OtherClient;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisExtension;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The coherence canary against real missed invalidations (the fault proxy drops the invalidation link's push frames
 * while the link stays up and answers its heartbeat) and against writes in flight, which must never count.
 */
class CoherenceCanaryIT {
    private static final int KEYS = 50;

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient other = new OtherClient(redis);

    /** Writes {@code count} keys and reads them until every one is held locally. */
    private static void fill(NearCache<String, String> cache, String prefix, int count, String value) {
        for (int i = 0; i < count; i++) {
            other.sync().set(prefix + i, value);
        }
        await("all cached").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
            for (int i = 0; i < count; i++) {
                assertEquals(value, cache.get(prefix + i));
            }
            return cache.stats().size() == count;
        });
    }

    @Test
    void everyValueLeftStaleByADroppedInvalidationIsFoundCountedAndEvicted() {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             NearCache<String, String> cache = NearCache.builder().redisUri(proxy.uri()).verifyRate(100)
                     .verifyFlushThreshold(1_000).build()) {
            fill(cache, "k", KEYS, "v1");
            proxy.dropPushes(); // the invalidation link stays up and answers PING: no fault the heartbeat sees
            for (int i = 0; i < KEYS; i++) {
                other.sync().set("k" + i, "v2");
            }
            assertEquals("v1", cache.get("k0"), "stale: its invalidation was dropped");
            long started = System.nanoTime();
            // bound: every entry is checked within ceil(entries / verifyRate) one-second rounds, plus the barrier
            await("the canary finds every stale value").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().verifyMismatches() == KEYS);
            long millis = (System.nanoTime() - started) / 1_000_000;
            for (int i = 0; i < KEYS; i++) {
                assertEquals("v2", cache.get("k" + i), "evicted, so read again from Redis");
            }
            assertTrue(cache.stats().verifyChecks() >= KEYS, cache.stats().toString());
            assertEquals(0, cache.stats().flushes().get("verify-mismatch"), "below the flush threshold");
            assertTrue(millis < 5_000, "found within " + millis + " ms");
        }
    }

    @Test
    void pastTheThresholdEverythingIsFlushed() {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             NearCache<String, String> cache = NearCache.builder().redisUri(proxy.uri()).verifyRate(100)
                     .verifyFlushThreshold(5).build()) {
            fill(cache, "k", KEYS, "v1");
            proxy.dropPushes();
            for (int i = 0; i < KEYS; i++) {
                other.sync().set("k" + i, "v2");
            }
            await("a verify-mismatch flush").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().flushes().get("verify-mismatch") >= 1);
            for (int i = 0; i < KEYS; i++) {
                assertEquals("v2", cache.get("k" + i));
            }
        }
    }

    @Test
    void writesInFlightNeverCountAsMismatches() throws Exception {
        int keys = 500;
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             NearCache<String, String> cache = NearCache.builder().redisUri(proxy.uri()).verifyRate(10_000)
                     .build()) {
            fill(cache, "hot", keys, "0");
            // invalidations arrive 20 ms after the canary's reads see the writes: every difference it meets is a
            // write in flight, which only the barrier tells from a missed invalidation
            Harness.link(proxy, redis.server(), "nearcache-invalidation").delay(Duration.ofMillis(20));
            AtomicBoolean running = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                long version = 0;
                while (running.get()) { // the 50 hottest keys, written all the time
                    other.sync().set("hot" + ThreadLocalRandom.current().nextInt(50), Long.toString(++version));
                }
            }, "canary-test-writer");
            Thread reader = new Thread(() -> {
                while (running.get()) {
                    cache.get("hot" + ThreadLocalRandom.current().nextInt(keys)); // refills what was invalidated
                }
            }, "canary-test-reader");
            writer.start();
            reader.start();
            try {
                long checksBefore = cache.stats().verifyChecks();
                await("the canary checks values while they are being written").atMost(Duration.ofSeconds(20))
                        .until(() -> cache.stats().verifyChecks() - checksBefore >= 3 * keys);
            } finally {
                running.set(false);
                writer.join();
                reader.join();
            }
            assertEquals(0, cache.stats().verifyMismatches(), cache.stats().toString());
        }
    }
}
