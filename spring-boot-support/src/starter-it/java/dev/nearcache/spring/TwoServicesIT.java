package dev.nearcache.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.MeterRegistry;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * A plain Boot service, as its users write one: {@code spring-boot-starter-data-redis}, Actuator, the starter, caching
 * enabled and nothing else but properties, started twice on one Redis, each with every auto-configuration of its
 * class path. The second gets its connection only from a {@code RedisConnectionDetails} bean (its URL points where
 * nothing listens). What one writes, the other sees; values read back as themselves across the two.
 */
class TwoServicesIT {
    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();

    record Product(int id, String name, BigDecimal price) {
    }

    /**
     * What the service caches, counting the calls that reached it. The test changes it through methods only: the bean
     * is a caching proxy, whose own fields are not the service's.
     */
    static class Catalog {
        private final Map<Object, AtomicInteger> loads = new ConcurrentHashMap<>();
        private volatile String version = "v1";
        private volatile CountDownLatch gate = new CountDownLatch(0);

        public int loads(Object key) {
            return loads.computeIfAbsent(key, k -> new AtomicInteger()).get();
        }

        /** What the next loads return: {@code product <id> <version>}. */
        public void version(String version) {
            this.version = version;
        }

        /** Loads wait until {@link #release()}. */
        public void hold() {
            gate = new CountDownLatch(1);
        }

        public void release() {
            gate.countDown();
        }

        private void loaded(Object key) {
            loads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }

        @Cacheable(cacheNames = "products", sync = true)
        public Product product(int id) throws InterruptedException {
            loaded(id);
            gate.await(20, TimeUnit.SECONDS);
            return new Product(id, "product " + id + " " + version, new BigDecimal("12.50"));
        }

        @CachePut(cacheNames = "products", key = "#p0.id()")
        public Product save(Product product) {
            return product;
        }

        @CacheEvict(cacheNames = "products")
        public void remove(int id) {
        }

        @Cacheable("lists")
        public List<Product> list(String name) {
            loaded("list " + name);
            return new ArrayList<>(List.of(new Product(1, "one", BigDecimal.ONE), new Product(2, "two",
                    new BigDecimal("2.00"))));
        }

        @Cacheable("maps")
        public Map<String, List<Product>> byCategory(String name) {
            loaded("map " + name);
            Map<String, List<Product>> map = new LinkedHashMap<>();
            map.put("tools", List.of(new Product(3, "hammer", new BigDecimal("9.99"))));
            map.put("empty", List.of());
            return map;
        }
    }

    /** The service: auto-configuration of what its class path holds, caching, one bean of its own. */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @EnableCaching
    static class Service {
        @Bean
        Catalog catalog() {
            return new Catalog();
        }
    }

    private ConfigurableApplicationContext a;
    private ConfigurableApplicationContext b;

    @BeforeEach
    void startTwoInstances() {
        RedisURI server = RedisURI.create(redis.server().uri());
        a = service().properties("spring.data.redis.host=" + server.getHost(),
                "spring.data.redis.port=" + server.getPort()).run();
        b = service().properties("spring.data.redis.url=redis://127.0.0.1:1") // the details bean goes ahead of it
                .initializers(context -> BootLine.registerStandalone((GenericApplicationContext) context,
                        server.getHost(), server.getPort()))
                .run();
    }

    private static SpringApplicationBuilder service() {
        return new SpringApplicationBuilder(Service.class).web(org.springframework.boot.WebApplicationType.NONE)
                .logStartupInfo(false).properties("spring.main.banner-mode=off");
    }

    @AfterEach
    void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    @Test
    void bothInstancesGetTheStartersBeansFromPropertiesAlone() {
        for (ConfigurableApplicationContext context : List.of(a, b)) {
            assertThat(context.getBean(CacheManager.class)).isInstanceOf(NearCacheCacheManager.class);
            assertThat(context.getBeanProvider(RedisConnectionFactory.class).getIfAvailable())
                    .as("Boot's own Redis beans stay beside the near cache").isNotNull();
            assertEquals("UP", BootLine.health(context).status());
        }
        assertThat(b.getBean(BootLine.connectionDetailsType()).getClass().getName()).contains("BootLine");
        a.getBean(Catalog.class).list("all");
        MeterRegistry registry = a.getBean(MeterRegistry.class);
        await("nearcache.* and Spring's cache.* meters").atMost(Duration.ofSeconds(5)).until(() ->
                registry.find("nearcache.gets").meters().size() > 0
                        && registry.find("cache.gets").tag("cache", "lists").meters().size() > 0);
    }

