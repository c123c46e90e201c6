package dev.nearcache.spring;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;

/** An application that enables caching and has nothing else: the starter's CacheManager appears only then. */
@Configuration(proxyBeanMethods = false)
@EnableCaching
class CachingEnabled {
    /**
     * The starter in such an application whose {@code spring.data.redis.url} points where nothing listens: a
     * connection-details bean added to it ({@link BootLine}) is all that connects it.
     */
    static ApplicationContextRunner withUnreachableUrl() {
        return new ApplicationContextRunner()
                .withConfiguration(BootLine.cache())
                .withUserConfiguration(CachingEnabled.class)
                .withPropertyValues("spring.data.redis.url=redis://127.0.0.1:1"); // the bean goes ahead of it
    }
}
