package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.core.support.OtherClient;
import dev.nearcache.testkit.RedisExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code startWithoutRedis(true)}: a cache built while its server is down serves read-throughs through the loader,
 * caches nothing and writes nothing, then connects by itself once the server is up, and from then on is an ordinary,
 * coherent near cache, its meters bound.
 */
class StartWithoutRedisIT {
    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient other = new OtherClient(redis);

    @Test
    void servesThroughTheLoaderUntilItConnectsThenCachesCoherently() throws Exception {
        assumeTrue(redis.server().isControllable(), "the test stops the server");
        redis.server().stop();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger loads = new AtomicInteger();
        try (NearCache<String, String> cache = NearCache.builder().redisUri(redis.server().uri())
                .commandTimeout(Duration.ofMillis(500)).startWithoutRedis(true).metrics(registry, "down").build()) {
            assertEquals("loaded 1", cache.get("k", k -> "loaded " + loads.incrementAndGet()));
            assertEquals("loaded 2", cache.get("k", k -> "loaded " + loads.incrementAndGet(), Duration.ofMinutes(1)),
                    "nothing is cached: the loader runs again");
            assertNull(cache.get("absent", k -> null));
            assertThrows(NearCacheNotConnectedException.class, () -> cache.get("k"));
            ExecutionException async = assertThrows(ExecutionException.class, () -> cache.getAsync("k").get());
            assertInstanceOf(NearCacheNotConnectedException.class, async.getCause());
            assertThrows(NearCacheNotConnectedException.class, () -> cache.set("k", "v"),
                    "a write is never skipped: Redis would keep the value it replaces");
            assertThrows(NearCacheNotConnectedException.class, () -> cache.delete("k"));
            assertThrows(IllegalArgumentException.class, () -> cache.get("k", k -> "v", Duration.ZERO));
            assertFalse(cache.stats().invalidationConnectionHealthy());
            assertNull(registry.find("nearcache.gets").meter(), "no meters before there is something to measure");

            redis.server().start();
            other.sync().set("k", "from redis");
            await("connected").atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(
                    NearCacheNotConnectedException.class).until(() -> "from redis".equals(cache.get("k")));
            cachedForSure(cache, "k", "from redis");
            other.sync().set("k", "changed");
            await("invalidated").atMost(Duration.ofSeconds(5)).until(() -> "changed".equals(cache.get("k")));
            assertTrue(cache.stats().invalidationConnectionHealthy());
            assertTrue(registry.get("nearcache.gets").tag("result", "hit").functionCounter().count() > 0,
                    "meters bound once connected");
            assertEquals(2, loads.get());
        }
    }

    @Test
    void closedBeforeItConnectsItStopsTrying() throws Exception {
        assumeTrue(redis.server().isControllable(), "the test stops the server");
        redis.server().stop();
        try {
            NearCache<String, String> cache = NearCache.builder().redisUri(redis.server().uri())
                    .startWithoutRedis(true).build();
            cache.close();
            assertThrows(IllegalStateException.class, () -> cache.get("k", k -> "v"));
            await("the connecting thread ends").atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces()
                    .keySet().stream().noneMatch(t -> t.getName().equals("nearcache-connect")));
        } finally {
            redis.server().start();
        }
    }

    @Test
    void withoutTheOptionTheBuildStillFails() {
        assumeTrue(redis.server().isControllable(), "the test stops the server");
        redis.server().stop();
        try {
            NearCacheException e = assertThrows(NearCacheException.class,
                    () -> NearCache.builder().redisUri(redis.server().uri()).build());
            assertFalse(e instanceof NearCacheNotConnectedException);
        } finally {
            redis.server().start();
        }
    }
}
