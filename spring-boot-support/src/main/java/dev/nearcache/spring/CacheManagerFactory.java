package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The starters' {@link NearCacheCacheManager} and its serializer's trusted packages, from {@code nearcache.*} and
 * Boot's own {@code spring.cache.*} settings as Boot's {@code RedisCacheManager} reads them, {@code nearcache.*}
 * taking precedence. Each starter applies its Boot line's {@code CacheManagerCustomizer} beans to the result.
 */
final class CacheManagerFactory {
    private static final String SPRING_CACHE_REDIS = "spring.cache.redis.";
    private static final String REDIS_CACHE_MANAGER = "org.springframework.data.redis.cache.RedisCacheManager";
    private static final Logger log = LoggerFactory.getLogger(CacheManagerFactory.class);

    private CacheManagerFactory() {
    }

    /**
     * The manager, with the caches of {@code spring.cache.cache-names}, {@code nearcache.cache-names} and
     * {@code nearcache.cache.<name>} already created. Honours {@code spring.cache.redis.time-to-live},
     * {@code key-prefix}, {@code use-key-prefix} and {@code cache-null-values}.
     */
    static NearCacheCacheManager create(NearCache<String, byte[]> nearCache, CacheValueSerializer serializer,
                                        NearCacheProperties properties, Environment environment) {
        Map<String, Duration> ttls = new LinkedHashMap<>();
        properties.getCache().forEach((name, cache) -> {
            if (cache.getTtl() != null) {
                ttls.put(name, positiveTtl("nearcache.cache." + name + ".ttl", cache.getTtl()));
            }
        });
        Binder binder = Binder.get(environment);
        Duration defaultTtl = binder.bind(SPRING_CACHE_REDIS + "time-to-live", Duration.class)
                .map(ttl -> positiveTtl(SPRING_CACHE_REDIS + "time-to-live", ttl))
                .orElse(properties.getReadThroughTtl());
        boolean allowNullValues = environment.containsProperty("nearcache.allow-null-values")
                ? properties.isAllowNullValues()
                : binder.bind(SPRING_CACHE_REDIS + "cache-null-values", Boolean.class).orElse(true);
        String keyPrefix = properties.getKeyPrefix() != null ? properties.getKeyPrefix()
                : environment.getProperty(SPRING_CACHE_REDIS + "key-prefix");
        NearCacheCacheManager manager = new NearCacheCacheManager(nearCache, serializer, ttls, defaultTtl, keyPrefix,
                binder.bind(SPRING_CACHE_REDIS + "use-key-prefix", Boolean.class).orElse(true), allowNullValues);
        if (ClassUtils.isPresent(REDIS_CACHE_MANAGER, CacheManagerFactory.class.getClassLoader())) {
            log.info("@Cacheable and friends use the near cache's CacheManager in place of Spring Data's"
                    + " RedisCacheManager (same keys, <cache>::<key>); spring.cache.type=redis with"
                    + " nearcache.cache-manager=false gives RedisCacheManager back");
        }
        binder.bind("spring.cache.cache-names", Bindable.listOf(String.class)).orElse(List.of())
                .forEach(manager::getCache);
        properties.getCacheNames().forEach(manager::getCache);
        properties.getCache().keySet().forEach(manager::getCache);
        return manager;
    }

    /** The packages whose classes JSON may create: {@code nearcache.trusted-packages} and the application's own. */
    static List<String> trustedPackages(NearCacheProperties properties, BeanFactory beanFactory) {
        List<String> trusted = new ArrayList<>(properties.getTrustedPackages());
        if (AutoConfigurationPackages.has(beanFactory)) {
            trusted.addAll(AutoConfigurationPackages.get(beanFactory));
        }
        return trusted;
    }

    private static Duration positiveTtl(String property, Duration ttl) {
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException(property + " must be at least 1ms, got " + ttl);
        }
        return ttl;
    }
}
