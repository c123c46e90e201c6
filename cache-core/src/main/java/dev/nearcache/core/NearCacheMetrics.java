package dev.nearcache.core;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;

/**
 * Binds a near cache's metrics to a Micrometer registry, tagged {@code cache=<name>}; a cache gives it with
 * {@code cache.metrics(name)}:
 *
 * <ul>
 *   <li>{@code nearcache.gets} (counter, {@code result=hit|miss})</li>
 *   <li>{@code nearcache.loads} (counter: keys read from Redis, {@code result=success|failure})</li>
 *   <li>{@code nearcache.batch.size} (distribution: keys per MGET) and {@code nearcache.batch.latency} (timer), with
 *       percentile histograms unless {@link #percentileHistograms(boolean) turned off}</li>
 *   <li>{@code nearcache.invalidations} (counter: keys Redis reported changed)</li>
 *   <li>{@code nearcache.flushes} (counter, {@code reason=...})</li>
 *   <li>{@code nearcache.verify.checks} and {@code nearcache.verify.mismatches} (counters: the coherence canary's
 *       comparisons with Redis, and the values it found stale with no write in flight)</li>
 *   <li>{@code nearcache.stale.served} (counter: reads answered by stale-if-error during an outage)</li>
 *   <li>{@code nearcache.invalidations.not.held} (counter) and {@code nearcache.server.tracking.keys} and
 *       {@code nearcache.server.tracking.fill} (gauges: Redis's tracking table, NaN when the user may not read it)</li>
 *   <li>{@code nearcache.reconnects} (counter: invalidation connection re-established)</li>
 *   <li>{@code nearcache.evictions} (counter: size, weight or local TTL)</li>
 *   <li>{@code nearcache.size} and {@code nearcache.weight} (gauges)</li>
 *   <li>{@code nearcache.invalidation.healthy} (gauge: 1 while invalidations are received, else 0)</li>
 * </ul>
 *
 * Tags carry only the cache name and fixed values: never a host, a user or a password. Bind once per registry;
 * binding to several registries records batches in each. Each meter reads its own counter. Immutable, so
 * thread-safe.
 */
public final class NearCacheMetrics implements MeterBinder {
    /** Registers the meters in a registry, with or without percentile histograms. */
    private final BiConsumer<MeterRegistry, Boolean> binding;
    private final boolean percentileHistograms;

    NearCacheMetrics(BiConsumer<MeterRegistry, Boolean> binding) {
        this(binding, true);
    }

    private NearCacheMetrics(BiConsumer<MeterRegistry, Boolean> binding, boolean percentileHistograms) {
        this.binding = binding;
        this.percentileHistograms = percentileHistograms;
    }

    /**
     * Whether {@code nearcache.batch.size} and {@code nearcache.batch.latency} publish percentile histograms (their
     * buckets, for quantiles over many instances in Prometheus or Atlas): on by default; off leaves count, total
     * and max, a few series per cache instead of some hundred. Returns a binder with that choice.
     */
    public NearCacheMetrics percentileHistograms(boolean publish) {
        return new NearCacheMetrics(binding, publish);
    }

    /**
     * Registers the meters; for a cache that started without Redis, once it has connected (before that it has
     * nothing to measure).
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry must not be null");
        binding.accept(registry, percentileHistograms);
    }

    /** The tags of a cache named {@code name}. */
    static Tags tags(String name) {
        return Tags.of(Tag.of("cache", Objects.requireNonNull(name, "name must not be null")));
    }

    /** Registers the meters of a connected cache, each reading its own counter. */
    static void bind(LocalStore<?, ?> store, Routing<?, ?> routing, Tags tags, MeterRegistry registry,
                     boolean percentileHistograms) {
        new Meters(store, routing, tags, registry).bind(percentileHistograms);
    }

