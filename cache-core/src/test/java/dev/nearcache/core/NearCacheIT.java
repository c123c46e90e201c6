package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.OtherClient;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisExtension;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.codec.ByteArrayCodec;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class NearCacheIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient other = new OtherClient(redis);

    private static NearCacheBuilder<String, String> builder() {
        return NearCache.builder().redisUri(redis.server().uri());
    }

    @Test
    void readsWritesAndDeletesThroughTheCache() {
        try (NearCache<String, String> cache = builder().build()) {
            other.sync().set("a", "1");
            other.sync().set("b", "2");
            assertEquals("1", cache.get("a"));
            cachedForSure(cache, "a");
            assertEquals("1", cache.getAsync("a").join());
            assertEquals(Map.of("a", "1", "b", "2"), cache.getAll(List.of("a", "b")));
            Map<String, String> withAbsent = cache.getAll(List.of("a", "nope"));
            assertTrue(withAbsent.containsKey("nope"));
            assertNull(withAbsent.get("nope"));
            cache.set("a", "10");
            assertEquals("10", other.sync().get("a"));
            assertEquals("10", cache.get("a"));
            cache.set("t", "x", Duration.ofSeconds(30));
            assertTrue(other.sync().pttl("t") > 0);
            cache.delete("a");
            assertNull(other.sync().get("a"));
            assertNull(cache.get("a"));
        }
    }

    @Test
    void anotherClientsWriteIsSeenOnceRedisReportsIt() {
        try (NearCache<String, String> cache = builder().build()) {
            other.sync().set("w", "old");
            cachedForSure(cache, "w");
            other.sync().set("w", "new");
            await("invalidation applied").atMost(Duration.ofSeconds(5)).until(() -> "new".equals(cache.get("w")));
            other.sync().del("w");
            await("deletion applied").atMost(Duration.ofSeconds(5)).until(() -> cache.get("w") == null);
            other.sync().set("w", "created");
            await("creation of a negatively cached key applied").atMost(Duration.ofSeconds(5))
                    .until(() -> "created".equals(cache.get("w")));
        }
    }

    @Test
    void absentKeysAreCachedOnlyWithNegativeCaching() {
        try (NearCache<String, String> cache = builder().build()) {
            cachedForSure(cache, "absent");
            assertNull(cache.get("absent"));
        }
        try (NearCache<String, String> cache = builder().negativeCaching(false).build()) {
            other.sync().set("warm-up", "x");
            cachedForSure(cache, "warm-up");
            long misses = cache.stats().misses();
            cache.get("absent");
            cache.get("absent");
            assertEquals(misses + 2, cache.stats().misses());
        }
    }

    @Test
    void everyConnectionCarriesTheApplicationsNameBeforeItsRole() {
        try (NearCache<String, String> cache = builder().clientName("orders").connectTimeout(Duration.ofSeconds(3))
                .build()) {
            cache.set("named", "1");
            assertEquals("1", cache.get("named"));
            java.util.List<String> names = java.util.Arrays.stream(other.sync().clientList().split("\n"))
                    .map(line -> line.replaceAll(".* name=(\\S*) .*", "$1")).filter(n -> n.startsWith("orders"))
                    .sorted().toList();
            assertEquals(java.util.List.of("orders:nearcache-data-0", "orders:nearcache-data-1",
                    "orders:nearcache-invalidation", "orders:nearcache-writer"), names);
        }
    }

    @Test
    void sharedClientResourcesAreUsedAndLeftRunning() {
        io.lettuce.core.resource.ClientResources shared = io.lettuce.core.resource.DefaultClientResources.create();
        try {
            try (NearCache<String, String> cache = builder().clientResources(shared).build()) {
                other.sync().set("shared", "1");
                cachedForSure(cache, "shared");
            }
            assertFalse(shared.eventExecutorGroup().isShuttingDown(), "the application's resources stay up");
            try (NearCache<String, String> again = builder().clientResources(shared).build()) {
                assertEquals("1", again.get("shared"), "a second cache on the same resources");
            }
        } finally {
            shared.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void deleteMatchingRemovesThoseKeysInRedisAndLocallyAndNothingElse() {
        try (NearCache<String, String> cache = builder().build()) {
            for (int i = 0; i < 2_500; i++) {
                other.sync().set("products::" + i, "p" + i);
            }
            other.sync().set("orders::1", "o1");
            cachedForSure(cache, "products::7");
            cachedForSure(cache, "orders::1");
            assertEquals(2_500, cache.deleteMatching("products::*"));
            assertNull(cache.get("products::7"), "dropped locally at once");
            assertEquals(0, other.sync().keys("products::*").size());
            assertEquals("o1", cache.get("orders::1"));
            assertEquals(0, cache.deleteMatching("products::*"));
            assertThrows(IllegalArgumentException.class, () -> cache.deleteMatching(""));
        }
    }

    @Test
    void readThroughWithItsOwnTtl() {
        try (NearCache<String, String> cache = builder().readThroughTtl(Duration.ofHours(1)).build()) {
            assertEquals("v", cache.get("rt", k -> "v", Duration.ofSeconds(30)));
            long ttl = other.sync().pttl("rt");
            assertTrue(ttl > 0 && ttl <= 30_000, "the call's TTL, not the builder's: " + ttl);
            assertThrows(IllegalArgumentException.class, () -> cache.get("rt2", k -> "v", Duration.ZERO));
        }
    }

    @Test
    void binaryKeysAndValues() {
        byte[] key = {0, 1, 2, (byte) 0xff};
        byte[] value = {9, 8, 7};
        try (NearCache<byte[], byte[]> cache = builder().codec(ByteArrayCodec.INSTANCE).build()) {
            cache.set(key, value);
            assertArrayEquals(value, cache.get(Arrays.copyOf(key, key.length)));
            await("cached by content").atMost(Duration.ofSeconds(10)).until(() -> {
                long hits = cache.stats().hits();
                cache.get(Arrays.copyOf(key, key.length));
                return cache.stats().hits() > hits;
            });
        }
    }

    /** A JSON value type for {@link JsonCodec}. */
    public record Product(int id, String name) {
    }

    @Test
    void jsonValuesRoundTripAndUndecodableOnesFailClearlyWithoutBeingCached() {
        try (NearCache<String, Product> cache = builder()
                .codec(new JsonCodec<>(new com.fasterxml.jackson.databind.ObjectMapper(), Product.class)).build()) {
            cache.set("json:1", new Product(1, "Lamp"));
            assertEquals("{\"id\":1,\"name\":\"Lamp\"}", other.sync().get("json:1"));
            assertEquals(new Product(1, "Lamp"), cache.get("json:1"));
            other.sync().set("json:bad", "not json");
            NearCacheException e = assertThrows(NearCacheException.class, () -> cache.get("json:bad"));
            assertTrue(e.getMessage().contains(Product.class.getName()), e.getMessage());
            assertThrows(NearCacheException.class, () -> cache.get("json:bad"));
        }
    }

    @Test
    void readThroughCallsTheLoaderOncePerKeyAcrossConcurrentCallers() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (NearCache<String, String> cache = builder().readThroughTtl(Duration.ofMinutes(5)).build()) {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> cache.get("rt", k -> {
                    calls.incrementAndGet();
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return "computed:" + k;
                })));
            }
            await("a caller runs the loader").atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 1);
            release.countDown();
            for (Future<String> result : results) {
                assertEquals("computed:rt", result.get(10, TimeUnit.SECONDS));
            }
            assertEquals(1, calls.get(), "one loader call for 16 concurrent callers");
            assertEquals("computed:rt", other.sync().get("rt"));
            assertTrue(other.sync().pttl("rt") > 0, "written with the read-through TTL");
            assertEquals("computed:rt", cache.get("rt", k -> {
                throw new AssertionError("present in Redis: the loader must not run");
            }));
            IllegalStateException failure = assertThrows(IllegalStateException.class,
                    () -> cache.get("rt-fail", k -> {
                        throw new IllegalStateException("backend down");
                    }));
            assertEquals("backend down", failure.getMessage());
            assertNull(cache.get("rt-null", k -> null));
            assertNull(other.sync().get("rt-null"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rule7_entriesAreBoundedByCount() {
        try (NearCache<String, String> cache = builder().maximumSize(100).build()) {
            cachedForSure(cache, "warm");
            for (int i = 0; i < 1000; i++) {
                cache.get("k" + i);
            }
            await("evicted down to the bound").atMost(Duration.ofSeconds(5)).until(() -> cache.stats().size() <= 100);
            assertTrue(cache.stats().evictions() > 0);
        }
    }

    @Test
    void rule7_entriesAreBoundedByWeight() {
        String value = "x".repeat(1000);
        for (int i = 0; i < 200; i++) {
            other.sync().set("w" + i, value);
        }
        try (NearCache<String, String> cache = builder().maximumWeight(20_000).build()) {
            cachedForSure(cache, "warm");
            for (int i = 0; i < 200; i++) {
                assertEquals(value, cache.get("w" + i));
            }
            await("evicted down to the weight").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().weightedSize() <= 20_000);
            assertTrue(cache.stats().size() < 200);
        }
    }

    @Test
    void rule7_aLocalTtlDropsEntriesWhateverRedisSays() {
        try (NearCache<String, String> cache = builder().localTtl(Duration.ofMillis(300)).build()) {
            other.sync().set("ttl", "v");
            cachedForSure(cache, "ttl");
            long misses = cache.stats().misses();
            await("the entry expired locally").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        cache.get("ttl");
                        return cache.stats().misses() > misses;
                    });
        }
    }

    @Test
    void oversizedValuesAreReturnedButNotCached() {
        String big = "y".repeat(200);
        other.sync().set("big", big);
        try (NearCache<String, String> cache = builder().maxValueBytes(100).build()) {
            cachedForSure(cache, "small");
            long misses = cache.stats().misses();
            assertEquals(big, cache.get("big"));
            assertEquals(big, cache.get("big"));
            assertEquals(misses + 2, cache.stats().misses());
            assertEquals(2, cache.stats().notCachedOversized());
        }
    }

    @Test
    void badInputIsRejectedClearly() {
        try (NearCache<String, String> cache = builder().build()) {
            assertEquals("key must not be null", assertThrows(NullPointerException.class,
                    () -> cache.get(null)).getMessage());
            assertEquals("value must not be null (use delete)", assertThrows(NullPointerException.class,
                    () -> cache.set("k", null)).getMessage());
            assertEquals("keys must not contain null", assertThrows(NullPointerException.class,
                    () -> cache.getAll(Arrays.asList("a", null))).getMessage());
            assertEquals("ttl must be at least 1 ms, got PT0S", assertThrows(IllegalArgumentException.class,
                    () -> cache.set("k", "v", Duration.ZERO)).getMessage());
        }
    }

    @Test
    void metricsAndStatsReportTheSameNumbersAndNoSecret() {
        try (RedisServer secured = RedisServers.builder().config("requirepass", "hunter2").start();
             NearCache<String, String> cache = NearCache.builder().redisUri(secured.uri()).build()) {
            assertTrue(secured.uri().contains("hunter2"));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            cache.metrics("products").bindTo(registry);
            await("hits").atMost(Duration.ofSeconds(10)).until(() -> {
                cache.get("m");
                return cache.stats().hits() > 0;
            });
            NearCacheStats stats = cache.stats();
            assertEquals(stats.hits(), registry.get("nearcache.gets").tag("result", "hit").functionCounter().count());
            assertEquals(1.0, registry.get("nearcache.invalidation.healthy").gauge().value());
            assertTrue(registry.get("nearcache.batch.size").summary().count() > 0);
            assertTrue(registry.get("nearcache.batch.latency").timer().count() > 0);
            // a fresh cache has flushed nothing: the start-up registration is not a flush
            assertEquals(0.0, registry.get("nearcache.flushes").tag("reason", "redirect-changed").functionCounter()
                    .count());
            assertEquals(0, stats.flushCount(), stats.toString());
            assertEquals(Map.of("nearcache.batch.size", true, "nearcache.batch.latency", true),
                    histograms(cache, cache.metrics("products")), "percentile histograms by default");
            assertEquals(Map.of("nearcache.batch.size", false, "nearcache.batch.latency", false),
                    histograms(cache, cache.metrics("products").percentileHistograms(false)));
            for (Meter meter : registry.getMeters()) {
                assertFalse(meter.getId().toString().contains("hunter2"), meter.getId().toString());
            }
            assertFalse(cache.toString().contains("hunter2"), cache.toString());
            assertFalse(stats.toString().contains("hunter2"));
        }
    }

    /** Which of the metrics' distributions ask their registry for a percentile histogram. */
    private static Map<String, Boolean> histograms(NearCache<String, String> cache, NearCacheMetrics metrics) {
        Map<String, Boolean> asked = new java.util.TreeMap<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(new io.micrometer.core.instrument.config.MeterFilter() {
            @Override
            public io.micrometer.core.instrument.distribution.DistributionStatisticConfig configure(
                    Meter.Id id, io.micrometer.core.instrument.distribution.DistributionStatisticConfig config) {
                asked.put(id.getName(), Boolean.TRUE.equals(config.isPercentileHistogram()));
                return config;
            }
        });
        metrics.bindTo(registry);
        return asked;
    }

    @Test
    void metricsBoundAtBuildAndAfterBothRecordEveryBatch() {
        SimpleMeterRegistry atBuild = new SimpleMeterRegistry();
        SimpleMeterRegistry after = new SimpleMeterRegistry();
        try (NearCache<String, String> cache = builder().metrics(atBuild, "a").build()) {
            cache.metrics("b").bindTo(after);
            for (int i = 0; i < 5; i++) {
                cache.get("metered:" + i);
            }
            long batches = cache.stats().batches();
            assertTrue(batches >= 5, "batches: " + batches);
            assertEquals(batches, atBuild.get("nearcache.batch.size").tag("cache", "a").summary().count());
            assertEquals(batches, after.get("nearcache.batch.size").tag("cache", "b").summary().count(),
                    "a second binding does not replace the first");
            assertEquals(cache.stats().misses(),
                    atBuild.get("nearcache.gets").tag("result", "miss").functionCounter().count());
        }
    }

    @Test
    void degradedModeFailsFastNamingTheEndpointAndRecoversWithoutARestart() {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             NearCache<String, String> cache = NearCache.builder().redisUri(proxy.uri())
                     .commandTimeout(Duration.ofMillis(500)).heartbeatInterval(Duration.ofMillis(200))
                     .heartbeatTimeout(Duration.ofMillis(400)).reconnectDebounce(Duration.ofMillis(100)).build()) {
            other.sync().set("d", "v");
            cachedForSure(cache, "d");
            proxy.disconnect();
            await("invalidations down").atMost(Duration.ofSeconds(5))
                    .until(() -> !cache.stats().invalidationConnectionHealthy());
            long start = System.nanoTime();
            NearCacheException e = assertThrows(NearCacheException.class, () -> cache.get("d"));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("127.0.0.1:" + proxy.port()), e.getMessage());
            assertTrue(millis < 500 + 1000, "failed after " + millis + " ms; the command timeout is 500 ms");
            assertThrows(NearCacheException.class, () -> cache.set("d", "w"));
            proxy.restore();
            await("recovered").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy() && "v".equals(cache.get("d")));
            cachedForSure(cache, "d");
        }
    }

    @Test
    void getAsyncFailsWithTheExceptionGetThrowsNeverAWrapper() throws Exception {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             NearCache<String, String> cache = NearCache.builder().redisUri(proxy.uri()).build()) {
            proxy.refuseCommands(command -> command.get(0).equalsIgnoreCase("MGET"), "ERR refused by the test");
            NearCacheException thrown = assertThrows(NearCacheException.class, () -> cache.get("a"));
            java.util.concurrent.CompletableFuture<Throwable> seen = new java.util.concurrent.CompletableFuture<>();
            cache.getAsync("b").whenComplete((value, failure) -> seen.complete(failure));
            Throwable failure = seen.get(10, TimeUnit.SECONDS);
            assertEquals(NearCacheException.class, failure.getClass(), "callbacks see what get throws: " + failure);
            assertEquals(thrown.getMessage(), failure.getMessage());
            assertFalse(failure.getMessage().contains("CompletionException"), failure.getMessage());
        }
        NearCache<String, String> closedCache = builder().build();
        closedCache.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> closedCache.get("c"));
        Throwable afterClose = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> closedCache.getAsync("c").get(10, TimeUnit.SECONDS)).getCause();
        assertEquals(IllegalStateException.class, afterClose.getClass());
        assertEquals(closed.getMessage(), afterClose.getMessage());
    }

    @Test
    void anUnreachableServerFailsTheBuildNamingTheEndpoint() {
        int port;
        try (FaultProxy proxy = FaultProxy.to(redis.server())) {
            port = proxy.port();
        }
        NearCacheException e = assertThrows(NearCacheException.class, () -> NearCache.builder()
                .redisUri("redis://:pw-secret@127.0.0.1:" + port).commandTimeout(Duration.ofMillis(300)).build());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertFalse(e.getMessage().contains("pw-secret"), e.getMessage());
    }
}
