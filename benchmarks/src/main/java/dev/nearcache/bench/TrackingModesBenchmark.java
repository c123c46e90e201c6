package dev.nearcache.bench;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheBuilder;
import dev.nearcache.core.NearCacheStats;
import dev.nearcache.core.TrackingMode;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.UnaryOperator;

/**
 * The near cache in each tracking mode, taking turns in one JVM against one local redis-server started by the test
 * kit: what each costs the server (its tracking table and memory) and what it gives the client (reads/s, hit ratio).
 *
 * <p>Modes: REDIRECT (every key tracked, invalidations on a dedicated connection), SAME_CONNECTION (every key tracked,
 * invalidations on each data connection), OPTIN with {@code cachedPrefixes("hot:")} covering half the keys (the
 * others read from Redis every time, untracked), and BCAST of the same prefix (no per-key state on the server; every
 * write under the prefix reaches the cache). Workloads: Zipf 0.99 and uniform over 100,000 keys of 100 bytes, half
 * named {@code hot:<i>} and half {@code cold:<i>} (even and odd ranks), a near cache of 10,000 entries, 16 reader
 * threads, 500 writes/s from another client. Per run: reads/s, hit ratio, the invalidations the cache received, the
 * server's {@code tracking_total_keys} at the end of the run (the cache still open) and the growth of its
 * {@code used_memory} from just before the cache connected (each run starts on a freshly seeded server: FLUSHALL
 * also empties the tracking table, which otherwise keeps the keys of clients gone since), and stale keys (after writes stop and 3 s pass, the
 * 2,000 hottest keys read through the cache against Redis).
 *
 * <p>Options: {@code --seconds N} (measured, default 10), {@code --warmup N} (5), {@code --threads N} (16),
 * {@code --out DIR} (where {@code benchmarks-tracking.md} goes, default docs). Run it with {@code ./mvnw -q -pl
 * benchmarks -am -Dmaven.test.skip package exec:exec -Dbench=TrackingModesBenchmark}.
 */
public final class TrackingModesBenchmark {
    private static final int KEYS = 100_000;
    private static final int HOT_KEYS = 2_000;
    private static final int CACHE_SIZE = 10_000;
    private static final int WRITES_PER_SECOND = 500;

    private TrackingModesBenchmark() {
    }

    private record Result(String workload, String mode, double readsPerSecond, double hitRatio, long invalidations,
                          long trackedKeys, long memoryGrowth, int stale, long errors) {
    }

    /** Rank {@code i}'s key: even ranks under {@code hot:}, odd under {@code cold:}. */
    static String key(int i) {
        return (i % 2 == 0 ? "hot:" : "cold:") + i;
    }

