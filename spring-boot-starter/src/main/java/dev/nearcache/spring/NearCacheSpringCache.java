package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.springframework.cache.support.AbstractValueAdaptingCache;
import org.springframework.core.convert.ConversionService;

/**
 * One Spring cache as a view of the near cache: entry {@code key} of cache {@code products} is the Redis key
 * {@code products::<key>} (the layout of Spring's {@code RedisCacheManager}), its value the serializer's bytes.
 * Reads are local hits or batched Redis reads, coherent as the near cache is; writes go to Redis and drop the local
 * entry (the next read reads it back, tracked).
 *
 * <ul>
 *   <li>{@code get(key, Callable)} ({@code @Cacheable(sync = true)}) is single-flight: concurrent callers of one key
 *       in this JVM share one call of the loader, and its value is written with {@code SET NX}.</li>
 *   <li>{@code retrieve(key)} and {@code retrieve(key, loader)} do not block; concurrent {@code retrieve(key,
 *       loader)} calls of one key share one loader call.</li>
 *   <li>{@code clear()} deletes the cache's keys in Redis ({@code SCAN} and {@code DEL}) and locally.</li>
 * </ul>
 *
 * Thread-safe. A Redis failure surfaces as the near cache's {@code NearCacheException}.
 */
public final class NearCacheSpringCache extends AbstractValueAdaptingCache {
    private final String name;
    private final NearCache<String, byte[]> cache;
    private final CacheValueSerializer serializer;
    private final ConversionService conversion;
    private final Duration ttl;
    private final ConcurrentMap<String, CompletableFuture<Object>> retrieving = new ConcurrentHashMap<>();
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder puts = new LongAdder();
    final LongAdder evictions = new LongAdder();

    NearCacheSpringCache(String name, NearCache<String, byte[]> cache, CacheValueSerializer serializer,
                         ConversionService conversion, Duration ttl, boolean allowNullValues) {
        super(allowNullValues);
        this.name = name;
        this.cache = cache;
        this.serializer = serializer;
        this.conversion = conversion;
        this.ttl = ttl;
    }

    @Override
    public String getName() {
        return name;
    }

    /** The near cache this view reads and writes through. */
    @Override
    public NearCache<String, byte[]> getNativeCache() {
        return cache;
    }

    /** The TTL this cache writes with, or null for none (or the near cache's read-through TTL). */
    public Duration getTtl() {
        return ttl;
    }

    @Override
    protected Object lookup(Object key) {
        byte[] bytes = cache.get(redisKey(key));
        return stored(bytes);
    }

    private Object stored(byte[] bytes) {
        if (bytes == null) {
            misses.increment();
            return null;
        }
        hits.increment();
        return serializer.deserialize(bytes);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(Object key, Callable<T> valueLoader) {
        String redisKey = redisKey(key);
        boolean[] loaded = new boolean[1];
        byte[] bytes = ttl == null ? cache.get(redisKey, k -> load(key, valueLoader, loaded))
                : cache.get(redisKey, k -> load(key, valueLoader, loaded), ttl);
        if (loaded[0]) {
            misses.increment();
            puts.increment();
        } else {
            hits.increment();
        }
        return (T) fromStoreValue(serializer.deserialize(bytes));
    }

    private byte[] load(Object key, Callable<?> valueLoader, boolean[] loaded) {
        Object value;
        try {
            value = valueLoader.call();
        } catch (Exception e) {
            throw new ValueRetrievalException(key, valueLoader, e);
        }
        loaded[0] = true;
        return serializer.serialize(toStoreValue(value));
    }

    @Override
    public CompletableFuture<?> retrieve(Object key) {
        return cache.getAsync(redisKey(key)).thenApply(bytes -> {
            Object stored = stored(bytes);
            if (stored == null) {
                return null;
            }
            return isAllowNullValues() ? toValueWrapper(stored) : fromStoreValue(stored);
        });
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> valueLoader) {
        String redisKey = redisKey(key);
        return cache.getAsync(redisKey).thenCompose(bytes -> {
            Object stored = stored(bytes);
            if (stored != null) {
                return CompletableFuture.completedFuture((T) fromStoreValue(stored));
            }
            CompletableFuture<Object> mine = new CompletableFuture<>();
            CompletableFuture<Object> running = retrieving.putIfAbsent(redisKey, mine);
            if (running != null) {
                return (CompletableFuture<T>) running;
            }
            valueLoader.get().whenComplete((value, failure) -> {
                try {
                    if (failure == null) {
                        put(key, value);
                    }
                } catch (RuntimeException e) {
                    failure = e;
                } finally {
                    retrieving.remove(redisKey, mine);
                }
                if (failure != null) {
                    mine.completeExceptionally(failure);
                } else {
                    mine.complete(value);
                }
            });
            return (CompletableFuture<T>) mine;
        });
    }

    @Override
    public void put(Object key, Object value) {
        byte[] bytes = serializer.serialize(toStoreValue(value));
        if (ttl == null) {
            cache.set(redisKey(key), bytes);
        } else {
            cache.set(redisKey(key), bytes, ttl);
        }
        puts.increment();
    }

    @Override
    public void evict(Object key) {
        cache.delete(redisKey(key));
        evictions.increment();
    }

    /** Deletes this cache's keys ({@code <name>::*}) in Redis, by SCAN and DEL, and locally. */
    @Override
    public void clear() {
        cache.deleteMatching(escapeGlob(name) + "::*");
    }

    /** {@code <name>::<key>}, the key converted to a String as {@code RedisCache} does. */
    String redisKey(Object key) {
        String converted;
        if (key instanceof String s) {
            converted = s;
        } else if (conversion.canConvert(key.getClass(), String.class)) {
            converted = conversion.convert(key, String.class);
        } else {
            converted = String.valueOf(key);
        }
        return name + "::" + converted;
    }

    private static String escapeGlob(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if ("*?[]\\".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
