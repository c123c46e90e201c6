package dev.nearcache.core;

import io.lettuce.core.KeyValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coherence canary: evidence in production that the cache serves what Redis holds. Once a second it takes the
 * next {@code verifyRate} entries of a sweep through the local cache, reads their keys from Redis (one MGET on the
 * write connection, untracked, off the callers' path) and compares, as encoded bytes.
 *
 * <p><b>What counts as a mismatch.</b> A read that differs may only mean that a write is in flight: Redis sent its
 * invalidation, which has not arrived yet. So a difference is decided after an invalidation barrier
 * ({@link Routing#invalidationBarrier()}: a PING on every invalidation connection, answered after every invalidation
 * Redis wrote there before it; sent after the check's reply, so after every write the check could have seen). It is
 * a mismatch only if, by then, the key's watch ({@link LocalStore#sample}) is intact (no invalidation and no own write
 * of the key arrived), its entry is the one sampled, and no flush happened since the sample. Such a value was stale
 * with nothing in flight to fix it: a missed invalidation. It is evicted and counted
 * ({@code nearcache.verify.mismatches}); once {@code verifyFlushThreshold} mismatches have been found since the last
 * such flush, everything is flushed ({@code flushes{reason=verify-mismatch}}). A check that cannot be decided (a
 * failed read, a barrier that failed because a connection was lost, which flushes anyway) is not counted.
 *
 * <p><b>What it cannot count.</b> A key that expired in Redis without being deleted yet (with {@code serverTtl(false)})
 * is deleted by the check's own read, and Redis reports that deletion as an invalidation, indistinguishable from a
 * concurrent delete: the canary's read repairs such an entry (it is evicted) but does not count it.
 *
 * <p><b>Cost.</b> One MGET of {@code verifyRate} keys a second on the write connection, plus one PING per master when
 * a value differed; no tracking state in Redis. Runs on the cache's background thread; safe with everything else.
 */
final class CoherenceCanary<K, V> {
    private static final Logger log = LoggerFactory.getLogger(CoherenceCanary.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final LocalStore<K, V> store;
    private final Routing<K, V> routing;
    private final int rate;
    private final int flushThreshold;
    private final Duration barrierTimeout;
    private int mismatchesSinceFlush;
    private long foundSinceLog;
    private long lastLogNanos = System.nanoTime() - LOG_INTERVAL_NANOS;

    /** Schedules a round a second on {@code background}, the cache's background thread. */
    CoherenceCanary(LocalStore<K, V> store, Routing<K, V> routing, int rate, int flushThreshold,
                    Duration commandTimeout, ScheduledExecutorService background) {
        this.store = store;
        this.routing = routing;
        this.rate = rate;
        this.flushThreshold = flushThreshold;
        this.barrierTimeout = commandTimeout.multipliedBy(2);
        background.scheduleWithFixedDelay(this::round, 1, 1, TimeUnit.SECONDS);
    }

    /** One round: sample, read, compare, and decide the differences after the barrier. */
    void round() {
        try {
            check();
        } catch (RuntimeException e) {
            log.debug("coherence canary round failed: {}", e.toString());
        }
    }

    @SuppressWarnings("unchecked") // MGET's varargs of K
    private void check() {
        if (!routing.invalidationsReady()) {
            return; // nothing is cached while invalidations cannot be received
        }
        long epoch = store.epoch(); // before the watches: a flush from here on voids the round
        List<LocalStore.Sample> samples = store.sample(rate);
        if (samples.isEmpty()) {
            return;
        }
        List<Object> keys = new ArrayList<>(samples.size());
        for (LocalStore.Sample sample : samples) {
            keys.add(sample.key());
        }
        List<KeyValue<K, V>> values;
        try {
            values = routing.writer().mget((K[]) keys.toArray());
        } catch (RuntimeException e) {
            samples.forEach(s -> store.checked(s, false));
            log.debug("coherence canary could not read {} keys: {}", samples.size(), e.toString());
            return;
        }
        List<LocalStore.Sample> differing = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            KeyValue<K, V> value = values.get(i);
            LocalStore.Sample sample = samples.get(i);
            if (store.holds(sample, value.hasValue() ? value.getValue() : null)) {
                store.checked(sample, true);
            } else {
                differing.add(sample);
            }
        }
        if (differing.isEmpty()) {
            return;
        }
        boolean barrier;
        try {
            barrier = routing.invalidationBarrier().get(barrierTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            barrier = false;
        }
        int found = 0;
        for (LocalStore.Sample sample : differing) {
            if (!barrier) {
                store.checked(sample, false);
            } else if (store.mismatch(sample, epoch)) {
                found++;
            }
        }
        if (found > 0) {
            mismatched(found);
        }
    }

    private void mismatched(int found) {
        mismatchesSinceFlush += found;
        foundSinceLog += found;
        long now = System.nanoTime();
        if (now - lastLogNanos >= LOG_INTERVAL_NANOS) {
            log.warn("coherence canary: {} cached value(s) differed from Redis with no write in flight to explain"
                    + " it (a missed invalidation); evicted. {} checks so far on {}", foundSinceLog,
                    store.counters().verifyChecks(), routing.endpoint());
            foundSinceLog = 0;
            lastLogNanos = now;
        }
        if (mismatchesSinceFlush >= flushThreshold) {
            log.warn("coherence canary: {} mismatches since the last such flush reached the threshold of {};"
                    + " flushing the near cache", mismatchesSinceFlush, flushThreshold);
            store.flush(FlushReason.VERIFY_MISMATCH);
            mismatchesSinceFlush = 0;
        }
    }
}