    /** The meters of one cache in one registry. */
    private record Meters(LocalStore<?, ?> store, Routing<?, ?> routing, Tags tags, MeterRegistry registry) {
        void bind(boolean percentileHistograms) {
            counter(registry, "nearcache.gets", "reads of the near cache", Tags.of("result", "hit"), s -> s.hits());
            counter(registry, "nearcache.gets", "reads of the near cache", Tags.of("result", "miss"), s -> s.misses());
            counter(registry, "nearcache.loads", "keys read from Redis", Tags.of("result", "success"),
                    s -> s.counters().loads());
            counter(registry, "nearcache.loads", "keys read from Redis", Tags.of("result", "failure"),
                    s -> s.counters().loadFailures());
            counter(registry, "nearcache.invalidations", "keys Redis reported as changed", Tags.empty(),
                    s -> s.counters().invalidations());
            for (FlushReason reason : FlushReason.values()) {
                counter(registry, "nearcache.flushes", "times the whole near cache was emptied",
                        Tags.of("reason", reason.tag()), s -> s.counters().flushes(reason));
            }
            counter(registry, "nearcache.verify.checks", "cached values the coherence canary compared with Redis",
                    Tags.empty(), s -> s.counters().verifyChecks());
            counter(registry, "nearcache.verify.mismatches", "cached values that differed from Redis with no write in"
                    + " flight (missed invalidations), evicted", Tags.empty(), s -> s.counters().verifyMismatches());
            counter(registry, "nearcache.stale.served", "reads Redis could not answer, served a value known coherent"
                    + " within the stale-if-error window", Tags.empty(), s -> s.counters().staleServed());
            counter(registry, "nearcache.invalidations.not.held", "invalidations of keys not held locally",
                    Tags.empty(), s -> s.counters().invalidationsNotHeld());
            Gauge.builder("nearcache.server.tracking.keys", store.counters(),
                            c -> c.serverTracking().keys() < 0 ? Double.NaN : c.serverTracking().keys())
                    .description("keys in Redis's tracking table (all clients)")
                    .tags(tags).register(registry);
            Gauge.builder("nearcache.server.tracking.fill", store.counters(),
                            c -> c.serverTracking().fill() < 0 ? Double.NaN : c.serverTracking().fill())
                    .description("share of tracking-table-max-keys in use (past 1 Redis evicts tracked keys)")
                    .tags(tags).register(registry);
            counter(registry, "nearcache.reconnects", "invalidation connection re-established", Tags.empty(),
                    s -> s.counters().reconnects());
            counter(registry, "nearcache.evictions", "entries evicted for size, weight or local TTL", Tags.empty(),
                    s -> s.evictions());
            gauge(registry, "nearcache.size", "entries in the near cache", s -> s.size());
            gauge(registry, "nearcache.weight", "weight of the near cache (bytes when bounded by weight)",
                    s -> s.weightedSize());
            Gauge.builder("nearcache.invalidation.healthy", routing, r -> r.invalidationsReady() ? 1 : 0)
                    .description("1 while invalidations are received, else 0").tags(tags).register(registry);
            DistributionSummary batchSize = DistributionSummary.builder("nearcache.batch.size")
                    .description("keys per MGET").baseUnit("keys").tags(tags)
                    .publishPercentileHistogram(percentileHistograms).register(registry);
            Timer latency = Timer.builder("nearcache.batch.latency")
                    .description("time from sending an MGET to its reply")
                    .tags(tags).publishPercentileHistogram(percentileHistograms).register(registry);
            store.addRecorder((keys, nanos, failed) -> {
                batchSize.record(keys);
                latency.record(nanos, TimeUnit.NANOSECONDS);
            });
        }

        /**
         * A counter that reads its own count from the store, not a whole stats snapshot. The store is the meter's
         * (weakly held) state object: the cache keeps it alive, and a closed, collected cache's meters go away.
         */
        private void counter(MeterRegistry registry, String name, String description, Tags extra,
                             ToLongFunction<LocalStore<?, ?>> value) {
            FunctionCounter.builder(name, store, s -> value.applyAsLong(s)).description(description)
                    .tags(tags.and(extra)).register(registry);
        }

        private void gauge(MeterRegistry registry, String name, String description,
                           ToLongFunction<LocalStore<?, ?>> value) {
            Gauge.builder(name, store, s -> value.applyAsLong(s)).description(description).tags(tags)
                    .register(registry);
        }
    }
}
