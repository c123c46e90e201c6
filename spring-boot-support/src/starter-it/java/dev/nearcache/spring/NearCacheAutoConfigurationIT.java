package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheMetrics;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.concurrent.ConcurrentMapCacheManager;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.serializer.RedisSerializer;

/** The starter in real Spring contexts against real Redis servers started by the test kit. */
class NearCacheAutoConfigurationIT extends StandaloneRedisTests {
    /** A product: a record of the application's package, which the JSON serializer trusts. */
    record Product(int id, String name) implements Serializable {
    }

    /** A service whose slow lookup sits behind @Cacheable, as an application's repository would. */
    static class ProductService {
        private final AtomicInteger lookups = new AtomicInteger();

        /** How often the slow lookup ran (a method: the caching proxy forwards it to the service). */
        public int lookups() {
            return lookups.get();
        }

        @Cacheable(cacheNames = "products", sync = true)
        public Product find(int id) {
            lookups.incrementAndGet();
            try {
                Thread.sleep(20); // a slow system of record
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Product(id, "product " + id + " v1");
        }

        @Cacheable(cacheNames = "missing")
        public Product absent(int id) {
            lookups.incrementAndGet();
            return null;
        }

        @CachePut(cacheNames = "products", key = "#p0.id()")
        public Product save(Product product) {
            return product;
        }

        @CacheEvict(cacheNames = "products")
        public void remove(int id) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    @org.springframework.boot.autoconfigure.AutoConfigurationPackage // as @SpringBootApplication: its package is trusted
    static class App {
        @Bean
        ProductService productService() {
            return new ProductService();
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    private static ApplicationContextRunner runner(String redisUrl) {
        return starter(redisUrl).withPropertyValues("nearcache.cache.products.ttl=10m");
    }

    @Test
    void withNothingButPropertiesTheBeansAppear() {
        runner(redis.server().uri()).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(NearCache.class);
            assertThat(context.getBean(CacheManager.class)).isInstanceOf(NearCacheCacheManager.class);
            assertThat(context).hasSingleBean(NearCacheMetrics.class);
            assertThat(context).hasBean("nearcacheHealthIndicator");
            assertThat(context).hasSingleBean(CacheValueSerializer.class);

            ProductService service = context.getBean(ProductService.class);
            assertEquals(new Product(1, "product 1 v1"), service.find(1));
            assertEquals(new Product(1, "product 1 v1"), service.find(1));
            assertEquals(1, service.lookups(), "the second call is served by the cache");
            long ttl = direct.sync().pttl("products::1");
            assertTrue(ttl > 0 && ttl <= 600_000, "nearcache.cache.products.ttl applies in Redis: " + ttl);

            BootLine.HealthReport health = BootLine.health(context);
            assertEquals("UP", health.status());
            assertEquals(dev.nearcache.core.TrackingMode.REDIRECT, health.details().get("trackingMode"),
                    "AUTO chose REDIRECT, and health says so");

            MeterRegistry registry = context.getBean(MeterRegistry.class);
            await("nearcache.gets and Spring's cache.gets both answer").atMost(Duration.ofSeconds(10)).until(() -> {
                service.find(1);
                return registry.find("nearcache.gets").tag("result", "hit").functionCounter() != null
                        && registry.find("nearcache.gets").tag("result", "hit").functionCounter().count() > 0
                        && registry.find("cache.gets").tag("cache", "products").tag("result", "hit")
                        .functionCounter() != null
                        && registry.find("cache.gets").tag("cache", "products").tag("result", "hit")
                        .functionCounter().count() > 0;
            });
        });
    }

    /** An application that defines its own near cache and cache manager. */
    @Configuration(proxyBeanMethods = false)
    static class OwnBeans {
        @Bean(destroyMethod = "close")
        NearCache<String, byte[]> myNearCache() {
            return NearCache.builder().codec(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))
                    .redisUri(redis.server().uri()).maximumSize(123).build();
        }

        @Bean
        CacheManager myCacheManager() {
            return new ConcurrentMapCacheManager("products");
        }
    }

    @Test
    void theApplicationsOwnBeansWin() {
        runner(redis.server().uri()).withUserConfiguration(OwnBeans.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(NearCache.class);
            assertThat(context).hasBean("myNearCache").doesNotHaveBean("nearCache");
            assertThat(context.getBean(CacheManager.class)).isInstanceOf(ConcurrentMapCacheManager.class);
            assertThat(context).hasBean("nearcacheHealthIndicator"); // health and metrics use the application's
        });
    }

