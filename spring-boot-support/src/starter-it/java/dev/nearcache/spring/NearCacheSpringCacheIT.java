package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.spring.NearCacheAutoConfigurationIT.Product;
import dev.nearcache.spring.NearCacheAutoConfigurationIT.ProductService;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.support.NoOpCacheManager;

/**
 * What a Spring application meets in ordinary use of the caches: values that stop decoding after a deploy, async
 * loaders that fail, keys without a {@code toString()}, local hits, and Boot's own {@code spring.cache.*} settings.
 */
class NearCacheSpringCacheIT extends StandaloneRedisTests {
    private static ApplicationContextRunner runner(String redisUrl) {
        return starter(redisUrl);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aValueThatNoLongerDecodesIsDeletedCountedAndLoadedAgainThroughTheMethod() {
        runner(redis.server().uri()).run(context -> {
            // what an older deploy wrote: a class this one no longer has, and a record whose fields changed
            direct.sync().set("products::1", utf8("{\"@type\":\"dev.nearcache.spring.Removed\",\"value\":{}}"));
            direct.sync().set("products::2", utf8("{\"@type\":\"" + Product.class.getName()
                    + "\",\"value\":{\"id\":\"not a number\"}}"));
            ProductService service = context.getBean(ProductService.class);
            assertEquals(new Product(1, "product 1 v1"), service.find(1), "@Cacheable(sync = true)");
            Cache products = context.getBean(CacheManager.class).getCache("products");
            assertNull(products.get(2), "a plain lookup reads it as a miss");
            assertEquals(0, direct.sync().exists("products::2"), "and deletes it");
            assertEquals(new Product(2, "product 2 v1"), service.find(2));
            assertEquals(2, service.lookups(), "each loaded again through the method");
            assertEquals(new Product(1, "product 1 v1"), context.getBean(CacheValueSerializer.class)
                    .deserialize(direct.sync().get("products::1")), "the method's value replaced it in Redis");
            assertEquals(2, ((NearCacheSpringCache) products).getDecodeFailures());
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            await("cache.decode.failures counts them").atMost(Duration.ofSeconds(5)).until(() ->
                    registry.find("cache.decode.failures").tag("cache", "products").functionCounter() != null
                            && registry.find("cache.decode.failures").tag("cache", "products").functionCounter()
                            .count() == 2);
        });
    }

    @Test
    void anAsyncLoaderThatThrowsOrReturnsNullLeavesNothingInFlight() {
        runner(redis.server().uri()).run(context -> {
            NearCacheSpringCache products = (NearCacheSpringCache) context.getBean(CacheManager.class)
                    .getCache("products");
            ExecutionException thrown = assertThrows(ExecutionException.class, () -> products.retrieve(1, () -> {
                throw new IllegalStateException("the system of record is down");
            }).get(5, TimeUnit.SECONDS));
            assertEquals("the system of record is down", thrown.getCause().getMessage());
            ExecutionException nothing = assertThrows(ExecutionException.class,
                    () -> products.retrieve(2, () -> null).get(5, TimeUnit.SECONDS));
            assertThat(nothing.getCause().getMessage()).contains("returned null instead of a CompletableFuture");
            assertEquals(0, products.retrievesInFlight());
            assertEquals(new Product(1, "one"), products.retrieve(1,
                    () -> CompletableFuture.completedFuture(new Product(1, "one"))).get(5, TimeUnit.SECONDS),
                    "the key loads again afterwards");
        });
    }

    enum Color { RED, GREEN }

    sealed interface Shape permits Circle, Square {
    }

    record Circle(double radius) implements Shape {
    }

    record Square(double side) implements Shape {
    }

    /** A polymorphic field, a list of records and an enum inside a record. */
    record Order(int id, Shape shape, List<Product> lines, Color color) {
    }

    @Test
    void everyCachedTypeReadsBackAsItself() {
        runner(redis.server().uri()).run(context -> {
            Cache values = context.getBean(CacheManager.class).getCache("values");
            List<Object> samples = List.of(
                    List.of(new Product(1, "a"), new Product(2, "b")),
                    new java.util.ArrayList<>(List.of(new Product(3, "c"))),
                    Map.of("p", new Product(4, "d")),
                    new java.util.LinkedHashMap<>(Map.of("nested", List.of(new Product(5, "e")))),
                    new java.util.TreeSet<>(java.util.Set.of("x", "y")),
                    Color.GREEN,
                    List.of(Color.RED, Color.GREEN),
                    java.util.Optional.of(new Product(6, "f")),
                    new Order(7, new Circle(1.5), List.of(new Product(8, "g")), Color.RED),
                    new Order(9, new Square(2), List.of(), Color.GREEN),
                    new java.util.ArrayList<>(List.of(1L, 2L)), List.of(1.5, 2.25), 42L, 4.5, "text", java.time.Instant.parse("2026-12-03T12:00:00Z"),
                    new java.math.BigDecimal("12.50"));
            for (int i = 0; i < samples.size(); i++) {
                Object sample = samples.get(i);
                values.put(i, sample);
                assertEquals(sample, values.get(i).get(), "sample " + i + ", a " + sample.getClass().getName());
            }
            Product[] array = {new Product(10, "h")};
            values.put("array", array);
            org.junit.jupiter.api.Assertions.assertArrayEquals(array, (Product[]) values.get("array").get());

            // another instance reads the bytes in Redis the same way
            CacheValueSerializer other = BootLine.jsonSerializer(List.of("dev.nearcache.spring"),
                    getClass().getClassLoader());
            assertEquals(samples.get(0), other.deserialize(direct.sync().get("values::0")));
        });
    }

    /** A record one of whose components JSON leaves out: it reads back without it. */
    record Annotated(int id, @com.fasterxml.jackson.annotation.JsonIgnore String note) {
    }

    /** A service returning generic collections of the application's records, as a repository would. */
    static class CatalogService {
        private final AtomicInteger lookups = new AtomicInteger();

        /** How often a method ran (a method: the caching proxy forwards it to the service). */
        public int lookups() {
            return lookups.get();
        }

        @org.springframework.cache.annotation.Cacheable("lists")
        public List<Product> list(String category) {
            lookups.incrementAndGet();
            return List.of(new Product(1, category + " one"), new Product(2, category + " two"));
        }

        @org.springframework.cache.annotation.Cacheable("maps")
        public Map<String, Product> byName(String category) {
            lookups.incrementAndGet();
            return Map.of("one", new Product(1, category + " one"));
        }
    }

    @Test
    void twoApplicationsReadEachOthersListsAndMapsAsTheApplicationsTypes() {
        ApplicationContextRunner runner = runner(redis.server().uri()).withBean(CatalogService.class);
        runner.run(a -> runner.run(b -> {
            CatalogService ca = a.getBean(CatalogService.class);
            CatalogService cb = b.getBean(CatalogService.class);
            List<Product> list = ca.list("shoes");
            Map<String, Product> map = ca.byName("hats");
            Product first = cb.list("shoes").get(0); // a ClassCastException here when elements read back as maps
            assertEquals(list.get(0), first);
            assertEquals(map, cb.byName("hats"));
            assertEquals(0, cb.lookups(), "b read what a cached");
        }));
    }

    @Test
    void aValueThatWouldNotReadBackIsRefusedAtPutNamingItsType() {
        runner(redis.server().uri()).run(context -> {
            Cache values = context.getBean(CacheManager.class).getCache("values");
            IllegalArgumentException lossy = assertThrows(IllegalArgumentException.class,
                    () -> values.put(1, new Annotated(1, "left out of the JSON")));
            assertThat(lossy.getMessage()).contains(Annotated.class.getName()).contains("does not read back");
            IllegalArgumentException untrusted = assertThrows(IllegalArgumentException.class,
                    () -> values.put(2, java.net.URI.create("https://example.com/")));
            assertThat(untrusted.getMessage()).contains("java.net.URI").contains("not trusted");
            assertEquals(List.of(), direct.sync().keys("*"), "nothing was written");
        });
    }

    /** A key class without a toString() of its own. */
    static final class Filter {
    }

    /** A key record: its toString() names its fields. */
    record Query(String text, int page) {
    }

    @Test
    void aKeyWithoutItsOwnToStringIsRefusedNamingItsClass() {
        runner(redis.server().uri()).run(context -> {
            Cache products = context.getBean(CacheManager.class).getCache("products");
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> products.put(new Filter(), new Product(1, "one")));
            assertThat(refused.getMessage()).contains(Filter.class.getName()).contains("toString()");
            assertThrows(IllegalArgumentException.class, () -> products.get(new Filter()));
            assertEquals(List.of(), direct.sync().keys("*"), "nothing was written");
            products.put(new Query("shoes", 2), new Product(2, "two"));
            assertEquals(new Product(2, "two"), products.get(new Query("shoes", 2)).get());
            assertEquals(1, direct.sync().exists("products::Query[text=shoes, page=2]"));
        });
    }

