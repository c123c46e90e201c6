package dev.nearcache.spring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.cache.CacheMeterBinder;

/**
 * Spring's cache metrics ({@code cache.gets{result=hit|miss}}, {@code cache.puts}, {@code cache.evictions}) and {@code cache.decode.failures} for one
 * {@link NearCacheSpringCache}; its size is the shared near cache's, reported as {@code nearcache.size}.
 */
final class NearCacheSpringCacheMetrics extends CacheMeterBinder<NearCacheSpringCache> {
    private final NearCacheSpringCache cache;

    NearCacheSpringCacheMetrics(NearCacheSpringCache cache, Iterable<Tag> tags) {
        super(cache, cache.getName(), tags);
        this.cache = cache;
    }

    @Override
    protected Long size() {
        return null;
    }

    @Override
    protected long hitCount() {
        return cache.hits.sum();
    }

    @Override
    protected Long missCount() {
        return cache.misses.sum();
    }

    @Override
    protected Long evictionCount() {
        return cache.evictions.sum();
    }

    @Override
    protected long putCount() {
        return cache.puts.sum();
    }

    @Override
    protected void bindImplementationSpecificMetrics(MeterRegistry registry) {
        FunctionCounter.builder("cache.decode.failures", cache, NearCacheSpringCache::getDecodeFailures)
                .tags(getTagsWithCacheName())
                .description("Values in Redis that did not decode, deleted and read again through the method")
                .register(registry);
    }
}
