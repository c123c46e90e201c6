package dev.nearcache.core;

import dev.nearcache.internal.Connections;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cache that started while Redis could not be reached ({@link NearCacheBuilder#startWithoutRedis(boolean)}): it
 * connects in the background, trying again after 1 s, then twice as long each time up to 30 s, and from then on is
 * the connected cache. Until then it caches nothing, so it can serve nothing stale: a read-through calls its loader
 * (each caller its own, nothing written to Redis), every other read and every write throws
 * {@link NearCacheNotConnectedException} (a write cannot be skipped: Redis would keep the value it replaces).
 * Thread-safe.
 */
final class ConnectingNearCache<K, V> implements NearCache<K, V> {
    private static final Logger log = LoggerFactory.getLogger(ConnectingNearCache.class);
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration LONGEST_RETRY = Duration.ofSeconds(30);
    private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Supplier<TrackingNearCache<K, V>> connect;
    private final String endpoint;
    private final TrackingMode trackingMode;
    private final ScheduledExecutorService retries;
    private final List<Consumer<TrackingNearCache<K, V>>> whenConnected = new ArrayList<>(); // guarded by this
    private volatile TrackingNearCache<K, V> cache;
    private volatile NearCacheException lastFailure;
    private boolean closed; // guarded by this
    private long nextRetryNanos = FIRST_RETRY.toNanos(); // the retry thread's
    private long lastWarnNanos; // the retry thread's

    ConnectingNearCache(Supplier<TrackingNearCache<K, V>> connect, String endpoint, TrackingMode trackingMode,
                        NearCacheException firstFailure) {
        this.connect = connect;
        this.endpoint = endpoint;
        this.trackingMode = trackingMode;
        this.lastFailure = firstFailure;
        this.lastWarnNanos = System.nanoTime();
        this.retries = Executors.newSingleThreadScheduledExecutor(Connections.daemonThreads("nearcache-connect"));
        log.warn("starting without Redis ({}); read-throughs call their loaders and nothing is cached until it"
                + " connects, tried again in the background", firstFailure.getMessage());
        retries.schedule(this::attempt, nextRetryNanos, TimeUnit.NANOSECONDS);
    }

    private void attempt() {
        TrackingNearCache<K, V> connected;
        try {
            connected = connect.get();
        } catch (RuntimeException e) {
            lastFailure = e instanceof NearCacheException n ? n
                    : new NearCacheException("could not connect the near cache to Redis at " + endpoint, e);
            long now = System.nanoTime();
            if (now - lastWarnNanos >= WARN_EVERY_NANOS) {
                lastWarnNanos = now;
                log.warn("still not connected ({}); trying again every {} s at most", e.getMessage(),
                        LONGEST_RETRY.toSeconds());
            } else {
                log.debug("not connected yet: {}", e.getMessage());
            }
            nextRetryNanos = Math.min(nextRetryNanos * 2, LONGEST_RETRY.toNanos());
            try {
                retries.schedule(this::attempt, nextRetryNanos, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // closed meanwhile
            }
            return;
        }
        List<Consumer<TrackingNearCache<K, V>>> actions;
        synchronized (this) {
            if (closed) {
                connected.close();
                return;
            }
            cache = connected;
            actions = List.copyOf(whenConnected);
            whenConnected.clear();
        }
        actions.forEach(action -> action.accept(connected));
        retries.shutdown();
    }

    /** Runs {@code action} with the connected cache once there is one (at once if there is). */
    void whenConnected(Consumer<TrackingNearCache<K, V>> action) {
        TrackingNearCache<K, V> connected;
        synchronized (this) {
            connected = cache;
            if (connected == null) {
                whenConnected.add(action);
                return;
            }
        }
        action.accept(connected);
    }

    /** The connected cache, or the failure that says why there is none yet. */
    private TrackingNearCache<K, V> connected() {
        TrackingNearCache<K, V> connected = cache;
        if (connected == null) {
            requireOpen();
            throw new NearCacheNotConnectedException("the near cache has not connected to Redis at " + endpoint
                    + " yet (it started without it and keeps trying)", lastFailure);
        }
        return connected;
    }

    @Override
    public V get(K key) {
        Objects.requireNonNull(key, "key must not be null");
        return connected().get(key);
    }

    @Override
    public CompletableFuture<V> getAsync(K key) {
        Objects.requireNonNull(key, "key must not be null");
        try {
            return connected().getAsync(key);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Map<K, V> getAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys must not be null");
        return connected().getAll(keys);
    }

    @Override
    public V get(K key, Function<? super K, ? extends V> loader) {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(loader, "loader must not be null");
        TrackingNearCache<K, V> connected = cache;
        return connected != null ? connected.get(key, loader) : loaded(key, loader);
    }

    @Override
    public V get(K key, Function<? super K, ? extends V> loader, Duration ttl) {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(loader, "loader must not be null");
        TrackingNearCache<K, V> connected = cache;
        if (connected != null) {
            return connected.get(key, loader, ttl);
        }
        TrackingNearCache.validTtl(ttl);
        return loaded(key, loader);
    }

    private V loaded(K key, Function<? super K, ? extends V> loader) {
        requireOpen();
        return loader.apply(key);
    }

    /** Throws if closed. */
    private synchronized void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the near cache is closed");
        }
    }

    @Override
    public void set(K key, V value) {
        Objects.requireNonNull(key, "key must not be null");
        connected().set(key, value);
    }

    @Override
    public void set(K key, V value, Duration ttl) {
        Objects.requireNonNull(key, "key must not be null");
        connected().set(key, value, ttl);
    }

    @Override
    public void delete(K key) {
        Objects.requireNonNull(key, "key must not be null");
        connected().delete(key);
    }

    @Override
    public long deleteMatching(String pattern) {
        Objects.requireNonNull(pattern, "pattern must not be null");
        return connected().deleteMatching(pattern);
    }

    /** The connected cache's, or all zero (and the invalidation connection not healthy) before it connects. */
    @Override
    public NearCacheStats stats() {
        TrackingNearCache<K, V> connected = cache;
        if (connected != null) {
            return connected.stats();
        }
        Map<String, Long> flushes = new java.util.LinkedHashMap<>();
        for (FlushReason reason : FlushReason.values()) {
            flushes.put(reason.tag(), 0L);
        }
        ServerTracking unknown = ServerTracking.UNKNOWN;
        return new NearCacheStats(0, 0, 0, 0, 0, 0, flushes, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, unknown.keys(),
                unknown.fill(), trackingMode);
    }

    @Override
    public NearCacheMetrics metrics(String name) {
        NearCacheMetrics.tags(name); // checked now, not when it connects
        return new NearCacheMetrics((registry, histograms) -> whenConnected(connected ->
                connected.metrics(name).percentileHistograms(histograms).bindTo(registry)));
    }

    @Override
    public void close() {
        TrackingNearCache<K, V> connected;
        synchronized (this) {
            closed = true;
            connected = cache;
        }
        retries.shutdownNow();
        if (connected != null) {
            connected.close();
        }
    }
}
