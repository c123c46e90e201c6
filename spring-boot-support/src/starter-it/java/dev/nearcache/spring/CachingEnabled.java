package dev.nearcache.spring;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;

/** An application that enables caching and has nothing else: the starter's CacheManager appears only then. */
@Configuration(proxyBeanMethods = false)
@EnableCaching
class CachingEnabled {
    /** The starter in such an application, connected only by {@code details}: the URL points where nothing listens. */
    static ApplicationContextRunner connectedBy(DataRedisConnectionDetails details) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(NearCacheAutoConfiguration.class, CacheAutoConfiguration.class))
                .withUserConfiguration(CachingEnabled.class)
                .withPropertyValues("spring.data.redis.url=redis://127.0.0.1:1") // the bean goes ahead of it
                .withBean(DataRedisConnectionDetails.class, () -> details);
    }
}
