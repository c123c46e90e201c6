package dev.nearcache.spring;

import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.cache.CacheMetricsAutoConfiguration;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.cache.CacheAutoConfiguration;
import org.springframework.boot.autoconfigure.cache.CacheManagerCustomizer;
import org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration;
import org.springframework.boot.autoconfigure.data.redis.RedisConnectionDetails;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.support.GenericApplicationContext;

/**
 * What differs between Boot lines in the starters' shared integration tests ({@code spring-boot-support/src/
 * starter-it}), for Boot 3.5: where its auto-configurations, connection details, customizers and health live. The
 * Boot 4 starter has its own class of this name.
 */
final class BootLine {
    private BootLine() {
    }

    /** The starter with Boot's cache auto-configuration. */
    static AutoConfigurations cache() {
        return AutoConfigurations.of(NearCacheAutoConfiguration.class, CacheAutoConfiguration.class);
    }

    /** The starter with Boot's cache and metrics auto-configurations. */
    static AutoConfigurations cacheAndMetrics() {
        return AutoConfigurations.of(NearCacheAutoConfiguration.class, CacheAutoConfiguration.class,
                MetricsAutoConfiguration.class, CacheMetricsAutoConfiguration.class);
    }

    /** The starter with Boot's cache, SSL and Redis auto-configurations, as with spring-boot-starter-data-redis. */
    static AutoConfigurations cacheAndRedis() {
        return AutoConfigurations.of(NearCacheAutoConfiguration.class, CacheAutoConfiguration.class,
                SslAutoConfiguration.class, RedisAutoConfiguration.class);
    }

    /** The starter with Boot's SSL bundles only. */
    static AutoConfigurations ssl() {
        return AutoConfigurations.of(NearCacheAutoConfiguration.class, SslAutoConfiguration.class);
    }

    /** The type of Boot's Redis connection-details beans. */
    static Class<?> connectionDetailsType() {
        return RedisConnectionDetails.class;
    }

    /** {@code runner} with a connection-details bean of a standalone server. */
    static ApplicationContextRunner withStandalone(ApplicationContextRunner runner, String host, int port) {
        return runner.withBean(RedisConnectionDetails.class, () -> standalone(host, port));
    }

    /** Registers a connection-details bean of a standalone server in {@code context}, as an initializer can. */
    static void registerStandalone(GenericApplicationContext context, String host, int port) {
        context.registerBean(RedisConnectionDetails.class, () -> standalone(host, port));
    }

    private static RedisConnectionDetails standalone(String host, int port) {
        return new RedisConnectionDetails() {
            @Override
            public Standalone getStandalone() {
                return Standalone.of(host, port);
            }
        };
    }

    /** {@code runner} with a connection-details bean of a cluster, by its nodes' {@code host:port}. */
    static ApplicationContextRunner withCluster(ApplicationContextRunner runner, List<String> hostPorts) {
        List<RedisConnectionDetails.Node> nodes = hostPorts.stream().map(BootLine::node).toList();
        RedisConnectionDetails details = new RedisConnectionDetails() {
            @Override
            public Cluster getCluster() {
                return () -> nodes;
            }
        };
        return runner.withBean(RedisConnectionDetails.class, () -> details);
    }

    /** {@code runner} with a connection-details bean of a master watched by sentinels at {@code host:port}. */
    static ApplicationContextRunner withSentinel(ApplicationContextRunner runner, String master,
                                                 List<String> hostPorts) {
        List<RedisConnectionDetails.Node> nodes = hostPorts.stream().map(BootLine::node).toList();
        RedisConnectionDetails details = new RedisConnectionDetails() {
            @Override
            public Sentinel getSentinel() {
                return new Sentinel() {
                    @Override
                    public int getDatabase() {
                        return 0;
                    }

                    @Override
                    public String getMaster() {
                        return master;
                    }

                    @Override
                    public List<Node> getNodes() {
                        return nodes;
                    }

                    @Override
                    public String getUsername() {
                        return null;
                    }

                    @Override
                    public String getPassword() {
                        return null;
                    }
                };
            }
        };
        return runner.withBean(RedisConnectionDetails.class, () -> details);
    }

    private static RedisConnectionDetails.Node node(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new RedisConnectionDetails.Node(hostPort.substring(0, colon),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    /** {@code runner} with a {@code CacheManagerCustomizer} bean that runs {@code onCustomize}. */
    static ApplicationContextRunner withCacheManagerCustomizer(ApplicationContextRunner runner, Runnable onCustomize) {
        return runner.withBean("myCustomizer", CacheManagerCustomizer.class,
                () -> (CacheManagerCustomizer<NearCacheCacheManager>) m -> onCustomize.run());
    }

    /** The JSON serializer this line's starter uses by default (Jackson 2's mapper, no modules). */
    static CacheValueSerializer jsonSerializer(List<String> trusted, ClassLoader classLoader) {
        return new Jackson2JsonCacheValueSerializer(
                com.fasterxml.jackson.databind.json.JsonMapper.builder().build(), trusted, classLoader);
    }

    /** The {@code nearcache} health component's status code and details, read now. */
    static HealthReport health(ApplicationContext context) {
        Health health = context.getBean("nearcacheHealthIndicator", HealthIndicator.class).health();
        return new HealthReport(health.getStatus().getCode(), health.getDetails());
    }

    record HealthReport(String status, Map<String, Object> details) {
    }
}
