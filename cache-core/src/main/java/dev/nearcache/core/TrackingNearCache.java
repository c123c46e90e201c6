package dev.nearcache.core;

import dev.nearcache.internal.RedisErrors;
import dev.nearcache.internal.Connections;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.SetArgs;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The near cache facade: reads from the {@link LocalStore} (Caffeine), misses and writes through a {@link Routing}
 * (one node, or a cluster's masters) to the node shards ({@link NodeShard}: a batching loader for reads and an
 * invalidation listener per Redis node), which drive the store. Calls go downward only: nothing calls back into
 * this class. The coherence rules are numbered in docs/DESIGN.md, whose table names the method that keeps each
 * and the tests that fail without it; here are rule 6 (own writes), 9 for writes and callers' waits, 12's serving of
 * stale values and 13 (keys that round-trip).
 */
final class TrackingNearCache<K, V> implements NearCache<K, V> {
    private static final Logger log = LoggerFactory.getLogger(TrackingNearCache.class);
    /** The most keys of one getAll waiting in the loader at a time (its bound is 100,000 by default). */
    static final int GET_ALL_CHUNK = 10_000;

    private final RedisCodec<K, V> codec;
    private final String endpoint;
    private final Duration commandTimeout;
    private final Duration readThroughTtl;
    private final LocalStore<K, V> store;
    private final ClientResources resources;
    /** Whether {@link #resources} are the cache's own, to shut down on close (not the application's). */
    private final boolean ownsResources;
    private final Routing<K, V> routing;
    private final boolean staleIfError;
    /** The cache's one background thread: the coherence canary and the tracking-table monitor. */
    private final java.util.concurrent.ScheduledExecutorService background;
    private final ConcurrentHashMap<Object, CompletableFuture<V>> readThrough = new ConcurrentHashMap<>();

    private volatile boolean closed;

    TrackingNearCache(NearCacheSettings<K, V> settings) {
        this.codec = settings.codec();
        this.endpoint = settings.endpoint();
        this.commandTimeout = settings.commandTimeout();
        this.readThroughTtl = settings.readThroughTtl();
        this.staleIfError = settings.staleIfError() != null;
        this.store = new LocalStore<>(settings);
        this.ownsResources = settings.clientResources() == null;
        this.resources = ownsResources ? DefaultClientResources.create() : settings.clientResources();
        try {
            this.routing = settings.cluster() ? new ClusterRouting<>(store, settings, resources)
                    : new StandaloneRouting<>(store, settings, resources);
        } catch (NearCacheConfigurationException e) {
            shutdownResources();
            throw e; // a missing permission: said as it is
        } catch (RuntimeException e) {
            shutdownResources();
            String why = ConnectFailures.describe(e, endpoint, settings.redisUris().stream().anyMatch(RedisURI::isSsl));
            if (ConnectFailures.closedDuringHandshake(why)) {
                // Lettuce closed the channel before it reported the server's reply: ask the server what it said
                String said = ConnectFailures.askServer(settings.redisUris().get(0), settings.commandTimeout());
                if (said != null) {
                    why = (RedisErrors.credentials(said) ? "authentication failed: "
                            : "Redis refused the connection: ") + said;
                }
            }
            throw new NearCacheException("could not connect the near cache to Redis at " + endpoint + ": " + why, e);
        }
        this.background = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                Connections.daemonThreads("nearcache-background"));
        if (settings.verifyRate() > 0) {
            new CoherenceCanary<>(store, routing, settings.verifyRate(), settings.verifyFlushThreshold(),
                    settings.commandTimeout(), background);
        }
        TrackingTableMonitor monitor = new TrackingTableMonitor(store, routing, settings.commandTimeout().toMillis());
        background.scheduleWithFixedDelay(monitor::look, 0, TrackingTableMonitor.PERIOD_SECONDS, TimeUnit.SECONDS);
        log.info("near cache connected to {}: {} data connections per node, tracking {}, invalidations {}",
                endpoint, settings.connections(), routing.trackingMode(),
                routing.invalidationsReady() ? "ready" : "pending");
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    @Override
    @SuppressWarnings("unchecked")
    public V get(K key) {
        Object id = idOf(Objects.requireNonNull(key, "key must not be null"));
        Object local = store.get(id);
        if (local != LocalStore.MISS) {
            return (V) local;
        }
        requireRoundTrip(key);
        V value;
        try {
            value = await(routing.load(key));
        } catch (NearCacheException e) {
            return staleOrThrow(id, e);
        }
        if (staleIfError) {
            store.answered(id);
        }
        return value;
    }

