package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.support.DefaultConversionService;

/**
 * Spring's {@link CacheManager} over one near cache: every cache it returns is a {@link NearCacheSpringCache} view
 * under its own Redis key prefix ({@code <name>::}, after the manager's key prefix if it has one), created on first
 * use, all sharing the near cache's local memory bound, connections and coherence. Thread-safe.
 */
public final class NearCacheCacheManager implements CacheManager {
    private final NearCache<String, byte[]> cache;
    private final CacheValueSerializer serializer;
    private final Map<String, Duration> ttls;
    private final Duration defaultTtl;
    private final String keyPrefix;
    private final boolean useKeyPrefix;
    private final boolean allowNullValues;
    private final ConversionService conversion = new DefaultConversionService();
    private final DecodedValues decoded = new DecodedValues();
    private volatile Consumer<NearCacheSpringCache> onCreate;
    private final Map<String, NearCacheSpringCache> caches = new ConcurrentHashMap<>();

    /**
     * @param cache           the near cache of UTF-8 keys and byte values the views read and write
     * @param serializer      turns values into bytes and back
     * @param ttls            per cache name, the time to live of what it writes (absent: none)
     * @param allowNullValues whether a null result is cached (as Spring's {@code NullValue})
     */
    public NearCacheCacheManager(NearCache<String, byte[]> cache, CacheValueSerializer serializer,
                                 Map<String, Duration> ttls, boolean allowNullValues) {
        this(cache, serializer, ttls, null, null, true, allowNullValues);
    }

    /**
     * @param defaultTtl   the time to live of what a cache without its own in {@code ttls} writes, or null for none
     * @param keyPrefix    put before {@code <name>::} in each Redis key ({@code spring.cache.redis.key-prefix}), or
     *                     null for none
     * @param useKeyPrefix false to use the cache's keys as Redis keys as they are, without {@code <name>::}
     *                     ({@code spring.cache.redis.use-key-prefix}; {@code clear()} then refuses)
     */
    NearCacheCacheManager(NearCache<String, byte[]> cache, CacheValueSerializer serializer, Map<String, Duration> ttls,
                          Duration defaultTtl, String keyPrefix, boolean useKeyPrefix, boolean allowNullValues) {
        this.cache = Objects.requireNonNull(cache, "cache must not be null");
        this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
        this.ttls = Map.copyOf(ttls);
        this.defaultTtl = defaultTtl;
        this.keyPrefix = keyPrefix == null ? "" : keyPrefix;
        this.useKeyPrefix = useKeyPrefix;
        this.allowNullValues = allowNullValues;
        this.onCreate = created -> { };
    }

    /** Runs {@code action} for each view created from now on (the starter binds their metrics so). */
    void onCreate(Consumer<NearCacheSpringCache> action) {
        this.onCreate = Objects.requireNonNull(action);
    }

    @Override
    public Cache getCache(String name) {
        Objects.requireNonNull(name, "name must not be null");
        NearCacheSpringCache existing = caches.get(name);
        if (existing != null) {
            return existing;
        }
        boolean[] created = new boolean[1];
        NearCacheSpringCache view = caches.computeIfAbsent(name, n -> {
            created[0] = true;
            String prefix = useKeyPrefix ? keyPrefix + n + "::" : "";
            return new NearCacheSpringCache(n, prefix, cache, serializer, decoded, conversion,
                    ttls.getOrDefault(n, defaultTtl), allowNullValues);
        });
        if (created[0]) {
            onCreate.accept(view);
        }
        return view;
    }

    @Override
    public Collection<String> getCacheNames() {
        return Collections.unmodifiableSet(caches.keySet());
    }
}