    @Test
    void aPutOnOneInstanceIsSeenByTheOther() throws Exception {
        Catalog catalogA = a.getBean(Catalog.class);
        Catalog catalogB = b.getBean(Catalog.class);
        assertEquals("product 1 v1", catalogB.product(1).name());
        assertEquals("product 1 v1", catalogB.product(1).name());
        assertEquals(1, catalogB.loads(1), "b keeps it");
        catalogA.save(new Product(1, "renamed", BigDecimal.TEN));
        await("b sees a's put").atMost(Duration.ofSeconds(2))
                .until(() -> "renamed".equals(catalogB.product(1).name()));
        assertEquals(1, catalogB.loads(1), "from Redis, not through b's method");
        assertEquals(BigDecimal.TEN, catalogB.product(1).price());
    }

    @Test
    void anEvictOnOneInstanceIsSeenByTheOther() throws Exception {
        Catalog catalogA = a.getBean(Catalog.class);
        Catalog catalogB = b.getBean(Catalog.class);
        assertEquals("product 2 v1", catalogB.product(2).name());
        assertEquals("product 2 v1", catalogA.product(2).name());
        assertEquals(0, catalogA.loads(2), "a read b's value");
        catalogB.version("v2");
        catalogA.remove(2);
        await("b sees a's evict").atMost(Duration.ofSeconds(2))
                .until(() -> "product 2 v2".equals(catalogB.product(2).name()));
        assertEquals(2, catalogB.loads(2), "loaded again through b's method");
    }

    @Test
    void syncCacheableRunsTheMethodOnceForManyConcurrentCallers() throws Exception {
        Catalog catalogB = b.getBean(Catalog.class);
        catalogB.hold();
        int callers = 32;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            Set<Thread> calling = ConcurrentHashMap.newKeySet();
            List<Future<Product>> results = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                results.add(pool.submit(() -> {
                    calling.add(Thread.currentThread());
                    try {
                        return catalogB.product(50);
                    } finally {
                        calling.remove(Thread.currentThread());
                    }
                }));
            }
            await("one caller in the method, the others parked waiting for it").atMost(Duration.ofSeconds(10))
                    .until(() -> catalogB.loads(50) == 1 && calling.size() == callers && calling.stream()
                            .allMatch(t -> t.getState() == Thread.State.WAITING
                                    || t.getState() == Thread.State.TIMED_WAITING));
            catalogB.release();
            for (Future<Product> result : results) {
                assertEquals("product 50 v1", result.get(10, TimeUnit.SECONDS).name());
            }
            assertEquals(1, catalogB.loads(50), "single flight: the method ran once");
        } finally {
            catalogB.release();
            pool.shutdownNow();
        }
    }

    @Test
    void listsMapsAndRecordsOneInstanceCachedReadBackAsThemselvesInTheOther() throws Exception {
        Catalog catalogA = a.getBean(Catalog.class);
        Catalog catalogB = b.getBean(Catalog.class);
        List<Product> list = catalogA.list("all");
        Map<String, List<Product>> map = catalogA.byCategory("all");
        Product product = catalogA.product(7);
        assertEquals(list, catalogB.list("all"));
        assertEquals(map, catalogB.byCategory("all"));
        assertEquals(product, catalogB.product(7));
        assertEquals(new BigDecimal("2.00"), catalogB.list("all").get(1).price(), "scale kept");
        assertThat(catalogB.byCategory("all").get("tools").get(0)).isInstanceOf(Product.class);
        assertEquals(0, catalogB.loads("list all") + catalogB.loads("map all") + catalogB.loads(7),
                "b read what a cached");
    }
}
