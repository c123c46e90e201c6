package dev.nearcache.core;

import java.util.Map;

/**
 * A snapshot of a cache's counters (cumulative since it was built) and gauges. Immutable, so thread-safe.
 *
 * <p><b>Compatibility.</b> Read it through its accessors ({@code stats.hits()}), which stay. The cache makes it;
 * applications should neither construct it nor take it apart with a record pattern: a new counter is added as a
 * component (after the existing ones), which changes the canonical constructor and the record's shape, never an
 * accessor that exists.
 *
 * @param hits                      reads served from local memory
 * @param misses                    reads that went to Redis
 * @param loads                     keys read from Redis by the batching loader
 * @param loadFailures              keys whose read from Redis failed
 * @param batches                   MGETs sent
 * @param invalidations             keys Redis reported as changed
 * @param flushes                   times the whole local cache was emptied, by reason
 * @param reconnects                times the invalidation connection came back after a loss
 * @param evictions                 entries removed for size, weight or local TTL
 * @param notCachedOversized        values read but not kept because they exceeded {@code maxValueBytes}
 * @param size                      entries now (approximate)
 * @param weightedSize              total weight now, in bytes when bounded by weight, else entries
 * @param invalidationConnectionHealthy whether the invalidation connection is up, so values may be cached
 * @param verifyChecks              cached values the coherence canary compared with Redis
 * @param verifyMismatches          of those, values that differed from Redis with no write in flight to explain it
 *                                  (each evicted when found)
 * @param staleServed               reads Redis could not answer that were served a value known coherent within the
 *                                  stale-if-error window
 * @param invalidationsNotHeld      invalidations of keys not held locally (evicted here, or evicted from Redis's full
 *                                  tracking table before ever being read again)
 * @param serverTrackingKeys        keys in Redis's tracking table (all clients; summed over a cluster's masters), or
 *                                  -1 if unknown (an ACL user without {@code +info})
 * @param serverTrackingFill        that table's share of {@code tracking-table-max-keys} (the fullest master's), or -1
 *                                  if unknown or unbounded; above 0.8 it is logged as a warning
 * @param trackingMode              where invalidations arrive: {@link TrackingMode#REDIRECT} or
 *                                  {@link TrackingMode#SAME_CONNECTION} (what {@code AUTO} chose; over a cluster,
 *                                  the first master's, as every master is asked the same way)
 */
public record NearCacheStats(long hits, long misses, long loads, long loadFailures, long batches,
                             long invalidations, Map<String, Long> flushes, long reconnects, long evictions,
                             long notCachedOversized, long size, long weightedSize,
                             boolean invalidationConnectionHealthy, long verifyChecks, long verifyMismatches,
                             long staleServed, long invalidationsNotHeld, long serverTrackingKeys,
                             double serverTrackingFill, TrackingMode trackingMode) {

    /** Hits divided by reads, or 0 before the first read. */
    public double hitRatio() {
        long reads = hits + misses;
        return reads == 0 ? 0 : (double) hits / reads;
    }

    /** All flushes, whatever the reason. */
    public long flushCount() {
        return flushes.values().stream().mapToLong(Long::longValue).sum();
    }
}
