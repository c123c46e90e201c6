package dev.nearcache.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nearcache.core.NearCache;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.metrics.cache.CacheMeterBinderProvider;
import org.springframework.boot.actuate.metrics.cache.CacheMetricsRegistrar;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.cache.CacheManagerCustomizer;
import org.springframework.boot.autoconfigure.cache.CacheManagerCustomizers;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cache.CacheManager;
import org.springframework.cache.interceptor.CacheAspectSupport;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/**
 * The near cache for a Spring Boot 3.5 application, from the properties it already has: a {@code NearCache<String,
 * byte[]>} on {@code spring.data.redis.*} with {@code nearcache.*} settings, a {@link CacheManager} whose caches are
 * views of it (so {@code @Cacheable} is local and coherent), Actuator's {@code nearcache} health and the
 * {@code nearcache.*} and {@code cache.*} meters. Each bean backs off when the application defines its own;
 * {@code nearcache.enabled=false} turns all of it off.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.autoconfigure.cache.CacheAutoConfiguration",
        afterName = "org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration")
@ConditionalOnClass(NearCache.class)
@ConditionalOnProperty(name = "nearcache.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(NearCacheProperties.class)
@Import(NearCacheMetricsConfiguration.class)
public final class NearCacheAutoConfiguration {

    /** The near cache; closed with the context. Reuses the application's Lettuce {@code ClientResources} bean. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    NearCache<String, byte[]> nearCache(NearCacheProperties properties, Environment environment,
                                        ObjectProvider<ClientResources> clientResources, BeanFactory beans) {
        return NearCacheFactory.builder(properties, environment, clientResources.getIfUnique(), beans,
                RedisConnectionDetailsSource.view(beans)).build();
    }

    /**
     * JSON through the cache's own Jackson 2 mapper ({@link Jackson2JsonCacheMapperCustomizer} beans adjust it),
     * trusting the application's own packages; the same JSON as the Boot 4 starter's Jackson 3 serializer.
     */
    @Bean
    @ConditionalOnMissingBean
    CacheValueSerializer nearCacheValueSerializer(ObjectProvider<Jackson2JsonCacheMapperCustomizer> customizers,
                                                  NearCacheProperties properties, BeanFactory beanFactory) {
        List<String> trusted = CacheManagerFactory.trustedPackages(properties, beanFactory);
        ClassLoader classLoader = NearCacheAutoConfiguration.class.getClassLoader();
        JsonMapper.Builder mapper = JsonMapper.builder().addModules(ObjectMapper.findModules(classLoader));
        customizers.orderedStream().forEach(customizer -> customizer.customize(mapper));
        return new Jackson2JsonCacheValueSerializer(mapper.build(), trusted, classLoader);
    }

    /**
     * Spring's cache abstraction over the near cache, when caching is enabled ({@code @EnableCaching}), unless the
     * application has a CacheManager or chose another cache type ({@code spring.cache.type} other than
     * {@code redis}, {@code none} included). Honours
     * {@code spring.cache.cache-names} and {@code spring.cache.redis.*} (time-to-live, key-prefix, use-key-prefix,
     * cache-null-values) as Boot's {@code RedisCacheManager} does, with {@code nearcache.*} taking precedence, and
     * the application's {@code CacheManagerCustomizer} beans.
     */
    @Bean
    @ConditionalOnBean(CacheAspectSupport.class) // caching is enabled (@EnableCaching), as for Boot's own managers
    @ConditionalOnMissingBean(CacheManager.class)
    @ConditionalOnProperty(name = "nearcache.cache-manager", havingValue = "true", matchIfMissing = true)
    @ConditionalOnProperty(name = "spring.cache.type", havingValue = "redis", matchIfMissing = true)
    NearCacheCacheManager cacheManager(NearCache<String, byte[]> nearCache, CacheValueSerializer serializer,
                                       NearCacheProperties properties, Environment environment,
                                       ListableBeanFactory beans) {
        NearCacheCacheManager manager = CacheManagerFactory.create(nearCache, serializer, properties, environment);
        // the application's CacheManagerCustomizer beans (Boot's own cache configuration backs off to ours)
        @SuppressWarnings({"unchecked", "rawtypes"})
        List<CacheManagerCustomizer<?>> customizers = (List) beans.getBeanProvider(CacheManagerCustomizer.class)
                .orderedStream().toList();
        return new CacheManagerCustomizers(customizers).customize(manager);
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