    @Test
    void theApplicationsLettuceClientResourcesAreReused() {
        ClientResources resources = DefaultClientResources.create();
        try {
            runner(redis.server().uri()).withBean(ClientResources.class, () -> resources,
                    bean -> bean.setDestroyMethodName("")).run(context -> {
                        assertThat(context).hasNotFailed();
                        assertEquals(new Product(2, "product 2 v1"), context.getBean(ProductService.class).find(2));
                    });
            assertTrue(!resources.eventExecutorGroup().isShuttingDown(), "closing the cache left them running");
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoApplicationsOnOneRedisSeeEachOthersWrites() throws Exception {
        try (ConfigurableApplicationContext a = start(); ConfigurableApplicationContext b = start()) {
            ProductService sa = a.getBean(ProductService.class);
            ProductService sb = b.getBean(ProductService.class);
            for (int id = 0; id < 50; id++) {
                sa.find(id);
                sb.find(id);
            }
            NearCache<?, ?> cacheB = b.getBean(NearCache.class);
            await("b holds the products locally").atMost(Duration.ofSeconds(10)).until(() -> {
                sb.find(7);
                return cacheB.stats().hits() > 0;
            });
            sa.save(new Product(7, "renamed through a"));
            await("b's @Cacheable sees a's @CachePut once the invalidation arrives").atMost(Duration.ofSeconds(1))
                    .pollInterval(Duration.ofMillis(2))
                    .until(() -> sb.find(7).name().equals("renamed through a"));
            // a write that bypasses both applications
            direct.sync().set("products::8", b.getBean(CacheValueSerializer.class)
                    .serialize(new Product(8, "written directly")));
            await("both see a direct Redis write").atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(2))
                    .until(() -> sa.find(8).name().equals("written directly")
                            && sb.find(8).name().equals("written directly"));
            sb.remove(9);
            await("an eviction through b reaches a").atMost(Duration.ofSeconds(1)).until(() -> {
                int before = sa.lookups();
                sa.find(9);
                return sa.lookups() > before;
            });

            // writes from both sides and Redis for a while, then: nothing either serves differs from Redis
            for (int round = 0; round < 300; round++) {
                int id = round % 50;
                switch (round % 3) {
                    case 0 -> sa.save(new Product(id, "a" + round));
                    case 1 -> sb.save(new Product(id, "b" + round));
                    default -> direct.sync().set("products::" + id, a.getBean(CacheValueSerializer.class)
                            .serialize(new Product(id, "r" + round)));
                }
                sa.find((id + 7) % 50);
                sb.find((id + 13) % 50);
            }
            CacheValueSerializer serializer = a.getBean(CacheValueSerializer.class);
            await("after writes stop, both serve what Redis holds").atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                for (int id = 0; id < 50; id++) {
                    Object inRedis = serializer.deserialize(direct.sync().get("products::" + id));
                    assertEquals(inRedis, sa.find(id), "a, product " + id);
                    assertEquals(inRedis, sb.find(id), "b, product " + id);
                }
            });
        }
    }

    private static ConfigurableApplicationContext start() {
        org.springframework.boot.SpringApplication app = new org.springframework.boot.SpringApplication(App.class,
                Boot.class);
        app.setWebApplicationType(org.springframework.boot.WebApplicationType.NONE);
        app.setDefaultProperties(Map.of("spring.data.redis.url", redis.server().uri(),
                "spring.main.banner-mode", "off", "spring.jmx.enabled", "false"));
        return app.run();
    }

    /** Full auto-configuration, as an application's {@code @SpringBootApplication} has it. */
    @Configuration(proxyBeanMethods = false)
    @org.springframework.boot.autoconfigure.EnableAutoConfiguration
    static class Boot {
    }

    @Test
    void aCacheableMethodRunsOncePerKeyUnder32ConcurrentCallers() {
        runner(redis.server().uri()).run(context -> {
            ProductService service = context.getBean(ProductService.class);
            ExecutorService pool = Executors.newFixedThreadPool(32);
            try {
                for (int key = 100; key < 110; key++) {
                    int id = key;
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<Product>> calls = new ArrayList<>();
                    for (int t = 0; t < 32; t++) {
                        calls.add(pool.submit(() -> {
                            start.await();
                            return service.find(id);
                        }));
                    }
                    start.countDown();
                    for (Future<Product> call : calls) {
                        assertEquals(new Product(id, "product " + id + " v1"), call.get(10, TimeUnit.SECONDS));
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(10, service.lookups(), "one lookup per key, whatever the concurrency");
        });
    }

    @Test
    void nullsEvictionsClearAndAsyncRetrievalBehaveAsSpringExpects() {
        runner(redis.server().uri()).run(context -> {
            ProductService service = context.getBean(ProductService.class);
            assertNull(service.absent(1));
            assertNull(service.absent(1));
            assertEquals(1, service.lookups(), "a null result is cached (allowNullValues)");

            Cache products = context.getBean(CacheManager.class).getCache("products");
            products.put(1, new Product(1, "one"));
            products.put(2, new Product(2, "two"));
            direct.sync().set("orders::1", new byte[] {1});
            assertEquals(new Product(1, "one"), products.get(1).get());
            assertEquals(new Product(2, "two"), products.retrieve(2).get(5, TimeUnit.SECONDS) instanceof Cache.ValueWrapper w
                    ? w.get() : null);
            AtomicInteger asyncLoads = new AtomicInteger();
            assertEquals(new Product(3, "three"), products.retrieve(3, () -> {
                asyncLoads.incrementAndGet();
                return java.util.concurrent.CompletableFuture.completedFuture(new Product(3, "three"));
            }).get(5, TimeUnit.SECONDS));
            assertEquals(new Product(3, "three"), products.get(3).get(), "the async load was stored");

            products.evict(1);
            assertNull(products.get(1));
            assertEquals(0, direct.sync().exists("products::1"));
            products.clear();
            assertNull(products.get(2), "cleared locally");
            assertEquals(0, direct.sync().keys("products::*").size(), "cleared in Redis");
            assertEquals(1, direct.sync().exists("orders::1"), "another cache's keys stay");
        });
    }

    @Test
    void whatRedisCacheManagerStoredIsReadWithItsSerializerPluggedIn() {
        RedisSerializer<Object> java = RedisSerializer.java();
        direct.sync().set("products::5", java.serialize(new Product(5, "stored by RedisCacheManager")));
        runner(redis.server().uri())
                .withBean(CacheValueSerializer.class, () -> new RedisSerializerAdapter(java))
                .run(context -> {
                    ProductService service = context.getBean(ProductService.class);
                    assertEquals(new Product(5, "stored by RedisCacheManager"), service.find(5));
                    assertEquals(0, service.lookups(), "read from Redis, not looked up again");
                    service.find(6);
                    assertEquals(new Product(6, "product 6 v1"), java.deserialize(direct.sync().get("products::6")));
                });
    }

    @Test
    void healthGoesDownAndBackUpAcrossAServerRestart() {
        try (RedisServer own = RedisServers.start()) {
            runner(own.uri()).withPropertyValues("nearcache.reconnect-debounce=200ms").run(context -> {
                await("up").atMost(Duration.ofSeconds(10)).until(() -> BootLine.health(context).status().equals("UP"));
                own.stop();
                await("down while Redis is stopped").atMost(Duration.ofSeconds(10))
                        .until(() -> BootLine.health(context).status().equals("DOWN"));
                assertThat(BootLine.health(context).details()).containsKey("flushes");
                own.start();
                await("up again once it is back").atMost(Duration.ofSeconds(15))
                        .until(() -> BootLine.health(context).status().equals("UP"));
            });
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void trackingModeAndBroadcastBindFromProperties() {
        runner(redis.server().uri()).withPropertyValues("nearcache.tracking-mode=same-connection",
                "nearcache.cached-prefixes=products::", "nearcache.broadcast=true").run(context -> {
            assertThat(context).hasNotFailed();
            NearCache<String, byte[]> cache = context.getBean(NearCache.class);
            assertEquals(dev.nearcache.core.TrackingMode.SAME_CONNECTION, cache.stats().trackingMode());
            ProductService service = context.getBean(ProductService.class);
            service.find(2);
            service.find(2);
            assertEquals(1, service.lookups(), "cached under BCAST tracking of products::");
        });
    }

    @Test
    void malformedSettingsFailStartUpNamingTheProperty() {
        for (String[] bad : new String[][] {
                {"nearcache.command-timeout=5ms", "nearcache.command-timeout"},
                {"nearcache.maximum-size=lots", "nearcache.maximum-size"},
                {"nearcache.connections=0", "nearcache.connections"},
                {"nearcache.cache.products.ttl=0s", "nearcache.cache.products.ttl"},
                {"nearcache.tracking-mode=bcast", "nearcache.tracking-mode"},
                {"nearcache.broadcast=true", "nearcache.broadcast"},
                {"spring.data.redis.cluster.nodes=h:99999999999", "spring.data.redis.cluster.nodes must name a port"},
                {"spring.data.redis.sentinel.master=m|spring.data.redis.sentinel.nodes=s:70000",
                        "spring.data.redis.sentinel.nodes must name a port"},
                {"spring.data.redis.url=|spring.data.redis.port=99999", "spring.data.redis.port must name a port"}}) {
            runner(redis.server().uri()).withPropertyValues(bad[0].split("\\|")).run(context -> {
                assertThat(context).hasFailed();
                StringBuilder messages = new StringBuilder();
                for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
                    messages.append(t.getMessage()).append('\n');
                }
                assertThat(messages.toString()).as(bad[0]).contains(bad[1]);
            });
        }
        runner(redis.server().uri()).withInitializer(context -> context.getEnvironment().getPropertySources().replace(
                "systemEnvironment", new org.springframework.core.env.SystemEnvironmentPropertySource(
                        "systemEnvironment", Map.of("NEARCACHE_MAXIMUM_SIZE", "50000")))).run(context ->
                assertEquals(50000L, context.getBean(NearCacheProperties.class).getMaximumSize(),
                        "relaxed binding, as the environment variable"));
    }
}
