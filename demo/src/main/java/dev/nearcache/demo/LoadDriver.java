package dev.nearcache.demo;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheStats;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code demo load}: a read-heavy Zipf workload through the near cache with a concurrent writer, a live progress
 * line every second and a summary at the end. Run two at once against the same Redis ({@code REDIS_URL}) to see
 * each one's writes arrive at the other as invalidations.
 *
 * <p>Settings: {@code LOAD_SECONDS} (20), {@code LOAD_THREADS} (16), {@code LOAD_PRODUCTS} (10000),
 * {@code LOAD_WRITES_PER_SECOND} (100), {@code CATALOG_DELAY_MS} (50: each read-through miss waits that long, which
 * bounds the reads/s of a run that starts cold; 0 measures the cache alone), and the cache's own variables.
 */
final class LoadDriver {
    private final NearCache<String, String> cache;
    private final ProductCatalog catalog;
    private final int seconds;
    private final int threads;
    private final int writesPerSecond;
    private final double[] zipfCdf;
    private final PrintStream out;

    LoadDriver(NearCache<String, String> cache, ProductCatalog catalog, Map<String, String> env, PrintStream out) {
        this.cache = cache;
        this.catalog = catalog;
        this.seconds = positive(env, "LOAD_SECONDS", 20);
        this.threads = positive(env, "LOAD_THREADS", 16);
        this.writesPerSecond = positive(env, "LOAD_WRITES_PER_SECOND", 100);
        this.zipfCdf = zipf(positive(env, "LOAD_PRODUCTS", 10_000), 0.99);
        this.out = out;
    }

    private static int positive(Map<String, String> env, String name, int fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive whole number, got '" + value + "'");
    }

    /** The cumulative distribution of Zipf(s) over {@code n} items. */
    private static double[] zipf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    private int nextProduct() {
        int i = Arrays.binarySearch(zipfCdf, ThreadLocalRandom.current().nextDouble());
        return i >= 0 ? i : Math.min(-i - 1, zipfCdf.length - 1);
    }

    void run() throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        Recorder latency = new Recorder(3);
        LongAdder reads = new LongAdder();
        LongAdder errors = new LongAdder();
        LongAdder writes = new LongAdder();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(start("load-reader-" + t, () -> {
                while (running.get()) {
                    String id = Integer.toString(nextProduct());
                    long start = System.nanoTime();
                    try {
                        cache.get("product:" + id, k -> catalog.lookup(id));
                        latency.recordValue(System.nanoTime() - start);
                        reads.increment();
                    } catch (RuntimeException e) {
                        errors.increment();
                    }
                }
            }));
        }
        workers.add(start("load-writer", () -> {
            long intervalNanos = 1_000_000_000L / writesPerSecond;
            long next = System.nanoTime();
            while (running.get()) {
                int id = nextProduct();
                try {
                    cache.set("product:" + id, "{\"id\":" + id + ",\"name\":\"Product " + id + "\",\"version\":"
                            + System.nanoTime() + "}");
                    writes.increment();
                } catch (RuntimeException e) {
                    errors.increment();
                }
                next += intervalNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }));

        out.printf("load: %d readers, Zipf 0.99 over %d products, %d writes/s through the cache, %d s,"
                + " catalog delay %d ms (CATALOG_DELAY_MS)%n", threads, zipfCdf.length, writesPerSecond, seconds,
                catalog.delay().toMillis());
        Histogram total = new Histogram(3);
        NearCacheStats first = cache.stats();
        NearCacheStats previous = first;
        long previousReads = 0;
        for (int s = 1; s <= seconds; s++) {
            Thread.sleep(1000);
            Histogram interval = latency.getIntervalHistogram();
            total.add(interval);
            NearCacheStats now = cache.stats();
            long readsNow = reads.sum();
            long hits = now.hits() - previous.hits();
            long misses = now.misses() - previous.misses();
            out.printf(Locale.ROOT, "[%3d s] %,10d reads/s  hit ratio %5.1f%%  p99 %8.1f us  invalidations %,6d  %s%n",
                    s, readsNow - previousReads, 100.0 * hits / Math.max(1, hits + misses),
                    interval.getValueAtPercentile(99) / 1e3, now.invalidations() - previous.invalidations(),
                    now.invalidationConnectionHealthy() ? "" : "(invalidations down: not caching)");
            previous = now;
            previousReads = readsNow;
        }
        running.set(false);
        for (Thread worker : workers) {
            worker.join(5000);
        }
        NearCacheStats last = cache.stats();
        long hits = last.hits() - first.hits();
        long misses = last.misses() - first.misses();
        long invalidations = last.invalidations() - first.invalidations();
        out.println();
        out.println("| measure | value |");
        out.println("|---|---:|");
        out.printf(Locale.ROOT, "| reads | %,d (%,.0f/s) |%n", reads.sum(), reads.sum() / (double) seconds);
        out.printf(Locale.ROOT, "| hit ratio | %.1f%% |%n", 100.0 * hits / Math.max(1, hits + misses));
        out.printf(Locale.ROOT, "| latency p50 / p99 / p99.9 | %.1f / %.1f / %.1f us |%n",
                total.getValueAtPercentile(50) / 1e3, total.getValueAtPercentile(99) / 1e3,
                total.getValueAtPercentile(99.9) / 1e3);
        out.printf(Locale.ROOT, "| writes through this instance | %,d |%n", writes.sum());
        out.printf(Locale.ROOT, "| invalidations received | %,d (own writes, read-through fills, other instances)"
                + " |%n", invalidations);
        out.printf(Locale.ROOT, "| catalog lookups (slow path) | %,d |%n", catalog.lookups());
        out.printf(Locale.ROOT, "| coherence canary: values checked against Redis / stale found | %,d / %,d |%n",
                last.verifyChecks() - first.verifyChecks(), last.verifyMismatches() - first.verifyMismatches());
        out.printf(Locale.ROOT, "| errors | %,d |%n", errors.sum());
        long delayMillis = catalog.delay().toMillis();
        if (delayMillis > 0) {
            // a read-through miss holds its reader thread for the catalog's delay: that, not the cache, is the
            // ceiling of a short run that starts with an empty cache
            double waited = catalog.lookups() * (double) delayMillis / 1000;
            out.println();
            out.printf(Locale.ROOT, "The slow catalog bounds these reads/s: %,d lookups x %d ms = %.0f s of the %d"
                    + " readers' %d s (%.0f%%) were spent waiting for it. The cache alone: CATALOG_DELAY_MS=0, or a"
                    + " longer run (LOAD_SECONDS) once the hot products are cached.%n", catalog.lookups(), delayMillis,
                    waited, threads, threads * seconds, 100 * waited / (threads * (double) seconds));
        }
    }

    private static Thread start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
