package dev.nearcache.core;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * What happened to a {@link LocalStore}, counted apart from its entries: loads, batches, invalidations, flushes by
 * reason, the canary's checks, stale values served, and the latest look at the server's tracking table; and the
 * assembly of {@link NearCacheStats} from these and Caffeine's own statistics. A new counter is a field here, its
 * accessor, and its component in {@link NearCacheStats}. Thread-safe (adders, a volatile and a copy-on-write list).
 */
final class StoreCounters {
    final LongAdder loads = new LongAdder();
    final LongAdder loadFailures = new LongAdder();
    final LongAdder batches = new LongAdder();
    final LongAdder invalidations = new LongAdder();
    /** Invalidations of keys not held here (evicted locally, or never cached): with a full tracking table, many. */
    final LongAdder invalidationsNotHeld = new LongAdder();
    final LongAdder oversized = new LongAdder();
    final LongAdder reconnects = new LongAdder();
    /** Caffeine counted these reads as hits, but the entry's server TTL had run out or it was unverified. */
    final LongAdder expiredHits = new LongAdder();
    final Map<FlushReason, LongAdder> flushes = new EnumMap<>(FlushReason.class);
    final LongAdder verifyChecks = new LongAdder();
    final LongAdder verifyMismatches = new LongAdder();
    final LongAdder staleServed = new LongAdder();
    /** Those told of every batch (the meters' batch size and latency). */
    final List<BatchRecorder> recorders = new CopyOnWriteArrayList<>();
    private volatile ServerTracking serverTracking = ServerTracking.UNKNOWN;

    /** Hears about each batch's size and latency ({@link NearCacheMetrics} adds one per registry bound). */
    interface BatchRecorder {
        void batch(int keys, long nanos, boolean failed);
    }

    StoreCounters() {
        for (FlushReason reason : FlushReason.values()) {
            flushes.put(reason, new LongAdder());
        }
    }

    /** The latest look at the server's tracking table ({@link TrackingTableMonitor}). */
    void serverTracking(ServerTracking tracking) {
        this.serverTracking = tracking;
    }

    ServerTracking serverTracking() {
        return serverTracking;
    }

    long loads() {
        return loads.sum();
    }

    long loadFailures() {
        return loadFailures.sum();
    }

    long invalidations() {
        return invalidations.sum();
    }

    long invalidationsNotHeld() {
        return invalidationsNotHeld.sum();
    }

    long reconnects() {
        return reconnects.sum();
    }

    long staleServed() {
        return staleServed.sum();
    }

    long verifyChecks() {
        return verifyChecks.sum();
    }

    long verifyMismatches() {
        return verifyMismatches.sum();
    }

    long flushes(FlushReason reason) {
        return flushes.get(reason).sum();
    }

    /** The snapshot, with Caffeine's statistics and sizes (reads it counted as hits of expired entries are misses). */
    NearCacheStats stats(CacheStats caffeine, long size, long weightedSize, boolean invalidationsReady,
                         TrackingMode trackingMode) {
        Map<String, Long> byReason = new LinkedHashMap<>();
        flushes.forEach((reason, count) -> byReason.put(reason.tag(), count.sum()));
        long expired = expiredHits.sum();
        ServerTracking tracking = serverTracking;
        return new NearCacheStats(caffeine.hitCount() - expired, caffeine.missCount() + expired, loads.sum(),
                loadFailures.sum(), batches.sum(), invalidations.sum(), byReason, reconnects.sum(),
                caffeine.evictionCount(), oversized.sum(), size, weightedSize, invalidationsReady, verifyChecks.sum(),
                verifyMismatches.sum(), staleServed.sum(), invalidationsNotHeld.sum(), tracking.keys(),
                tracking.fill(), trackingMode);
    }
}
