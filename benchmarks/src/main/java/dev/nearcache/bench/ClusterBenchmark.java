package dev.nearcache.bench;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheStats;
import dev.nearcache.testkit.RedisCluster;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The near cache over a Redis Cluster against plain Lettuce cluster GET on one shared connection, side by side in
 * one JVM against one local 3-master cluster started by the test kit, taking turns.
 *
 * <p>Workload (as {@link PeerBenchmark}'s (a) and (c)): Zipf 0.99 over 100,000 keys of 100 bytes, a near cache of
 * 10,000 entries, 500 writes/s from another client (a Lettuce cluster connection), and each thread count of
 * {@code --threads} in turn. For each system and thread count: reads/s, the near cache's hit ratio (its own
 * {@code stats()} over the measured window), p50/p99, and stale keys: after writes stop and 3 s pass, the 2,000
 * hottest keys are read through the system and compared with the cluster.
 *
 * <p>Options: {@code --seconds N} (measured, default 10), {@code --warmup N} (5), {@code --threads 16,64},
 * {@code --out DIR} (where {@code benchmarks-cluster.md} goes, default docs). Run it with {@code ./mvnw -q -pl
 * benchmarks -am -Dmaven.test.skip package exec:exec -Dbench=ClusterBenchmark -Dbench.args="..."}.
 */
public final class ClusterBenchmark {
    private static final int MASTERS = 3;
    private static final int KEYS = 100_000;
    private static final int HOT_KEYS = 2_000;
    private static final int CACHE_SIZE = 10_000;
    private static final int WRITES_PER_SECOND = 500;
    private static final long MAX_LATENCY = 60_000_000_000L;
    private static final String NEAR_CACHE = "nearcache";
    private static final String PLAIN_GET = "Lettuce cluster GET";

    private ClusterBenchmark() {
    }

    /** A system under test: a read function, its hit counters if it has a local cache, and its cleanup. */
    private interface Reader extends AutoCloseable {
        String get(String key);

        /** Hits and misses so far, or null if the system has no local cache. */
        default long[] hitsAndMisses() {
            return null;
        }

        @Override
        void close();
    }

