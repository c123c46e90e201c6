package dev.nearcache.spring;

import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;

/** An application that enables caching and has nothing else: the starter's CacheManager appears only then. */
@Configuration(proxyBeanMethods = false)
@EnableCaching
class CachingEnabled {
}
