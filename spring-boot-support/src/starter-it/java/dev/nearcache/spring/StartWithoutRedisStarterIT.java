package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.core.NearCacheNotConnectedException;
import dev.nearcache.spring.NearCacheAutoConfigurationIT.Product;
import dev.nearcache.spring.NearCacheAutoConfigurationIT.ProductService;
import dev.nearcache.testkit.RedisExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/**
 * {@code nearcache.start-without-redis=true}: the application starts while Redis is down, {@code @Cacheable} methods
 * run every time (nothing cached), health says DOWN, and once Redis is up the cache connects and caches by itself.
 */
class StartWithoutRedisStarterIT {
    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();

    @Test
    void startsWhileRedisIsDownServesThroughTheMethodAndCachesOnceConnected() {
        assumeTrue(redis.server().isControllable(), "the test stops the server");
        redis.server().stop();
        try {
            StandaloneRedisTests.starter(redis.server().uri()).withPropertyValues("nearcache.start-without-redis=true",
                    "nearcache.command-timeout=500ms").run(context -> {
                assertThat(context).hasNotFailed();
                ProductService service = context.getBean(ProductService.class);
                assertEquals(new Product(1, "product 1 v1"), service.find(1));
                assertEquals(new Product(1, "product 1 v1"), service.find(1));
                assertEquals(2, service.lookups(), "served through the method each time, nothing cached");
                Cache products = context.getBean(CacheManager.class).getCache("products");
                assertNull(products.get(7), "a lookup is a miss");
                products.put(7, new Product(7, "p")); // @Cacheable's fill: not written, the method's result stands
                assertThrows(NearCacheNotConnectedException.class, () -> products.evict(7),
                        "an eviction is never skipped");
                assertEquals("DOWN", BootLine.health(context).status());
                assertThat(BootLine.health(context).details().get("redis").toString()).contains("not connected yet");

                redis.server().start();
                await("connected and caching").atMost(Duration.ofSeconds(15)).until(() -> {
                    int before = service.lookups();
                    service.find(1);
                    return service.lookups() == before;
                });
                assertEquals("UP", BootLine.health(context).status());
            });
        } finally {
            if (!redis.server().isRunning()) {
                redis.server().start();
            }
        }
    }
}
