package dev.nearcache.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.nearcache.loader.spi.DataConnection;
import io.lettuce.core.codec.RedisCodec;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local copy: entries, cached absences and their weights, and what may enter, leave or be flushed, with the
 * counters of all of it. The node shards drive it (a batch sent, a reply, an invalidation, a flush), the facade
 * reads it and evicts from it on its own writes; it calls nobody back. Rules 1 and 2 are decided by its
 * {@link CoherenceGuard}; rules 3, 6, 7 and 8 are kept here, each where named.
 *
 * <p>Thread-safe: every change to a key runs in Caffeine's per-key compute, where the guard's token check runs
 * too, so a reply's store and an invalidation of the same key are serialized.
 */
final class LocalStore<K, V> {
    private static final Logger log = LoggerFactory.getLogger(LocalStore.class);
    /** What {@link #get} returns for a key not held locally. */
    static final Object MISS = new Object();
    /** The cached form of "Redis has no such key" (negative caching). */
    private static final Object ABSENT = new Object();
    private static final long NEVER = Long.MAX_VALUE;
    /**
     * Where Caffeine runs its maintenance (eviction, draining its buffers). Stores run on Netty's I/O threads, and
     * handing their maintenance to the common pool cost a thread wake-up every few stores, 7% of the client's CPU on
     * a miss-heavy load on two cores: there it runs inline. Callers' threads (hits fill Caffeine's read buffer)
     * hand it to the common pool, so a hit never pays for draining it.
     */
    private static final Executor MAINTENANCE = task -> {
        if (Thread.currentThread() instanceof FastThreadLocalThread) {
            task.run();
        } else {
            ForkJoinPool.commonPool().execute(task);
        }
    };

    /** A cached value; a fresh object per store, so a conditional remove takes out exactly this store. */
    private static final class Entry {
        final Object value;
        final int weight;
        /** {@link System#nanoTime()} past which Redis may have expired the key (rule 8), or {@link #NEVER}. */
        final long expiresAt;
        /** The epoch its read was sent in: older than the current one, it is unverified (stale-if-error only). */
        final long epoch;

        Entry(Object value, int weight, long expiresAt, long epoch) {
            this.value = value;
            this.weight = weight;
            this.expiresAt = expiresAt;
            this.epoch = epoch;
        }
    }

    /** A batch's ticket and when it was sent: the context the loader carries from its send to its reply. */
    record Sent(CoherenceGuard.Ticket ticket, long nanos) {
    }

    private final RedisCodec<K, V> codec;
    private final boolean weighed;
    private final int maxValueBytes;
    private final boolean negativeCaching;
    private final boolean serverTtl;
    /** Opt-in caching: the keys whose reads are tracked and may be kept (null: every key). */
    private final KeyPrefixes<K> cachedKeys;
    /** Stale-if-error's window in nanoseconds, or 0 when it is off (then a flush drops every entry). */
    private final long staleWindowNanos;
    /** With stale-if-error: when each recent epoch ended (its entries were known coherent until then). */
    private final java.util.concurrent.ConcurrentSkipListMap<Long, Long> epochEnds =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    private final Cache<Object, Entry> cache;
    private final CoherenceGuard guard = new CoherenceGuard(LocalStore::idOf);
    private final StoreCounters counters = new StoreCounters();

    /**
     * The coherence canary's watches: a key's token from just before its check read until the check is decided.
     * An invalidation, an own write or a flush takes it out, which tells the canary the key was written meanwhile.
     */
    private final Map<Object, Object> watched = new java.util.concurrent.ConcurrentHashMap<>();
    /** The canary's sweep through the entries (its thread only). */
    private java.util.Iterator<Map.Entry<Object, Entry>> sweep;

