package dev.nearcache.core;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A near cache for Redis: reads are served from local memory when possible, from Redis otherwise, and the local
 * copy never outlives the value in Redis.
 *
 * <p><b>Coherence.</b> Once writes stop and the connections are healthy, every value this cache returns equals
 * what Redis holds within one heartbeat interval plus its timeout (3 s with the defaults) at worst; usually it is
 * evicted as soon as Redis reports the write. While the invalidation connection is down, reads go to Redis and
 * nothing is cached. Writes made through this cache ({@link #set}, {@link #delete}) are seen by this cache's
 * next read as soon as they return. A value is kept no longer than its key's time to live in Redis.
 *
 * <p><b>Failures.</b> A read or write that Redis cannot serve within the command timeout fails with
 * {@link NearCacheException} naming the endpoint; no call waits much longer than the command timeout. A read that
 * fails because of its own key (outside the user's ACL key patterns, or a value the codec cannot decode) fails
 * only that key's callers, never others whose keys shared its MGET. Null keys and null values are rejected with
 * {@link NullPointerException}; a key the codec does not encode faithfully (a String with an unpaired surrogate)
 * with {@link IllegalArgumentException}. A key holding another type than a string reads as null and is not kept
 * locally. Values whose encoded size exceeds {@code maxValueBytes} are returned but not kept locally.
 *
 * <p><b>Threads.</b> All methods are thread-safe. Futures complete on Lettuce's I/O threads: do not block in their
 * dependent stages.
 *
 * @param <K> key type
 * @param <V> value type
 */
public interface NearCache<K, V> extends AutoCloseable {

    /** A builder of a cache of UTF-8 string keys and values. */
    static NearCacheBuilder<String, String> builder() {
        return new NearCacheBuilder<>(io.lettuce.core.codec.StringCodec.UTF8);
    }

    /**
     * Builds a cache of UTF-8 strings configured from the environment variables of docs/configuration.md
     * ({@code REDIS_URL} or {@code REDIS_HOST}..., and {@code NEARCACHE_*}).
     *
     * @throws NearCacheConfigurationException naming the variable and the expected form if one is malformed
     * @throws NearCacheException if Redis cannot be reached
     */
    static NearCache<String, String> fromEnv() {
        return builder().environment(System.getenv()).build();
    }

    /**
     * The value of {@code key}: locally if cached, else from Redis (coalesced with other threads' misses).
     *
     * @return the value, or null if Redis has no such key
     */
    V get(K key);

    /**
     * Like {@link #get(Object)} without blocking; a hit completes at once. It fails as {@code get} throws: with the
     * same exception ({@link NearCacheException} when Redis could not answer, {@link IllegalStateException} when the
     * cache is closed), handed to callbacks as is, never wrapped in a {@code CompletionException}.
     */
    CompletableFuture<V> getAsync(K key);

    /**
     * The values of several keys, local ones from memory and the rest in as few MGETs as possible.
     *
     * @return a map from every distinct key to its value, or to null if Redis has no such key
     */
    Map<K, V> getAll(Collection<? extends K> keys);

    /**
     * Read-through: the value of {@code key}; if Redis has none, {@code loader} computes it (once per key across
     * concurrent callers in this JVM), it is written to Redis (with the builder's read-through TTL, if any) and
     * returned. The write is {@code SET NX}: it never overwrites what another writer stored meanwhile, nor a key of
     * another type; the caller still gets what the loader computed. A null from the loader is returned and not
     * written. An exception from the loader reaches every
     * caller waiting for that key.
     *
     * <p>The value filled in is not kept locally: the next read of the key is one more miss, which reads it back
     * from Redis (tracked) and keeps it. Only a tracked read may be kept: a value this cache wrote itself carries no
     * promise from Redis to report the next write of another client (see {@link #set(Object, Object)}).
     */
    V get(K key, Function<? super K, ? extends V> loader);

    /**
     * Read-through as {@link #get(Object, Function)}, writing the computed value with this time to live instead of
     * the builder's read-through TTL.
     *
     * @throws IllegalArgumentException if {@code ttl} is shorter than 1 ms
     */
    V get(K key, Function<? super K, ? extends V> loader, Duration ttl);

    /**
     * Writes {@code value} to Redis; this cache's next read of {@code key} sees it.
     *
     * <p>The local entry is dropped, not replaced: the next read of {@code key} misses once and reads it back from
     * Redis. Keeping the written value would be unsafe: Redis reports a key's next write only to clients that read
     * it, and a write of another client right after this one would never be reported.
     */
    void set(K key, V value);

    /**
     * Writes {@code value} to Redis with a time to live; this cache's next read of {@code key} sees it (after one
     * miss, as {@link #set(Object, Object)}).
     */
    void set(K key, V value, Duration ttl);

    /** Deletes {@code key} from Redis; this cache's next read of it sees it gone. */
    void delete(K key);

    /**
     * Deletes every key that matches the glob-style {@code pattern} ({@code SCAN ... MATCH}, then {@code DEL} of each
     * page of up to 1,000 keys; over a cluster, on every master) and drops them locally; returns how many Redis
     * deleted. Not atomic: a key written while the scan runs may stay. Costs a full scan of the keyspace.
     *
     * @throws NearCacheException if Redis cannot be reached; some keys may have been deleted
     */
    long deleteMatching(String pattern);

    /** Counters and gauges, without Micrometer (see {@link #metrics(String)} for Micrometer). */
    NearCacheStats stats();

    /**
     * This cache's Micrometer meters, tagged {@code cache=<name>} (listed at {@link NearCacheMetrics}), to bind to a
     * registry: {@code cache.metrics("products").bindTo(registry)}. A cache that started without Redis registers them
     * once it has connected.
     *
     * @throws NullPointerException if {@code name} is null
     */
    NearCacheMetrics metrics(String name);

    /** Closes every connection and empties the local cache. Idempotent. */
    @Override
    void close();
}