    /** {@code hitRatio} is NaN for a system without a local cache. */
    private record Result(int threads, String system, double readsPerSecond, double hitRatio, double p50,
                          double p99, int stale, long errors) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = BenchSupport.intOption(args, "--seconds", 10);
        int warmup = BenchSupport.intOption(args, "--warmup", 5);
        int[] threadCounts = BenchSupport.ints(BenchSupport.option(args, "--threads", "16,64"));
        Path out = Path.of(BenchSupport.option(args, "--out", "docs"));
        if (seconds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--seconds must be at least 1 and --warmup at least 0");
        }
        for (int n : threadCounts) {
            if (n < 1) {
                throw new IllegalArgumentException("--threads must be positive, got " + n);
            }
        }
        double[] zipf = BenchSupport.zipfCdf(KEYS, 0.99);
        List<Result> results = new ArrayList<>();
        String redisVersion;
        int masters;
        try (RedisCluster cluster = RedisServers.startCluster(MASTERS, 0)) {
            redisVersion = cluster.version() + " (" + cluster.source() + ")";
            masters = cluster.masters().size();
            System.out.printf("Redis %s, %d-master cluster on loopback, %d cores, %d s per run after %d s warm-up%n",
                    redisVersion, masters, Runtime.getRuntime().availableProcessors(), seconds, warmup);
            String[] seeds = cluster.seedUris().toArray(String[]::new);
            List<RedisURI> uris = cluster.seedUris().stream().map(RedisURI::create).toList();
            RedisClusterClient admin = RedisClusterClient.create(uris);
            try (StatefulRedisClusterConnection<String, String> direct = admin.connect()) {
                seed(direct);
                for (int threads : threadCounts) {
                    System.out.println("== Zipf 0.99, " + threads + " reader threads");
                    Map<String, Supplier<Reader>> systems = new LinkedHashMap<>();
                    systems.put(NEAR_CACHE, () -> nearCache(seeds));
                    systems.put(PLAIN_GET, () -> plainGet(uris));
                    for (Map.Entry<String, Supplier<Reader>> system : systems.entrySet()) {
                        try (Reader reader = system.getValue().get()) {
                            results.add(run(threads, system.getKey(), reader, direct, zipf, seconds, warmup));
                        }
                    }
                }
            } finally {
                admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
        String table = table(results, redisVersion, masters, seconds, warmup);
        System.out.println();
        System.out.println(table);
        Files.createDirectories(out);
        Path md = out.resolve("benchmarks-cluster.md");
        Files.writeString(md, table);
        System.out.println("wrote " + md);
    }

    // ---- systems ----------------------------------------------------------------------------------------------

    private static Reader nearCache(String[] seeds) {
        NearCache<String, String> cache = NearCache.builder().redisUris(seeds).cluster(true).maximumSize(CACHE_SIZE)
                .build();
        return new Reader() {
            public String get(String key) {
                return cache.get(key);
            }

            public long[] hitsAndMisses() {
                NearCacheStats stats = cache.stats();
                return new long[] {stats.hits(), stats.misses()};
            }

            public void close() {
                cache.close();
            }
        };
    }

    private static Reader plainGet(List<RedisURI> uris) {
        RedisClusterClient client = RedisClusterClient.create(uris);
        StatefulRedisClusterConnection<String, String> connection = client.connect();
        return new Reader() {
            public String get(String key) {
                return connection.sync().get(key);
            }

            public void close() {
                connection.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        };
    }

    // ---- runs -------------------------------------------------------------------------------------------------

    private static Result run(int threadCount, String system, Reader reader,
                              StatefulRedisClusterConnection<String, String> direct, double[] zipf, int seconds,
                              int warmup) throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = BenchSupport.startWriter(WRITES_PER_SECOND, writing,
                n -> direct.async().set(BenchSupport.key(BenchSupport.zipfRank(zipf)), BenchSupport.value(n)));

        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        Histogram[] histograms = new Histogram[threadCount];
        long[] counts = new long[threadCount];
        LongAdder errors = new LongAdder();
        AtomicReference<RuntimeException> firstError = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(threadCount);
        for (int t = 0; t < threadCount; t++) {
            int id = t;
            histograms[id] = new Histogram(MAX_LATENCY, 2);
            Thread thread = new Thread(() -> {
                long count = 0;
                try {
                    while (!stop.get()) {
                        boolean measured = measuring.get();
                        String key = BenchSupport.key(BenchSupport.zipfRank(zipf));
                        long start = System.nanoTime();
                        try {
                            reader.get(key);
                        } catch (RuntimeException e) {
                            // a failed read is counted and reported, not timed; the thread goes on reading
                            errors.increment();
                            firstError.compareAndSet(null, e);
                            continue;
                        }
                        long elapsed = System.nanoTime() - start;
                        if (measured && measuring.get()) {
                            histograms[id].recordValue(Math.min(elapsed, MAX_LATENCY));
                            count++;
                        }
                    }
                } finally {
                    counts[id] = count;
                    done.countDown();
                }
            }, "bench-reader-" + t);
            thread.setDaemon(true);
            thread.start();
        }
        Thread.sleep(warmup * 1000L);
        long[] before = reader.hitsAndMisses();
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep(seconds * 1000L);
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        long[] after = reader.hitsAndMisses();
        stop.set(true);
        done.await();

        // stale keys: writes stop, the contract's 3 s pass, then every hot key is read through the system
        writing.set(false);
        writer.join();
        int stale = BenchSupport.staleKeys(HOT_KEYS, reader::get, direct.sync()::get);

        Histogram all = new Histogram(MAX_LATENCY, 2);
        long reads = 0;
        for (int t = 0; t < threadCount; t++) {
            all.add(histograms[t]);
            reads += counts[t];
        }
        double hitRatio = Double.NaN;
        if (before != null && after != null) {
            long hits = after[0] - before[0];
            long misses = after[1] - before[1];
            hitRatio = (double) hits / Math.max(1, hits + misses);
        }
        Result result = new Result(threadCount, system, reads / (elapsed / 1e9), hitRatio,
                all.getValueAtPercentile(50) / 1e3, all.getValueAtPercentile(99) / 1e3, stale, errors.sum());
        System.out.printf(Locale.ROOT, "  %-22s %,12.0f reads/s  hits %6s  p50 %7.1f us  p99 %8.1f us"
                        + "  stale %d of %d%n", system, result.readsPerSecond, hitRatio(result), result.p50,
                result.p99, stale, HOT_KEYS);
        if (result.errors > 0) {
            System.out.printf("  %s: %,d reads failed, the first with %s%n", system, result.errors,
                    firstError.get());
        }
        return result;
    }

    // ---- reporting --------------------------------------------------------------------------------------------

    private static String table(List<Result> results, String redisVersion, int masters, int seconds, int warmup) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Redis %s, a %d-master cluster on loopback, %d cores; %,d keys of 100"
                        + " bytes, Zipf 0.99; near cache of %,d entries; %d writes/s from another client; %d s measured"
                        + " after %d s warm-up per run.%n%n", redisVersion, masters,
                Runtime.getRuntime().availableProcessors(), KEYS, CACHE_SIZE, WRITES_PER_SECOND, seconds, warmup));
        sb.append("| reader threads | system | reads/s | hit ratio | p50 µs | p99 µs | stale keys |\n");
        sb.append("|---:|---|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %,.0f | %s | %.1f | %.1f | %d of %d |%n", r.threads,
                    r.system, r.readsPerSecond, hitRatio(r), r.p50, r.p99, r.stale, HOT_KEYS));
        }
        sb.append('\n');
        for (int threads : results.stream().mapToInt(Result::threads).distinct().toArray()) {
            double ours = find(results, threads, NEAR_CACHE);
            double plain = find(results, threads, PLAIN_GET);
            sb.append(String.format(Locale.ROOT, "%d threads: %s / %s = %.2fx%n", threads, NEAR_CACHE, PLAIN_GET,
                    ours / plain));
        }
        for (Result r : results) {
            if (r.errors > 0) {
                sb.append(String.format(Locale.ROOT, "%nWarning: %,d reads failed for %s at %d threads.%n", r.errors,
                        r.system, r.threads));
            }
        }
        return sb.toString();
    }

    private static String hitRatio(Result r) {
        return Double.isNaN(r.hitRatio) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.hitRatio);
    }

    private static double find(List<Result> results, int threads, String system) {
        return results.stream().filter(r -> r.threads == threads && r.system.equals(system))
                .mapToDouble(Result::readsPerSecond).findFirst().orElse(Double.NaN);
    }

    // ---- data ---------------------------------------------------------------------------------------------------

    /** Writes every key with pipelined SETs (Lettuce routes each to its slot's master) and checks they all landed. */
    private static void seed(StatefulRedisClusterConnection<String, String> connection) {
        RedisAdvancedClusterAsyncCommands<String, String> async = connection.async();
        List<RedisFuture<String>> pending = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            pending.add(async.set(BenchSupport.key(i), BenchSupport.value(i)));
            if (pending.size() == 10_000 || i == KEYS - 1) {
                if (!LettuceFutures.awaitAll(Duration.ofSeconds(60), pending.toArray(new RedisFuture<?>[0]))) {
                    throw new IllegalStateException("seeding the cluster timed out");
                }
                pending.clear();
            }
        }
        long keys = connection.sync().dbsize();
        if (keys != KEYS) {
            throw new IllegalStateException("seeded " + KEYS + " keys but the cluster holds " + keys);
        }
    }
}
