package dev.nearcache.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.nearcache.loader.DataConnection;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.SetArgs;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The near cache: Caffeine over the node shards ({@link NodeShard}: a batching loader for reads and an invalidation
 * listener per Redis node), reached through a {@link Routing} (one node, or a cluster's masters), plus a plain
 * connection for writes. Each of DESIGN.md's nine rules is named where it is kept: rules 1 and 2 in
 * {@link CoherenceGuard}, 3 and 4 in {@link NodeShard} (and {@link ClusterRouting} for topology changes), 9 in the
 * batching loader (a batch that times out drops its connection) and {@link NodeShard} (a tracking registration
 * without answer does), the rest below.
 */
final class TrackingNearCache<K, V> implements NearCache<K, V> {
    private static final Logger log = LoggerFactory.getLogger(TrackingNearCache.class);
    /** The cached form of "Redis has no such key" (negative caching). */
    private static final Object ABSENT = new Object();
    /** The most keys of one getAll waiting in the loader at a time (its bound is 100,000 by default). */
    static final int GET_ALL_CHUNK = 10_000;

    /** A cached value; a fresh object per store, so a conditional remove takes out exactly this store. */
    private static final class Entry {
        final Object value;
        final int weight;
        /** {@link System#nanoTime()} past which Redis may have expired the key (rule 8), or {@link #NEVER}. */
        final long expiresAt;

        Entry(Object value, int weight, long expiresAt) {
            this.value = value;
            this.weight = weight;
            this.expiresAt = expiresAt;
        }
    }

    private static final long NEVER = Long.MAX_VALUE;

    /** Hears about each batch's size and latency; set by {@link NearCacheMetrics}. */
    interface BatchRecorder {
        void batch(int keys, long nanos, boolean failed);
    }

    private final RedisCodec<K, V> codec;
    private final String endpoint;
    private final boolean weighed;
    private final int maxValueBytes;
    private final boolean negativeCaching;
    private final boolean serverTtl;
    private final Duration commandTimeout;
    private final Duration readThroughTtl;
    private final Cache<Object, Entry> cache;
    private final CoherenceGuard guard;
    private final ClientResources resources;
    private final Routing<K, V> routing;
    private final ConcurrentHashMap<Object, CompletableFuture<V>> readThrough = new ConcurrentHashMap<>();

    private final LongAdder loads = new LongAdder();
    private final LongAdder loadFailures = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final LongAdder oversized = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    /** Caffeine counted these reads as hits, but the entry's server TTL had run out (see {@link #live}). */
    private final LongAdder expiredHits = new LongAdder();
    private final Map<FlushReason, LongAdder> flushes = new EnumMap<>(FlushReason.class);
    volatile BatchRecorder recorder;
    private volatile boolean closed;

    TrackingNearCache(NearCacheSettings<K, V> settings) {
        this.codec = settings.codec();
        this.endpoint = settings.endpoint();
        this.maxValueBytes = settings.maxValueBytes();
        this.negativeCaching = settings.negativeCaching();
        this.serverTtl = settings.serverTtl();
        this.commandTimeout = settings.commandTimeout();
        this.readThroughTtl = settings.readThroughTtl();
        for (FlushReason reason : FlushReason.values()) {
            flushes.put(reason, new LongAdder());
        }
        // Rule 7: bounded by count or by bytes, with an optional local TTL as the backstop
        Caffeine<Object, Object> caffeine = Caffeine.newBuilder().recordStats();
        this.weighed = settings.weighed();
        if (weighed) {
            caffeine.maximumWeight(settings.maximumWeight()).weigher((Object key, Object entry) -> ((Entry) entry).weight);
        } else {
            caffeine.maximumSize(settings.maximumSize());
        }
        if (settings.localTtl() != null) {
            caffeine.expireAfterWrite(settings.localTtl());
        }
        this.cache = caffeine.build();
        this.guard = new CoherenceGuard(TrackingNearCache::idOf);
        this.resources = DefaultClientResources.create();
        try {
            this.routing = settings.cluster() ? new ClusterRouting<>(this, settings, resources)
                    : new StandaloneRouting<>(this, settings, resources);
        } catch (NearCacheConfigurationException e) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            throw e; // a missing permission: said as it is
        } catch (RuntimeException e) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            throw new NearCacheException("could not connect the near cache to Redis at " + endpoint + ": "
                    + e.getMessage(), e);
        }
        log.info("near cache connected to {}: {} data connections per node, invalidations {}", endpoint,
                settings.connections(), routing.invalidationsReady() ? "ready" : "pending");
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    /**
     * Rule 8 on the read side: the entry for {@code id} if it is present and its key's server TTL has not run out.
     * Entries of keys without a TTL are returned without reading the clock; an expired one is removed and the read
     * counts as a miss. (Not Caffeine's variable expiry: it reads the clock on every hit, which measured 48 ns a
     * hit against 6 ns without.)
     */
    private Entry live(Object id) {
        Entry entry = cache.getIfPresent(id);
        if (entry == null || entry.expiresAt == NEVER || System.nanoTime() - entry.expiresAt < 0) {
            return entry;
        }
        cache.asMap().remove(id, entry);
        expiredHits.increment();
        return null;
    }

    @Override
    public V get(K key) {
        Entry entry = live(idOf(Objects.requireNonNull(key, "key must not be null")));
        if (entry != null) {
            return unwrap(entry);
        }
        requireRoundTrip(key);
        return await(routing.load(key));
    }

    @Override
    public CompletableFuture<V> getAsync(K key) {
        Entry entry = live(idOf(Objects.requireNonNull(key, "key must not be null")));
        if (entry != null) {
            return CompletableFuture.completedFuture(unwrap(entry));
        }
        requireRoundTrip(key);
        return routing.load(key).handle((value, failure) -> {
            if (failure != null) {
                throw unavailable("read", failure);
            }
            return value;
        });
    }

    @Override
    public Map<K, V> getAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys must not be null");
        Map<K, V> result = new LinkedHashMap<>(keys.size() * 2);
        List<K> missing = new ArrayList<>();
        for (K key : keys) {
            Entry entry = live(idOf(Objects.requireNonNull(key, "keys must not contain null")));
            if (entry != null) {
                result.put(key, unwrap(entry));
            } else {
                requireRoundTrip(key);
                missing.add(key);
            }
        }
        // in chunks, so a getAll of any size stays within the loader's bound of waiting keys
        for (int from = 0; from < missing.size(); from += GET_ALL_CHUNK) {
            List<K> chunk = missing.subList(from, Math.min(missing.size(), from + GET_ALL_CHUNK));
            result.putAll(await(routing.loadAll(chunk)));
        }
        return result;
    }

    @Override
    public V get(K key, Function<? super K, ? extends V> valueLoader) {
        Objects.requireNonNull(valueLoader, "loader must not be null");
        V value = get(key);
        if (value != null) {
            return value;
        }
        Object id = idOf(key);
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> running = readThrough.putIfAbsent(id, mine);
        if (running != null) {
            return awaitLoader(running); // another caller in this JVM computes it
        }
        try {
            V computed = valueLoader.apply(key);
            if (computed != null) {
                write(key, computed, readThroughTtl, true);
            }
            mine.complete(computed);
            return computed;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            readThrough.remove(id, mine);
        }
    }

    /**
     * Refuses a key the codec does not encode to bytes that decode back to the same key, such as a String with an
     * unpaired surrogate (UTF-8 cannot encode it and writes '?'): Redis would hold it under another name, and the
     * invalidations Redis sends for that name would never match the local entry, which would stay stale for good.
     * Checked where a key goes to Redis (misses and writes), never on a hit: a key that fails it is never cached.
     */
    private void requireRoundTrip(K key) {
        K back = codec.decodeKey(codec.encodeKey(key));
        if (!idOf(key).equals(idOf(back))) {
            throw new IllegalArgumentException("key cannot be used: the codec encodes it to bytes that decode to a"
                    + " different key (a String with an unpaired surrogate such as \\uD800, which UTF-8 cannot"
                    + " encode?); Redis would store it under another name and its invalidations would never match");
        }
    }

    @SuppressWarnings("unchecked")
    private V unwrap(Entry entry) {
        return entry.value == ABSENT ? null : (V) entry.value;
    }

    // ---- writes (rule 6) --------------------------------------------------------------------------------------

    @Override
    public void set(K key, V value) {
        write(key, value, null, false);
    }

    @Override
    public void set(K key, V value, Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, got " + ttl);
        }
        write(key, value, ttl, false);
    }

    /**
     * Writes through to Redis. {@code onlyIfAbsent} (read-through) writes with {@code NX}: a computed value never
     * overwrites what another writer stored meanwhile, nor a key of another type.
     */
    private void write(K key, V value, Duration ttl, boolean onlyIfAbsent) {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(value, "value must not be null (use delete)");
        requireRoundTrip(key);
        try {
            SetArgs args = onlyIfAbsent ? SetArgs.Builder.nx() : null;
            if (ttl != null) {
                args = (args == null ? new SetArgs() : args).px(ttl.toMillis());
            }
            if (args == null) {
                routing.writer().set(key, value);
            } else {
                routing.writer().set(key, value, args);
            }
        } catch (RuntimeException e) {
            if (e instanceof RedisCommandTimeoutException) {
                routing.writeTimedOut(); // rule 9
            }
            throw unavailable("write", e);
        } finally {
            ownWrite(key);
        }
    }

    @Override
    @SuppressWarnings("unchecked") // DEL's varargs of K
    public void delete(K key) {
        Objects.requireNonNull(key, "key must not be null");
        requireRoundTrip(key);
        try {
            routing.writer().del(key);
        } catch (RuntimeException e) {
            if (e instanceof RedisCommandTimeoutException) {
                routing.writeTimedOut(); // rule 9
            }
            throw unavailable("delete", e);
        } finally {
            ownWrite(key);
        }
    }

    /**
     * Rule 6: own writes invalidate locally at once. After the write returned (or failed, leaving the value
     * unknown): drop the local entry and the key's token, so a read that was in flight across the write cannot
     * store the old value, and detach the key in the loader, so later reads do not join a request sent before
     * the write. The new value is not stored: the write did not make the key tracked (rule 1).
     */
    private void ownWrite(K key) {
        evict(idOf(key));
        routing.detach(key);
    }

    /** Removes the entry and kills the key's token, in one per-key critical section (rule 2). */
    private void evict(Object id) {
        cache.asMap().compute(id, (k, old) -> {
            guard.invalidate(k);
            return null;
        });
    }

    // ---- batches (rules 1 and 2, through the guard) -----------------------------------------------------------

    /** A node shard's batch is about to be sent on {@code connection} to {@code node}: its ticket (rules 1, 2). */
    Object beforeSend(CoherenceGuard.Node node, DataConnection<K, V> connection, List<K> keys) {
        return new Sent(guard.beforeSend(node, connection, keys), System.nanoTime());
    }

    /** A node shard's batch was answered or failed: stores what the ticket allows, each until its server TTL. */
    void onReply(Object context, List<K> keys, List<V> values, long[] ttls, Throwable failure) {
        Sent sent = (Sent) context;
        if (sent == null) {
            return; // beforeSend failed: the batch was never sent
        }
        batches.increment();
        BatchRecorder r = recorder;
        if (r != null) {
            r.batch(keys.size(), System.nanoTime() - sent.nanos, failure != null);
        }
        if (failure != null) {
            loadFailures.add(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                guard.release(sent.ticket, i, idOf(keys.get(i)));
            }
            return;
        }
        loads.add(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            store(sent.ticket, i, keys.get(i), values.get(i), expiresAt(sent.nanos, ttls, i, values.get(i)));
        }
    }

    private record Sent(CoherenceGuard.Ticket ticket, long nanos) {
    }

    /**
     * Rule 8: bounded by the server's TTL. Redis invalidates an expiring key only when it deletes it, which may be
     * long after its TTL ran out; so an entry expires when the key's {@code PTTL}, read right behind the value,
     * has passed since the batch was sent (before Redis read it: never later than Redis's own expiry). Returns
     * {@link #NEVER} for a key without a TTL, or for an absent key (its creation is invalidated); 0, not to be
     * stored, for a value whose key was gone by the time its PTTL was read or has no time left.
     */
    private long expiresAt(long sentNanos, long[] ttls, int index, V value) {
        if (ttls == null) {
            return serverTtl ? 0 : NEVER; // TTLs asked for but not read: never store unbounded
        }
        long pttl = ttls[index];
        if (value == null) {
            // no such key: cached as absent (its creation is invalidated); but a key that exists while MGET read nil
            // holds another type than a string, and is not cached at all
            return pttl == -2 ? NEVER : 0;
        }
        if (pttl == -1) {
            return NEVER;
        }
        if (pttl <= 0) {
            return 0; // gone by the time its PTTL was read, or no time left
        }
        if (pttl > TimeUnit.DAYS.toMillis(36_500)) {
            return NEVER; // a century: nanoTime arithmetic would overflow
        }
        return sentNanos + TimeUnit.MILLISECONDS.toNanos(pttl);
    }

    private void store(CoherenceGuard.Ticket ticket, int index, K key, V value, long expiresAt) {
        Object id = idOf(key);
        if (!ticket.tracked() || (value == null && !negativeCaching) || expiresAt == 0) {
            guard.release(ticket, index, id);
            return;
        }
        int weight = 1;
        if (value != null) {
            int valueBytes = valueBytes(value);
            if (valueBytes > maxValueBytes) {
                oversized.increment();
                guard.release(ticket, index, id);
                return;
            }
            weight = weighed ? valueBytes + codec.encodeKey(key).remaining() : 1;
        }
        Entry entry = new Entry(value == null ? ABSENT : value, weight, expiresAt);
        boolean[] stored = new boolean[1];
        cache.asMap().compute(id, (k, old) -> {
            if (guard.mayStore(ticket, index, k)) {
                stored[0] = true;
                return entry;
            }
            return old;
        });
        // a flush that began while we stored may have missed this entry: the epoch tells, and we take it out
        if (stored[0] && guard.epoch() != ticket.epoch) {
            cache.asMap().remove(id, entry);
        }
    }

    /** The value's encoded size; skips encoding where its length bounds it well enough (UTF-8: 3 bytes a char). */
    private int valueBytes(V value) {
        if (value instanceof byte[]) {
            return ((byte[]) value).length;
        }
        if (!weighed && value instanceof String && ((String) value).length() * 3L <= maxValueBytes) {
            return ((String) value).length();
        }
        return codec.encodeValue(value).remaining();
    }

    // ---- events from the node shards (rules 2 and 3) -----------------------------------------------------------

    /** Redis reported writes to these keys. */
    void invalidated(List<K> keys) {
        invalidations.add(keys.size());
        Routing<K, V> r = routing; // null while the constructor runs: nothing was read yet to detach
        for (K key : keys) {
            evict(idOf(key)); // rule 2: kills the token of a read still in flight
            if (r != null) {
                r.detach(key);
            }
        }
    }

    /** A node's invalidation connection came back after a loss. */
    void invalidationsBack() {
        reconnects.increment();
    }

    /** Rule 3: flush everything. The epoch moves first, so no store in flight survives (see {@link #store}). */
    void flush(FlushReason reason) {
        guard.flush();
        cache.invalidateAll();
        flushes.get(reason).increment();
        log.debug("near cache flushed: {}", reason.tag());
    }

    // ---- stats, errors, lifecycle -----------------------------------------------------------------------------

    @Override
    public NearCacheStats stats() {
        CacheStats s = cache.stats();
        Map<String, Long> byReason = new LinkedHashMap<>();
        flushes.forEach((reason, count) -> byReason.put(reason.tag(), count.sum()));
        long weightedSize = weighed
                ? cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L)
                : cache.estimatedSize();
        long expired = expiredHits.sum();
        return new NearCacheStats(s.hitCount() - expired, s.missCount() + expired, loads.sum(), loadFailures.sum(), batches.sum(),
                invalidations.sum(), byReason, reconnects.sum(), s.evictionCount(), oversized.sum(),
                cache.estimatedSize(), weightedSize, routing.invalidationsReady());
    }

    private <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            throw unavailable("read", e.getCause());
        }
    }

    private <T> T awaitLoader(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        }
    }

    private RuntimeException unavailable(String what, Throwable cause) {
        if (cause instanceof NearCacheException) {
            return (NearCacheException) cause;
        }
        if (cause instanceof IllegalStateException && closed) {
            return new IllegalStateException("the near cache for " + endpoint + " is closed", cause);
        }
        return new NearCacheException("could not " + what + " Redis at " + endpoint + " (command timeout "
                + commandTimeout + "): " + cause.getMessage(), cause);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        routing.close();
        cache.invalidateAll();
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "NearCache[" + endpoint + ", " + cache.estimatedSize() + " entries, invalidations "
                + (routing.invalidationsReady() ? "ready" : "down") + "]";
    }

    /** Where reads and writes go (tests look at a cluster's masters through it). */
    Routing<K, V> routing() {
        return routing;
    }

    /** Byte-array keys are compared by content. */
    static Object idOf(Object key) {
        return key instanceof byte[] ? ByteBuffer.wrap((byte[]) key) : key;
    }
}
