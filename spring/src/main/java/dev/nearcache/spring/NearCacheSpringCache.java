package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheException;
import dev.nearcache.core.NearCacheNotConnectedException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cache.support.AbstractValueAdaptingCache;
import org.springframework.core.convert.ConversionService;
import org.springframework.util.ObjectUtils;

/**
 * One Spring cache as a view of the near cache: entry {@code key} of cache {@code products} is the Redis key
 * {@code products::<key>} (the layout of Spring's {@code RedisCacheManager}; with {@code spring.cache.redis.key-prefix}
 * {@code <prefix>products::<key>}), its value the serializer's bytes. Reads are local hits or batched Redis reads,
 * coherent as the near cache is; writes go to Redis and drop the local entry (the next read reads it back, tracked).
 *
 * <ul>
 *   <li>A local hit returns the object decoded when the value arrived, by reference, as Boot's in-memory cache
 *       managers do: callers must not modify it. A value from Redis is decoded once.</li>
 *   <li>A value that does not decode (a class changed in a new deploy, bytes written by another serializer) is
 *       deleted, counted ({@code decodeFailures}, the meter {@code cache.decode.failures}), logged at most
 *       once a minute, and read as a miss: {@code @Cacheable} runs the method again. Callers never see the error.</li>
 *   <li>{@code get(key, Callable)} ({@code @Cacheable(sync = true)}) is single-flight: concurrent callers of one key
 *       in this JVM share one call of the loader, and its value is written with {@code SET NX}.</li>
 *   <li>{@code retrieve(key)} and {@code retrieve(key, loader)} do not block; concurrent {@code retrieve(key,
 *       loader)} calls of one key share one loader call, which fails them all if it throws or returns null.</li>
 *   <li>{@code clear()} deletes the cache's keys in Redis ({@code SCAN} and {@code DEL}) and locally.</li>
 *   <li>A key is a String, converted by the conversion service, or its own {@code toString()}; a key whose class has
 *       no {@code toString()} of its own (it would become an identity hash that never hits again) is refused with an
 *       {@link IllegalArgumentException} naming its class, before Redis is asked.</li>
 * </ul>
 *
 * Thread-safe. A Redis failure surfaces as the near cache's {@code NearCacheException}. Started without Redis
 * ({@code nearcache.start-without-redis}), until the near cache connects: reads miss, so the method runs each time;
 * puts are not written (a warning at most once a minute); evictions and {@code clear()} throw, never skipped.
 */