    /**
     * Stale-if-error: a read Redis could not answer gets the value known coherent within the window, if there is
     * one; otherwise, or when Redis answered with an error of its own (the server is up), the failure stands.
     */
    @SuppressWarnings("unchecked")
    private V staleOrThrow(Object id, NearCacheException failure) {
        if (!staleIfError || !redisUnavailable(failure)) {
            throw failure;
        }
        Object stale = store.stale(id);
        if (stale == LocalStore.MISS) {
            throw failure;
        }
        return (V) stale;
    }

    /**
     * Whether the read failed because Redis could not answer: a timeout, a connection refused, lost or not yet back,
     * or a server that says it cannot serve now (CLUSTERDOWN, MASTERDOWN, LOADING, BUSY, TRYAGAIN). Anything else,
     * such as NOPERM or a value the codec cannot decode, is an answer, and fails the read.
     */
    static boolean redisUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof io.lettuce.core.RedisCommandExecutionException) {
                return RedisErrors.unavailable(t.getMessage());
            }
            if (t instanceof RedisCommandTimeoutException || t instanceof io.lettuce.core.RedisConnectionException
                    || t instanceof java.io.IOException) {
                return true;
            }
            String m = String.valueOf(t.getMessage());
            if (t instanceof io.lettuce.core.RedisException && (m.contains("not connected")
                    || m.contains("Connection closed") || m.contains("Connection reset"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    @SuppressWarnings("unchecked")
    public CompletableFuture<V> getAsync(K key) {
        Object local = store.get(idOf(Objects.requireNonNull(key, "key must not be null")));
        if (local != LocalStore.MISS) {
            return CompletableFuture.completedFuture((V) local);
        }
        requireRoundTrip(key);
        // completed by hand, not by handle(): a dependent stage would wrap the failure in a CompletionException, so
        // callbacks would see another exception than get() throws (and a message prefixed with the wrapper's name)
        CompletableFuture<V> result = new CompletableFuture<>();
        routing.load(key).whenComplete((value, failure) -> {
            try {
                if (failure != null) {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    RuntimeException e = unavailable("read", cause);
                    if (!(e instanceof NearCacheException n)) {
                        result.completeExceptionally(e); // closed
                        return;
                    }
                    result.complete(staleOrThrow(idOf(key), n));
                    return;
                }
                if (staleIfError) {
                    store.answered(idOf(key));
                }
                result.complete(value);
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<K, V> getAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys must not be null");
        Map<K, V> result = new LinkedHashMap<>(keys.size() * 2);
        List<K> missing = new ArrayList<>();
        for (K key : keys) {
            Object local = store.get(idOf(Objects.requireNonNull(key, "keys must not contain null")));
            if (local != LocalStore.MISS) {
                result.put(key, (V) local);
            } else {
                requireRoundTrip(key);
                missing.add(key);
            }
        }
        // in chunks, so a getAll of any size stays within the loader's bound of waiting keys
        for (int from = 0; from < missing.size(); from += GET_ALL_CHUNK) {
            List<K> chunk = missing.subList(from, Math.min(missing.size(), from + GET_ALL_CHUNK));
            try {
                result.putAll(await(routing.loadAll(chunk)));
                if (staleIfError) {
                    chunk.forEach(key -> store.answered(idOf(key)));
                }
            } catch (NearCacheException e) {
                if (!staleIfError) {
                    throw e;
                }
                for (K key : chunk) { // each key on its own: its own answer, or its own fallback or failure
                    result.put(key, get(key));
                }
            }
        }
        return result;
    }

    @Override
    public V get(K key, Function<? super K, ? extends V> valueLoader) {
        return readThrough(key, valueLoader, readThroughTtl);
    }

    @Override
    public V get(K key, Function<? super K, ? extends V> valueLoader, Duration ttl) {
        return readThrough(key, valueLoader, validTtl(ttl));
    }

    private V readThrough(K key, Function<? super K, ? extends V> valueLoader, Duration ttl) {
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
                write(key, computed, ttl, true);
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
        if (codec == StringCodec.UTF8 && !hasSurrogate((String) key)) {
            return; // UTF-8 encodes every char but a surrogate to bytes that decode back to it
        }
        K back = codec.decodeKey(codec.encodeKey(key));
        if (!idOf(key).equals(idOf(back))) {
            throw new IllegalArgumentException("key cannot be used: the codec encodes it to bytes that decode to a"
                    + " different key (a String with an unpaired surrogate such as \\uD800, which UTF-8 cannot"
                    + " encode?); Redis would store it under another name and its invalidations would never match");
        }
    }

    private static boolean hasSurrogate(String key) {
        for (int i = 0; i < key.length(); i++) {
            if (Character.isSurrogate(key.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    // ---- writes (rule 6) --------------------------------------------------------------------------------------

    @Override
    public void set(K key, V value) {
        write(key, value, null, false);
    }

    @Override
    public void set(K key, V value, Duration ttl) {
        write(key, value, validTtl(ttl), false);
    }

    static Duration validTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("ttl must be at least 1 ms, got " + ttl);
        }
        return ttl;
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
                routing.writeTimedOut(key); // rule 9
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
                routing.writeTimedOut(key); // rule 9
            }
            throw unavailable("delete", e);
        } finally {
            ownWrite(key);
        }
    }

    @Override
    @SuppressWarnings("unchecked") // DEL's varargs of K
    public long deleteMatching(String pattern) {
        Objects.requireNonNull(pattern, "pattern must not be null");
        if (pattern.isEmpty()) {
            throw new IllegalArgumentException("pattern must not be empty (\"*\" matches every key)");
        }
        long deleted = 0;
        try {
            ScanArgs args = ScanArgs.Builder.matches(pattern).limit(1000);
            KeyScanCursor<K> cursor = routing.writer().scan(args);
            while (true) {
                List<K> keys = cursor.getKeys();
                if (!keys.isEmpty()) {
                    try {
                        deleted += routing.writer().del((K[]) keys.toArray());
                    } finally {
                        keys.forEach(this::ownWrite);
                    }
                }
                if (cursor.isFinished()) {
                    return deleted;
                }
                cursor = routing.writer().scan(cursor, args);
            }
        } catch (RuntimeException e) {
            if (e instanceof RedisCommandTimeoutException) {
                routing.writeTimedOut(null); // rule 9: a SCAN over every master
            }
            throw unavailable("delete of the keys matching " + pattern, e);
        }
    }

    /**
     * Rule 6: own writes invalidate locally at once. After the write returned (or failed, leaving the value
     * unknown): drop the local entry and the key's token, so a read that was in flight across the write cannot
     * store the old value, and detach the key in the loader, so later reads do not join a request sent before
     * the write. The new value is not stored: the write did not make the key tracked (rule 1).
     */
    private void ownWrite(K key) {
        store.evict(idOf(key));
        routing.detach(key);
    }

    // ---- stats, errors, lifecycle -----------------------------------------------------------------------------

    @Override
    public NearCacheStats stats() {
        return store.stats(routing.invalidationsReady(), routing.trackingMode());
    }

    @Override
    public NearCacheMetrics metrics(String name) {
        io.micrometer.core.instrument.Tags tags = NearCacheMetrics.tags(name);
        return new NearCacheMetrics((registry, histograms) -> NearCacheMetrics.bind(store, routing, tags, registry,
                histograms));
    }

    /**
     * A caller waits no longer than the command timeout (rule 9 as callers see it): a key may first wait for a free
     * connection and then the command timeout of its batch, up to twice that when Redis stalls behind a flood of
     * keys. The read itself goes on and is stored if its reply comes (rules 1 and 2 decide).
     */
    private <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(commandTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw unavailable("read", e.getCause());
        } catch (TimeoutException e) {
            throw unavailable("read", new RedisCommandTimeoutException("no answer within the command timeout"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NearCacheException("interrupted while reading from Redis at " + endpoint, e);
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
        background.shutdownNow();
        routing.close();
        store.clear();
        shutdownResources();
    }

    private void shutdownResources() {
        if (ownsResources) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Override
    public String toString() {
        return "NearCache[" + endpoint + ", " + store.size() + " entries, invalidations "
                + (routing.invalidationsReady() ? "ready" : "down") + "]";
    }

    /** Where reads and writes go (tests look at a cluster's masters through it). */
    Routing<K, V> routing() {
        return routing;
    }

    /** Byte-array keys are compared by content. */
    static Object idOf(Object key) {
        return LocalStore.idOf(key);
    }

    /** The local copy, whose counters {@link NearCacheMetrics} reads. */
    LocalStore<K, V> store() {
        return store;
    }

    /** Whether every node's invalidations arrive and its data connections are tracked. */
    boolean invalidationsReady() {
        return routing.invalidationsReady();
    }
}