    /** Counts what the JSON serializer decodes. */
    static final class CountingSerializer implements CacheValueSerializer {
        final CacheValueSerializer json;
        final AtomicInteger decodes = new AtomicInteger();

        CountingSerializer(CacheValueSerializer json) {
            this.json = json;
        }

        @Override
        public byte[] serialize(Object value) {
            return json.serialize(value);
        }

        @Override
        public Object deserialize(byte[] bytes) {
            decodes.incrementAndGet();
            return json.deserialize(bytes);
        }
    }

    @Test
    void aLocalHitReturnsTheObjectDecodedOnceAndANewValueIsDecodedAfresh() {
        runner(redis.server().uri())
                .withBean(CacheValueSerializer.class, () -> new CountingSerializer(BootLine.jsonSerializer(
                        List.of("dev.nearcache.spring"), getClass().getClassLoader())))
                .run(context -> {
                    CountingSerializer serializer = context.getBean(CountingSerializer.class);
                    Cache products = context.getBean(CacheManager.class).getCache("products");
                    products.put(1, new Product(1, "one"));
                    dev.nearcache.core.NearCache<?, ?> nearCache = context.getBean(dev.nearcache.core.NearCache.class);
                    await("held locally").atMost(Duration.ofSeconds(5)).until(() -> {
                        products.get(1);
                        long hits = nearCache.stats().hits();
                        products.get(1);
                        return nearCache.stats().hits() > hits;
                    });
                    Object first = products.get(1).get();
                    int decodes = serializer.decodes.get();
                    for (int i = 0; i < 1000; i++) {
                        assertSame(first, products.get(1).get());
                    }
                    assertEquals(decodes, serializer.decodes.get(), "local hits decode nothing");
                    direct.sync().set("products::1", serializer.serialize(new Product(1, "changed in Redis")));
                    await("a change in Redis reads back as the new value").atMost(Duration.ofSeconds(5))
                            .until(() -> products.get(1).get().equals(new Product(1, "changed in Redis")));
                });
    }

