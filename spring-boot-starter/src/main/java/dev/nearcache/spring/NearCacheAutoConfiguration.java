package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheMetrics;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.cache.metrics.CacheMetricsRegistrar;
import org.springframework.boot.cache.metrics.CacheMeterBinderProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.cache.CacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import tools.jackson.databind.json.JsonMapper;

/**
 * The near cache for a Spring Boot application, from the properties it already has: a {@code NearCache<String,
 * byte[]>} on {@code spring.data.redis.*} with {@code nearcache.*} settings, a {@link CacheManager} whose caches are
 * views of it (so {@code @Cacheable} is local and coherent), Actuator's {@code nearcache} health and the
 * {@code nearcache.*} and {@code cache.*} meters. Each bean backs off when the application defines its own;
 * {@code nearcache.enabled=false} turns all of it off.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration",
        afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration")
@ConditionalOnClass(NearCache.class)
@ConditionalOnProperty(name = "nearcache.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(NearCacheProperties.class)
public final class NearCacheAutoConfiguration {

    /** The near cache; closed with the context. Reuses the application's Lettuce {@code ClientResources} bean. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    NearCache<String, byte[]> nearCache(NearCacheProperties properties, Environment environment,
                                        ObjectProvider<ClientResources> clientResources) {
        return NearCacheFactory.builder(properties, environment, clientResources.getIfUnique()).build();
    }

    /** JSON through the application's Jackson 3 mapper, trusting the application's own packages. */
    @Bean
    @ConditionalOnMissingBean
    CacheValueSerializer nearCacheValueSerializer(ObjectProvider<JsonMapper> mapper, NearCacheProperties properties,
                                                  BeanFactory beanFactory) {
        List<String> trusted = new ArrayList<>(properties.getTrustedPackages());
        if (AutoConfigurationPackages.has(beanFactory)) {
            trusted.addAll(AutoConfigurationPackages.get(beanFactory));
        }
        return new JsonCacheValueSerializer(mapper.getIfAvailable(JsonMapper::new), trusted,
                NearCacheAutoConfiguration.class.getClassLoader());
    }

    /** Spring's cache abstraction over the near cache (unless the application has a CacheManager). */
    @Bean
    @ConditionalOnMissingBean(CacheManager.class)
    @ConditionalOnProperty(name = "nearcache.cache-manager", havingValue = "true", matchIfMissing = true)
    NearCacheCacheManager cacheManager(NearCache<String, byte[]> nearCache, CacheValueSerializer serializer,
                                       NearCacheProperties properties) {
        Map<String, Duration> ttls = new LinkedHashMap<>();
        properties.getCache().forEach((name, cache) -> {
            if (cache.getTtl() != null) {
                if (cache.getTtl().toMillis() < 1) {
                    throw new IllegalArgumentException("nearcache.cache." + name + ".ttl must be at least 1ms, got "
                            + cache.getTtl());
                }
                ttls.put(name, cache.getTtl());
            }
        });
        NearCacheCacheManager manager = new NearCacheCacheManager(nearCache, serializer, ttls,
                properties.isAllowNullValues());
        properties.getCacheNames().forEach(manager::getCache);
        properties.getCache().keySet().forEach(manager::getCache);
        return manager;
    }

    /** {@code nearcache.*} meters, bound by Boot to the application's registry. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static final class Metrics {
        @Bean
        @ConditionalOnMissingBean
        NearCacheMetrics nearCacheMetrics(NearCache<String, byte[]> nearCache, NearCacheProperties properties) {
            return new NearCacheMetrics(nearCache, properties.getMetrics().getName())
                    .percentileHistograms(properties.getMetrics().isPercentileHistograms());
        }
    }

    /** Spring's {@code cache.*} meters for each view, including views created after start-up. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, CacheMeterBinderProvider.class})
    static final class CacheMetrics {
        @Bean
        CacheMeterBinderProvider<NearCacheSpringCache> nearCacheMeterBinderProvider() {
            return NearCacheSpringCacheMetrics::new;
        }

        @Bean
        SmartInitializingSingleton nearCacheLateCacheMetrics(ObjectProvider<NearCacheCacheManager> managers,
                                                             ObjectProvider<CacheMetricsRegistrar> registrar) {
            return () -> managers.orderedStream().forEach(manager -> manager.onCreate(view ->
                    registrar.ifAvailable(r -> r.bindCacheToRegistry(view, Tag.of("cache.manager", "cacheManager")))));
        }
    }

    /** Actuator's {@code nearcache} health component. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    @ConditionalOnEnabledHealthIndicator("nearcache")
    static final class Health {
        @Bean
        @ConditionalOnMissingBean(name = "nearcacheHealthIndicator")
        HealthIndicator nearcacheHealthIndicator(NearCache<String, byte[]> nearCache) {
            return new NearCacheHealthIndicator(nearCache);
        }
    }
}