    public static void main(String[] args) throws Exception {
        int seconds = BenchSupport.intOption(args, "--seconds", 10);
        int warmup = BenchSupport.intOption(args, "--warmup", 5);
        int threads = BenchSupport.intOption(args, "--threads", 16);
        Path out = Path.of(BenchSupport.option(args, "--out", "docs"));
        if (seconds < 1 || warmup < 0 || threads < 1) {
            throw new IllegalArgumentException("--seconds and --threads must be at least 1, --warmup at least 0");
        }
        double[] zipf = BenchSupport.zipfCdf(KEYS, 0.99);
        Map<String, IntSupplier> workloads = new LinkedHashMap<>();
        workloads.put("Zipf", () -> BenchSupport.zipfRank(zipf));
        workloads.put("uniform", () -> ThreadLocalRandom.current().nextInt(KEYS));
        Map<String, UnaryOperator<NearCacheBuilder<String, String>>> modes = new LinkedHashMap<>();
        modes.put("REDIRECT", b -> b.trackingMode(TrackingMode.REDIRECT));
        modes.put("SAME_CONNECTION", b -> b.trackingMode(TrackingMode.SAME_CONNECTION));
        modes.put("OPTIN, half the keys", b -> b.trackingMode(TrackingMode.REDIRECT).cachedPrefixes("hot:"));
        modes.put("BCAST, half the keys", b -> b.trackingMode(TrackingMode.REDIRECT).cachedPrefixes("hot:")
                .broadcast(true));
        List<Result> results = new ArrayList<>();
        String redisVersion;
        try (RedisServer redis = RedisServers.start()) {
            redisVersion = redis.version() + " (" + redis.source() + ")";
            System.out.printf("Redis %s on loopback, %d cores, %d reader threads, %d s per run after %d s warm-up%n",
                    redisVersion, Runtime.getRuntime().availableProcessors(), threads, seconds, warmup);
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> direct = client.connect()) {
                for (Map.Entry<String, IntSupplier> workload : workloads.entrySet()) {
                    System.out.println("== " + workload.getKey());
                    for (Map.Entry<String, UnaryOperator<NearCacheBuilder<String, String>>> mode : modes.entrySet()) {
                        results.add(run(workload.getKey(), workload.getValue(), mode.getKey(), mode.getValue(),
                                redis.uri(), direct, threads, seconds, warmup));
                    }
                }
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
        String table = table(results, redisVersion, threads, seconds, warmup);
        System.out.println();
        System.out.println(table);
        Files.createDirectories(out);
        Path md = out.resolve("benchmarks-tracking.md");
        Files.writeString(md, table);
        System.out.println("wrote " + md);
    }

    private static Result run(String workload, IntSupplier rank, String mode,
                              UnaryOperator<NearCacheBuilder<String, String>> configure, String uri,
                              StatefulRedisConnection<String, String> direct, int threadCount, int seconds,
                              int warmup) throws Exception {
        seed(direct); // FLUSHALL also empties the tracking table, which keeps the keys of clients gone since
        long memoryBefore = info(direct, "memory", "used_memory");
        NearCacheBuilder<String, String> builder = NearCache.builder().redisUri(uri).maximumSize(CACHE_SIZE);
        try (NearCache<String, String> cache = configure.apply(builder).build()) {
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = BenchSupport.startWriter(WRITES_PER_SECOND, writing,
                    n -> direct.async().set(key(rank.getAsInt()), BenchSupport.value(n)));
            AtomicBoolean measuring = new AtomicBoolean(false);
            AtomicBoolean stop = new AtomicBoolean(false);
            LongAdder reads = new LongAdder();
            LongAdder errors = new LongAdder();
            CountDownLatch done = new CountDownLatch(threadCount);
            for (int t = 0; t < threadCount; t++) {
                Thread thread = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            try {
                                cache.get(key(rank.getAsInt()));
                            } catch (RuntimeException e) {
                                errors.increment();
                                continue;
                            }
                            if (measuring.get()) {
                                reads.increment();
                            }
                        }
                    } finally {
                        done.countDown();
                    }
                }, "bench-reader-" + t);
                thread.setDaemon(true);
                thread.start();
            }
            Thread.sleep(warmup * 1000L);
            NearCacheStats before = cache.stats();
            long start = System.nanoTime();
            measuring.set(true);
            Thread.sleep(seconds * 1000L);
            measuring.set(false);
            long elapsed = System.nanoTime() - start;
            NearCacheStats after = cache.stats();
            stop.set(true);
            done.await();
            long trackedKeys = info(direct, "stats", "tracking_total_keys");
            long memoryGrowth = info(direct, "memory", "used_memory") - memoryBefore;
            writing.set(false);
            writer.join();
            int stale = BenchSupport.staleKeys(HOT_KEYS, k -> cache.get(toKey(k)), k -> direct.sync().get(toKey(k)));
            long hits = after.hits() - before.hits();
            long misses = after.misses() - before.misses();
            Result result = new Result(workload, mode, reads.sum() / (elapsed / 1e9),
                    (double) hits / Math.max(1, hits + misses), after.invalidations() - before.invalidations(),
                    trackedKeys, memoryGrowth, stale, errors.sum());
            System.out.printf(Locale.ROOT, "  %-22s %,12.0f reads/s  hits %5.1f%%  invalidations %,9d  tracked keys"
                            + " %,9d  used_memory %+,d bytes  stale %d of %d%s%n", mode, result.readsPerSecond,
                    100 * result.hitRatio, result.invalidations, trackedKeys, memoryGrowth, stale, HOT_KEYS,
                    result.errors > 0 ? "  (" + result.errors + " reads failed)" : "");
            return result;
        }
    }

    /** The shared stale-key check names keys by {@link BenchSupport#key}: map its rank back to this key space. */
    private static String toKey(String peerKey) {
        return key(Integer.parseInt(peerKey.substring(peerKey.indexOf(':') + 1)));
    }

    private static long info(StatefulRedisConnection<String, String> direct, String section, String field) {
        for (String line : direct.sync().info(section).split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim());
            }
        }
        throw new IllegalStateException("INFO " + section + " has no " + field);
    }

    private static String table(List<Result> results, String redisVersion, int threads, int seconds, int warmup) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Redis %s on loopback, %d cores; %,d keys of 100 bytes (half hot:, half"
                        + " cold:); near cache of %,d entries; %d reader threads; %d writes/s from another client; %d s"
                        + " measured after %d s warm-up per run.%n%n", redisVersion,
                Runtime.getRuntime().availableProcessors(), KEYS, CACHE_SIZE, threads, WRITES_PER_SECOND, seconds,
                warmup));
        sb.append("| workload | tracking | reads/s | hit ratio | invalidations received | Redis tracking_total_keys"
                + " | Redis used_memory growth | stale keys |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.1f%% | %,d | %,d | %,d KB | %d of %d |%n",
                    r.workload, r.mode, r.readsPerSecond, 100 * r.hitRatio, r.invalidations, r.trackedKeys,
                    r.memoryGrowth / 1024, r.stale, HOT_KEYS));
        }
        for (Result r : results) {
            if (r.errors > 0) {
                sb.append(String.format(Locale.ROOT, "%nWarning: %,d reads failed for %s, %s.%n", r.errors, r.mode,
                        r.workload));
            }
        }
        return sb.toString();
    }

    /** Empties Redis and its tracking table, writes every key with pipelined SETs and checks they all landed. */
    private static void seed(StatefulRedisConnection<String, String> connection) {
        connection.sync().flushall();
        RedisAsyncCommands<String, String> async = connection.async();
        List<RedisFuture<String>> pending = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            pending.add(async.set(key(i), BenchSupport.value(i)));
            if (pending.size() == 10_000 || i == KEYS - 1) {
                if (!LettuceFutures.awaitAll(Duration.ofSeconds(60), pending.toArray(new RedisFuture<?>[0]))) {
                    throw new IllegalStateException("seeding timed out");
                }
                pending.clear();
            }
        }
        if (connection.sync().dbsize() != KEYS) {
            throw new IllegalStateException("seeded " + KEYS + " keys but Redis holds " + connection.sync().dbsize());
        }
    }
}