    @Test
    void bootsCacheSettingsAreHonoured() {
        AtomicInteger customized = new AtomicInteger();
        BootLine.withCacheManagerCustomizer(runner(redis.server().uri()), customized::incrementAndGet)
                .withPropertyValues("spring.cache.cache-names=first,second", "spring.cache.redis.key-prefix=app1:",
                        "spring.cache.redis.time-to-live=5m", "spring.cache.redis.cache-null-values=false",
                        "nearcache.cache.products.ttl=10m")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    NearCacheCacheManager manager = context.getBean(NearCacheCacheManager.class);
                    assertEquals(1, customized.get(), "the application's CacheManagerCustomizer ran");
                    assertThat(manager.getCacheNames()).contains("first", "second", "products");
                    manager.getCache("first").put(1, "x");
                    long ttl = direct.sync().pttl("app1:first::1");
                    assertTrue(ttl > 0 && ttl <= 300_000, "spring.cache.redis.time-to-live applies: " + ttl);
                    manager.getCache("products").put(1, new Product(1, "one"));
                    ttl = direct.sync().pttl("app1:products::1");
                    assertTrue(ttl > 300_000 && ttl <= 600_000, "nearcache.cache.products.ttl wins: " + ttl);
                    assertThrows(IllegalArgumentException.class, () -> manager.getCache("first").put(2, null),
                            "cache-null-values=false refuses nulls as RedisCache does");
                    manager.getCache("first").clear();
                    assertEquals(0, direct.sync().exists("app1:first::1"));
                    assertEquals(1, direct.sync().exists("app1:products::1"), "clear() stays within its cache");
                });
        runner(redis.server().uri()).withPropertyValues("spring.cache.redis.key-prefix=app1:",
                "nearcache.key-prefix=svc:").run(context -> {
                    context.getBean(CacheManager.class).getCache("products").put(1, new Product(1, "one"));
                    assertEquals(1, direct.sync().exists("svc:products::1"), "nearcache.key-prefix wins");
                });
    }

    @Test
    void aCacheTypeOtherThanRedisOrCachingNotEnabledLeavesTheCacheManagerToBoot() {
        runner(redis.server().uri()).withPropertyValues("spring.cache.type=none").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(CacheManager.class)).isInstanceOf(NoOpCacheManager.class);
            assertThat(context).hasSingleBean(dev.nearcache.core.NearCache.class); // the near cache itself stays
        });
        runner(redis.server().uri()).withPropertyValues("spring.cache.type=redis").run(context ->
                assertThat(context.getBean(CacheManager.class)).isInstanceOf(NearCacheCacheManager.class));
        new ApplicationContextRunner() // caching not enabled: no CacheManager, as with Boot's own
                .withConfiguration(BootLine.cache())
                .withPropertyValues("spring.data.redis.url=" + redis.server().uri()).run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(CacheManager.class);
                    assertThat(context).hasSingleBean(dev.nearcache.core.NearCache.class);
                });
    }

    @Test
    void theReadThroughTtlAppliesToCachePutToo() {
        runner(redis.server().uri()).withPropertyValues("nearcache.read-through-ttl=7m").run(context -> {
            context.getBean(ProductService.class).save(new Product(3, "saved"));
            long ttl = direct.sync().pttl("products::3");
            assertTrue(ttl > 0 && ttl <= 420_000, "@CachePut writes with the read-through TTL: " + ttl);
        });
    }

    @Test
    void healthStaysUpWhileOnlyTheInvalidationConnectionIsDownAndRedisAnswers() {
        RedisClient adminClient = null;
        try (RedisServer own = RedisServers.start()) {
            adminClient = RedisClient.create(own.uri());
            StatefulRedisConnection<String, String> admin = adminClient.connect();
            runner(own.uri()).withPropertyValues("nearcache.reconnect-debounce=20s").run(context -> {
                await("up").atMost(Duration.ofSeconds(10)).until(() -> BootLine.health(context).status().equals("UP"));
                // the next reconnect waits for the debounce, counted from the first connect moments ago
                killListener(admin);
                await("the loss is seen").atMost(Duration.ofSeconds(5)).until(() ->
                        !"connected".equals(BootLine.health(context).details().get("invalidationConnection")));
                BootLine.HealthReport degraded = BootLine.health(context);
                assertEquals("UP", degraded.status(), "Redis answers, reads work: " + degraded);
                assertThat(String.valueOf(degraded.details().get("invalidationConnection")))
                        .startsWith("down: reads go to Redis");
            });
        } finally {
            if (adminClient != null) {
                adminClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }

    private static void killListener(StatefulRedisConnection<String, String> admin) {
        await("the listener is connected").atMost(Duration.ofSeconds(10)).until(() ->
                admin.sync().clientList().lines().anyMatch(line -> line.contains("name=nearcache-invalidation")));
        String id = admin.sync().clientList().lines().filter(line -> line.contains("name=nearcache-invalidation"))
                .findFirst().orElseThrow().replaceAll("^id=(\\d+) .*$", "$1");
        admin.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(Long.parseLong(id)));
    }
}