public final class NearCacheSpringCache extends AbstractValueAdaptingCache {
    private static final Logger log = LoggerFactory.getLogger(NearCacheSpringCache.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final ClassValue<Boolean> OWN_TO_STRING = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                Method toString = type.getMethod("toString");
                return toString.getDeclaringClass() != Object.class;
            } catch (NoSuchMethodException e) {
                return false;
            }
        }
    };

    private final String name;
    private final String prefix;
    private final NearCache<String, byte[]> cache;
    private final CacheValueSerializer serializer;
    private final DecodedValues decoded;
    private final ConversionService conversion;
    private final Duration ttl;
    private final ConcurrentMap<String, CompletableFuture<Object>> retrieving = new ConcurrentHashMap<>();
    private final AtomicLong nextDecodeLog = new AtomicLong(System.nanoTime());
    private final AtomicLong nextNotWrittenLog = new AtomicLong(System.nanoTime());
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder puts = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder decodeFailures = new LongAdder();

    NearCacheSpringCache(String name, String prefix, NearCache<String, byte[]> cache, CacheValueSerializer serializer,
                         DecodedValues decoded, ConversionService conversion, Duration ttl, boolean allowNullValues) {
        super(allowNullValues);
        this.name = name;
        this.prefix = prefix;
        this.cache = cache;
        this.serializer = serializer;
        this.decoded = decoded;
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

    /** The TTL this cache writes with, or null for none. */
    public Duration getTtl() {
        return ttl;
    }

    /** Values that did not decode and were deleted so (counted since start). */
    public long getDecodeFailures() {
        return decodeFailures.sum();
    }

    @Override
    protected Object lookup(Object key) {
        String redisKey = redisKey(key);
        byte[] bytes;
        try {
            bytes = cache.get(redisKey);
        } catch (NearCacheNotConnectedException e) {
            bytes = null; // started without Redis (nearcache.start-without-redis): a miss, so the method runs
        }
        return stored(redisKey, bytes);
    }

    /** {@code getAsync}, but completed with null (a miss) while the cache has not connected to Redis yet. */
    private CompletableFuture<byte[]> getAsync(String redisKey) {
        return cache.getAsync(redisKey).exceptionallyCompose(e -> e instanceof NearCacheNotConnectedException
                ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(e));
    }

    /** The stored value of {@code bytes} (counted as a hit), or null for a miss or a value that did not decode. */
    private Object stored(String redisKey, byte[] bytes) {
        Object value = bytes == null ? null : decodeOrDelete(redisKey, bytes);
        if (value == null) {
            misses.increment();
            return null;
        }
        hits.increment();
        return value;
    }

    /** The value of {@code bytes}, or null after deleting the key if they do not decode. */
    private Object decodeOrDelete(String redisKey, byte[] bytes) {
        try {
            return decoded.decode(bytes, serializer);
        } catch (RuntimeException e) {
            decodeFailures.increment();
            try {
                cache.delete(redisKey);
            } catch (NearCacheException deleteFailed) {
                e.addSuppressed(deleteFailed); // the method's result will replace it, or the next read tries again
            }
            if (dueToLog(nextDecodeLog)) {
                log.warn("cache '{}': a value in Redis did not decode ({}: {}); deleted it and read it again through"
                        + " the cached method ({} such values so far, logged at most once a minute)", name,
                        e.getClass().getName(), e.getMessage(), decodeFailures.sum());
            }
            return null;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(Object key, Callable<T> valueLoader) {
        String redisKey = redisKey(key);
        for (int attempt = 0; ; attempt++) {
            boolean[] loaded = new boolean[1];
            byte[] bytes = ttl == null ? cache.get(redisKey, k -> load(key, valueLoader, loaded))
                    : cache.get(redisKey, k -> load(key, valueLoader, loaded), ttl);
            Object value = decodeOrDelete(redisKey, bytes);
            if (value == null && !loaded[0] && attempt == 0) {
                continue; // the stored value did not decode and is deleted: load it again through the method
            }
            if (value == null) {
                throw new ValueRetrievalException(key, valueLoader, new IllegalStateException("cache '" + name
                        + "': the value stored for this key does not read back with " + serializer.getClass()
                        .getName()));
            }
            if (loaded[0]) {
                misses.increment();
                puts.increment();
            } else {
                hits.increment();
            }
            return (T) fromStoreValue(value);
        }
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
        String redisKey = redisKey(key);
        return getAsync(redisKey).thenApply(bytes -> {
            Object stored = stored(redisKey, bytes);
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
        return getAsync(redisKey).thenCompose(bytes -> {
            Object stored = stored(redisKey, bytes);
            if (stored != null) {
                return CompletableFuture.completedFuture((T) fromStoreValue(stored));
            }
            CompletableFuture<Object> mine = new CompletableFuture<>();
            CompletableFuture<Object> running = retrieving.putIfAbsent(redisKey, mine);
            if (running != null) {
                return (CompletableFuture<T>) running;
            }
            CompletableFuture<T> loading;
            try {
                loading = valueLoader.get();
                if (loading == null) {
                    throw new IllegalStateException("cache '" + name + "': the value loader returned null instead of"
                            + " a CompletableFuture");
                }
            } catch (RuntimeException | Error e) {
                // the entry must not outlive this call: later callers of the key would wait on it forever
                retrieving.remove(redisKey, mine);
                mine.completeExceptionally(e);
                return (CompletableFuture<T>) mine;
            }
            loading.whenComplete((value, failure) -> {
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

    /** How many {@code retrieve(key, loader)} loads are in flight (for tests). */
    int retrievesInFlight() {
        return retrieving.size();
    }

    @Override
    public void put(Object key, Object value) {
        String redisKey = redisKey(key);
        byte[] bytes = serializer.serialize(toStoreValue(value));
        try {
            if (ttl == null) {
                cache.set(redisKey, bytes);
            } else {
                cache.set(redisKey, bytes, ttl);
            }
        } catch (NearCacheNotConnectedException e) {
            notWritten(e);
            return;
        }
        puts.increment();
    }

    /**
     * A put while the cache has not connected to Redis yet is not written (the method's result is still returned),
     * so that {@code @Cacheable} serves through the method; said at most once a minute. An eviction is never skipped.
     */
    private void notWritten(NearCacheNotConnectedException e) {
        if (dueToLog(nextNotWrittenLog)) {
            log.warn("cache '{}': values are not written to Redis until the near cache connects ({})", name,
                    e.getMessage());
        }
    }

    /** Whether a warning kept to once a minute by {@code next} (when it may be said again) is due; if so, takes it. */
    private static boolean dueToLog(AtomicLong next) {
        long now = System.nanoTime();
        long at = next.get();
        return now - at >= 0 && next.compareAndSet(at, now + LOG_EVERY_NANOS);
    }

    @Override
    public void evict(Object key) {
        cache.delete(redisKey(key));
        evictions.increment();
    }

    /**
     * Deletes this cache's keys ({@code <prefix><name>::*}) in Redis, by SCAN and DEL, and locally.
     *
     * @throws UnsupportedOperationException without a key prefix ({@code spring.cache.redis.use-key-prefix=false}),
     *                                       where this cache's keys cannot be told from any other key
     */
    @Override
    public void clear() {
        if (prefix.isEmpty()) {
            throw new UnsupportedOperationException("cache '" + name + "' has no key prefix"
                    + " (spring.cache.redis.use-key-prefix=false), so clear() cannot tell its keys from any other"
                    + " key in Redis; evict keys one by one");
        }
        cache.deleteMatching(escapeGlob(prefix) + "*");
    }

    /** {@code <prefix><key>}, the key converted to a String as {@code RedisCache} does. */
    String redisKey(Object key) {
        String converted;
        if (key instanceof String s) {
            converted = s;
        } else if (conversion.canConvert(key.getClass(), String.class)) {
            converted = conversion.convert(key, String.class);
        } else if (key.getClass().isArray()) {
            converted = ObjectUtils.nullSafeToString(key);
        } else if (OWN_TO_STRING.get(key.getClass())) {
            converted = key.toString();
        } else {
            throw new IllegalArgumentException("cache '" + name + "': a key of type " + key.getClass().getName()
                    + " has no toString() of its own, so each instance would be a new key that never hits; give the"
                    + " class a toString() (a record has one), register a Converter to String, or use a key"
                    + " expression");
        }
        return prefix + converted;
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