    LocalStore(NearCacheSettings<K, V> settings) {
        this.codec = settings.codec();
        this.maxValueBytes = settings.maxValueBytes();
        this.negativeCaching = settings.negativeCaching();
        this.serverTtl = settings.serverTtl();
        this.cachedKeys = settings.cachedKeys();
        this.staleWindowNanos = settings.staleIfError() == null ? 0 : settings.staleIfError().toNanos();
        // Rule 7: bounded by count or by bytes, with an optional local TTL as the backstop
        Caffeine<Object, Object> caffeine = Caffeine.newBuilder().recordStats().executor(MAINTENANCE);
        this.weighed = settings.weighed();
        if (weighed) {
            caffeine.maximumWeight(settings.maximumWeight()).weigher((Object key, Object e) -> ((Entry) e).weight);
        } else {
            caffeine.maximumSize(settings.maximumSize());
        }
        if (settings.localTtl() != null) {
            caffeine.expireAfterWrite(settings.localTtl());
        }
        this.cache = caffeine.build();
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    /**
     * The value held for {@code id} (null for a cached absence), or {@link #MISS}. Rule 8 on the read side: an entry
     * whose key's server TTL has run out is removed and the read counts as a miss; entries of keys without a TTL
     * are returned without reading the clock. (Not Caffeine's variable expiry: it reads the clock on every hit,
     * which measured 48 ns a hit against 6 ns without.)
     */
    Object get(Object id) {
        Entry entry = cache.getIfPresent(id);
        if (entry == null) {
            return MISS;
        }
        if (entry.expiresAt != NEVER && System.nanoTime() - entry.expiresAt >= 0) {
            cache.asMap().remove(id, entry);
            counters.expiredHits.increment();
            return MISS;
        }
        if (staleWindowNanos != 0 && entry.epoch != guard.epoch()) {
            counters.expiredHits.increment(); // Caffeine counted a hit; it is a miss
            return MISS; // unverified since a flush: never served as fresh, only by stale() below
        }
        return entry.value == ABSENT ? null : entry.value;
    }

    /**
     * Stale-if-error: Redis answered a read of {@code id}, so an unverified entry of it (an older epoch) is older than
     * what the caller just got and must not be a fallback later; an entry of the current epoch stays.
     */
    void answered(Object id) {
        if (staleWindowNanos != 0) {
            cache.asMap().computeIfPresent(id, (k, e) -> e.epoch != guard.epoch() ? null : e);
        }
    }

    /**
     * Stale-if-error: the value held for {@code id} if it was known coherent no longer than the window ago (an entry
     * of the current epoch, or of one that ended within the window) and its key's server TTL has not run out; else
     * {@link #MISS}. Counts what it serves.
     */
    Object stale(Object id) {
        Entry entry = cache.policy().getIfPresentQuietly(id); // the read was counted as a miss already
        if (entry == null || staleWindowNanos == 0) {
            return MISS;
        }
        long now = System.nanoTime();
        if (entry.expiresAt != NEVER && now - entry.expiresAt >= 0) {
            return MISS; // Redis has deleted it by now: known absent, not stale
        }
        if (entry.epoch != guard.epoch()) {
            Long ended = epochEnds.get(entry.epoch);
            if (ended == null || now - ended > staleWindowNanos) {
                return MISS;
            }
        }
        counters.staleServed.increment();
        return entry.value == ABSENT ? null : entry.value;
    }

    // ---- batches (rules 1 and 2, through the guard) -----------------------------------------------------------

    /** A batch is about to be sent on {@code connection} to {@code node}: its ticket (rules 1, 2). */
    Sent beforeSend(CoherenceGuard.Node node, DataConnection<?, ?> connection, List<K> keys) {
        return new Sent(guard.beforeSend(node, connection, keys), System.nanoTime());
    }

    /** A batch was answered or failed: stores what its ticket allows, each value until its server TTL. */
    void onReply(Sent sent, List<K> keys, List<V> values, long[] ttls, Throwable failure) {
        if (sent == null) {
            return; // beforeSend failed: the batch was never sent
        }
        counters.batches.increment();
        if (!counters.recorders.isEmpty()) {
            long nanos = System.nanoTime() - sent.nanos;
            for (StoreCounters.BatchRecorder r : counters.recorders) {
                r.batch(keys.size(), nanos, failure != null);
            }
        }
        if (failure != null) {
            counters.loadFailures.add(keys.size());
            for (int i = 0; i < keys.size(); i++) {
                guard.release(sent.ticket, i, idOf(keys.get(i)));
            }
            return;
        }
        counters.loads.add(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            store(sent.ticket, i, keys.get(i), values.get(i), expiresAt(sent.nanos, ttls, i, values.get(i)));
        }
    }

    /**
     * A batch failed for a reason of one key and its keys are read again one by one: it was sent (a batch), but its
     * keys have not failed; release their tokens, as a failure would, without counting them as failed loads.
     */
    void onRetry(Sent sent, List<K> keys) {
        if (sent == null) {
            return;
        }
        counters.batches.increment();
        for (int i = 0; i < keys.size(); i++) {
            guard.release(sent.ticket, i, idOf(keys.get(i)));
        }
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
        // opt-in caching: a key outside the prefixes was read without CLIENT CACHING YES, untracked: never kept
        if (!ticket.tracked() || (value == null && !negativeCaching) || expiresAt == 0
                || (cachedKeys != null && !cachedKeys.test(key))) {
            guard.release(ticket, index, id);
            return;
        }
        int weight = 1;
        if (value != null) {
            int valueBytes = valueBytes(value);
            if (valueBytes > maxValueBytes) {
                counters.oversized.increment();
                guard.release(ticket, index, id);
                return;
            }
            weight = weighed ? valueBytes + codec.encodeKey(key).remaining() : 1;
        }
        Entry entry = new Entry(value == null ? ABSENT : value, weight, expiresAt, ticket.epoch);
        boolean[] stored = new boolean[1];
        cache.asMap().compute(id, (k, old) -> {
            if (guard.mayStore(ticket, index, k)) {
                stored[0] = true;
                return entry;
            }
            return old;
        });
        // Rule 3: a flush that began while we stored may have missed this entry: the epoch tells, and we take it out
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

    // ---- invalidations and flushes (rules 2, 3 and 6) ------------------------------------------------------------

    /**
     * Removes the key's entry and kills its token, in one per-key critical section: an invalidation from Redis
     * (rule 2) or an own write (rule 6), so that a read in flight across it cannot store the old value.
     */
    boolean evict(Object id) {
        boolean held = cache.asMap().containsKey(id); // for the invalidationsNotHeld count only: may race, harmlessly
        cache.asMap().compute(id, evictInside);
        return held;
    }

    /** {@link #evict}'s critical section, one function for every key: an invalidation allocates nothing here. */
    private final java.util.function.BiFunction<Object, Entry, Entry> evictInside = (k, old) -> {
        guard.invalidate(k);
        watched.remove(k);
        return null;
    };

    /** Redis reported writes to these keys. */
    void invalidated(List<K> keys) {
        counters.invalidations.add(keys.size());
        for (K key : keys) {
            if (!evict(idOf(key))) {
                counters.invalidationsNotHeld.increment();
            }
        }
    }

    /** A node's invalidation connection came back after a loss. */
    void invalidationsBack() {
        counters.reconnects.increment();
    }

    /** Rule 3: flush everything. The epoch moves first, so no store in flight survives (see {@link #store}). */
    void flush(FlushReason reason) {
        flush(reason, true);
    }

    /** Rule 3 as {@link #flush(FlushReason)}, counted in {@code flushes} only when {@code counted}. */
    void flush(FlushReason reason, boolean counted) {
        long ended = guard.flush();
        watched.clear();
        if (staleWindowNanos == 0 || reason == FlushReason.VERIFY_MISMATCH) {
            cache.invalidateAll(); // a canary flush: the entries are suspect, not even a fallback
        } else {
            // stale-if-error: the entries stay, unverified (get() no longer serves them), as a fallback for reads
            // Redis cannot answer within the window; the memory bounds still apply to them
            long now = System.nanoTime();
            epochEnds.put(ended, now);
            epochEnds.headMap(ended).entrySet().removeIf(e -> now - e.getValue() > staleWindowNanos);
        }
        if (counted) {
            counters.flushes.get(reason).increment();
        }
        log.debug("near cache flushed: {}", reason.tag());
    }

    // ---- the coherence canary's view ------------------------------------------------------------------------------

    /** One entry as the canary saw it before its check: the entry object itself, and the token watching its key. */
    record Sample(Object id, Object entry, Object token) {
        /** The key, for the check read (the id is the key, or a byte[] key's wrapper). */
        @SuppressWarnings("unchecked")
        <K> K key() {
            return (K) (id instanceof ByteBuffer b ? b.array() : id);
        }
    }

    /**
     * Up to {@code n} live entries, continuing a sweep through the whole cache (so each entry is checked once per
     * size / n rounds), each now watched. Called by the canary's thread only.
     */
    List<Sample> sample(int n) {
        List<Sample> samples = new java.util.ArrayList<>(n);
        boolean restarted = false;
        while (samples.size() < n) {
            if (sweep == null || !sweep.hasNext()) {
                if (restarted) {
                    break; // fewer entries than n
                }
                restarted = true;
                sweep = cache.asMap().entrySet().iterator();
                if (!sweep.hasNext()) {
                    break;
                }
            }
            Map.Entry<Object, Entry> e = sweep.next();
            Entry entry = e.getValue();
            if (entry.expiresAt != NEVER && System.nanoTime() - entry.expiresAt >= 0) {
                continue; // past its server TTL: no longer served
            }
            if (entry.epoch != guard.epoch()) {
                continue; // unverified (stale-if-error): not served as fresh, so not checked
            }
            Object token = new Object();
            watched.put(e.getKey(), token);
            // the entry as of after the watch began: a store or eviction from here on is seen by the check
            Entry current = cache.policy().getIfPresentQuietly(e.getKey()); // no hit counted, no frequency
            if (current == null) {
                watched.remove(e.getKey(), token);
                continue;
            }
            samples.add(new Sample(e.getKey(), current, token));
        }
        return samples;
    }

    /** The canary's epoch: a flush between its sample and its decision voids the check. */
    long epoch() {
        return guard.epoch();
    }

    /**
     * Whether {@code value} (as Redis holds it now; null for no key) is what the sampled entry holds, compared as
     * encoded bytes so any codec's values compare by content.
     */
    boolean holds(Sample sample, V value) {
        Object cached = ((Entry) sample.entry()).value;
        if (cached == ABSENT || value == null) {
            return cached == ABSENT && value == null;
        }
        @SuppressWarnings("unchecked")
        V mine = (V) cached;
        return codec.encodeValue(mine).equals(codec.encodeValue(value));
    }

    /** The check agreed (or was voided): stop watching, and count it if it was decided. */
    void checked(Sample sample, boolean counted) {
        watched.remove(sample.id(), sample.token());
        if (counted) {
            counters.verifyChecks.increment();
        }
    }

    /**
     * Decides a check whose read differed from the entry, after the invalidation barrier: a mismatch only if the key
     * was neither invalidated nor written here, nor its entry replaced, nor anything flushed since the sample
     * ({@code epoch}); then the entry is evicted and the mismatch counted. Returns whether it was one.
     */
    boolean mismatch(Sample sample, long epoch) {
        boolean[] missed = new boolean[1];
        cache.asMap().computeIfPresent(sample.id(), (k, current) -> {
            if (current == sample.entry() && watched.remove(k, sample.token()) && guard.epoch() == epoch) {
                missed[0] = true;
                guard.invalidate(k);
                return null;
            }
            return current;
        });
        watched.remove(sample.id(), sample.token());
        counters.verifyChecks.increment();
        if (missed[0]) {
            counters.verifyMismatches.increment();
        }
        return missed[0];
    }

    /** Empties the store for good (the cache is closed). */
    void clear() {
        cache.invalidateAll();
    }

    // ---- stats ----------------------------------------------------------------------------------------------------

    /** The counters of what happened to this store (loads, invalidations, flushes, ...). */
    StoreCounters counters() {
        return counters;
    }

    void addRecorder(StoreCounters.BatchRecorder recorder) {
        counters.recorders.add(recorder);
    }

    long size() {
        return cache.estimatedSize();
    }

    /** Runs Caffeine's pending maintenance (eviction) on this thread; for tests that assert the bound. */
    void settle() {
        cache.cleanUp();
    }

    long weightedSize() {
        return weighed ? cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L)
                : cache.estimatedSize();
    }

    long hits() {
        return cache.stats().hitCount() - counters.expiredHits.sum();
    }

    long misses() {
        return cache.stats().missCount() + counters.expiredHits.sum();
    }

    long evictions() {
        return cache.stats().evictionCount();
    }

    NearCacheStats stats(boolean invalidationsReady, TrackingMode trackingMode) {
        return counters.stats(cache.stats(), cache.estimatedSize(), weightedSize(), invalidationsReady, trackingMode);
    }

    /** Byte-array keys are compared by content. */
    static Object idOf(Object key) {
        return key instanceof byte[] ? ByteBuffer.wrap((byte[]) key) : key;
    }
}
