package dev.nearcache.bench;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.redisson.Redisson;
import org.redisson.api.RClientSideCaching;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.ClientSideCachingOptions;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;
import org.redisson.config.Protocol;

/**
 * This library against the near caches users would otherwise pick, side by side in one JVM against one local
 * redis-server started by the test kit, taking turns: Lettuce's {@code ClientSideCaching}, Redisson's
 * {@code RClientSideCaching} over RESP3, and plain Lettuce GET on one shared connection.
 *
 * <p>Workloads: (a) Zipf 0.99 over 100,000 keys of 100 bytes, near caches of 10,000 entries, 16 reader threads,
 * 500 writes/s from another client; (b) uniform keys with near caches of 1,000 entries (about 1% hits), plus
 * hand-written 100-key MGETs as the ceiling; (c) as (a) with 64 threads; (d) JMH, the hit path only. For each:
 * reads/s, hit ratio (1 - Redis's keyspace lookups / reads, a miss that also reads its PTTL counted once),
 * p50/p99, bytes allocated per read by the reader threads, and stale keys: after writes stop and 3 s pass, the 2,000
 * hottest keys are read through the system and compared with Redis.
 *
 * <p>Options: {@code --seconds N} (measured, default 10), {@code --warmup N} (5), {@code --out DIR} (where the
 * table and the plot go, default docs), {@code --skip-jmh}, {@code --workloads a,b,c}, {@code --systems name,...}.
 */
public final class PeerBenchmark {
    private static final int KEYS = 100_000;
    private static final int HOT_KEYS = 2_000;
    private static final int WRITES_PER_SECOND = 500;

    private PeerBenchmark() {
    }

    /** A system under test: a read function and its cleanup. */
    private interface Reader extends AutoCloseable {
        String get(String key);

        /** Redis keyspace lookups per read that misses: 2 where each miss also reads the key's PTTL. */
        default int lookupsPerMiss() {
            return 1;
        }

        @Override
        void close();
    }

    private record Workload(String name, boolean zipf, int cacheSize, int threads) {
    }

    private record Result(String workload, String system, double readsPerSecond, double hitRatio, double p50,
                          double p99, double bytesPerRead, int stale) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = BenchSupport.intOption(args, "--seconds", 10);
        int warmup = BenchSupport.intOption(args, "--warmup", 5);
        Path out = Path.of(BenchSupport.option(args, "--out", "docs"));
        boolean skipJmh = Arrays.asList(args).contains("--skip-jmh");
        double[] zipf = BenchSupport.zipfCdf(KEYS, 0.99);
        List<Result> results = new ArrayList<>();
        String redisVersion;
        try (RedisServer redis = RedisServers.start()) {
            redisVersion = redis.version() + " (" + redis.source() + ")";
            System.out.printf("Redis %s on loopback, %d cores, %d s per run after %d s warm-up%n", redisVersion,
                    Runtime.getRuntime().availableProcessors(), seconds, warmup);
            RedisClient admin = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> direct = admin.connect()) {
                seed(direct);
                List<Workload> workloads = List.of(new Workload("(a) Zipf, 16 threads", true, 10_000, 16),
                        new Workload("(b) uniform, 16 threads", false, 1_000, 16),
                        new Workload("(c) Zipf, 64 threads", true, 10_000, 64));
                String only = BenchSupport.option(args, "--workloads", "a,b,c");
                String systemsOnly = BenchSupport.option(args, "--systems", "");
                for (Workload w : workloads) {
                    if (!only.contains(w.name.substring(1, 2))) {
                        continue;
                    }
                    System.out.println("== " + w.name);
                    Map<String, Function<Integer, Reader>> systems = new LinkedHashMap<>();
                    systems.put("nearcache", size -> nearCache(redis, size, true));
                    systems.put("nearcache, server TTL off", size -> nearCache(redis, size, false));
                    systems.put("Redisson RClientSideCaching", size -> redisson(redis, size));
                    systems.put("Lettuce ClientSideCaching", size -> lettuceCsc(redis, size));
                    systems.put("Lettuce GET", size -> plainGet(redis));
                    for (Map.Entry<String, Function<Integer, Reader>> system : systems.entrySet()) {
                        if (!systemsOnly.isEmpty() && !systemsOnly.contains(system.getKey())) {
                            continue;
                        }
                        try (Reader reader = system.getValue().apply(w.cacheSize)) {
                            results.add(run(w, system.getKey(), reader, direct, zipf, seconds, warmup));
                        }
                    }
                    if (!w.zipf) {
                        results.add(mgetCeiling(w, direct, seconds, warmup));
                    }
                }
            } finally {
                admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
        String jmh = skipJmh ? "" : hitPath();
        String table = table(results, redisVersion, jmh);
        System.out.println();
        System.out.println(table);
        Files.createDirectories(out);
        Files.writeString(out.resolve("benchmarks.md"), table);
        plot(results, out.resolve("benchmarks.png"));
        System.out.println("wrote " + out.resolve("benchmarks.md") + " and " + out.resolve("benchmarks.png"));
        System.exit(0); // Redisson and Lettuce leave non-daemon threads of their own behind
    }

    // ---- systems ----------------------------------------------------------------------------------------------

    private static Reader nearCache(RedisServer redis, int size, boolean serverTtl) {
        NearCache<String, String> cache = NearCache.builder().redisUri(redis.uri()).maximumSize(size)
                .serverTtl(serverTtl).build();
        return new Reader() {
            public String get(String key) {
                return cache.get(key);
            }

            public int lookupsPerMiss() {
                return serverTtl ? 2 : 1;
            }

            public void close() {
                cache.close();
            }
        };
    }

    private static Reader redisson(RedisServer redis, int size) {
        Config config = new Config();
        config.setProtocol(Protocol.RESP3);
        config.setCodec(StringCodec.INSTANCE);
        config.useSingleServer().setAddress(redis.uri());
        RedissonClient client = Redisson.create(config);
        // Redisson's default eviction policy is NONE, which ignores the size: LRU bounds it like the others
        RClientSideCaching csc = client.getClientSideCaching(ClientSideCachingOptions.defaults()
                .evictionPolicy(ClientSideCachingOptions.EvictionPolicy.LRU).size(size));
        return new Reader() {
            public String get(String key) {
                return csc.<String>getBucket(key).get();
            }

            public void close() {
                csc.destroy();
                client.shutdown();
            }
        };
    }

    private static Reader lettuceCsc(RedisServer redis, int size) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> connection = client.connect();
        Map<String, String> map = Caffeine.newBuilder().maximumSize(size).<String, String>build().asMap();
        CacheFrontend<String, String> frontend = ClientSideCaching.enable(CacheAccessor.forMap(map), connection,
                TrackingArgs.Builder.enabled());
        return new Reader() {
            public String get(String key) {
                return frontend.get(key);
            }

            public void close() {
                frontend.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        };
    }

    private static Reader plainGet(RedisServer redis) {
        RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> connection = client.connect();
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

    private static Result run(Workload w, String system, Reader reader, StatefulRedisConnection<String, String> direct,
                              double[] zipf, int seconds, int warmup) throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = BenchSupport.startWriter(WRITES_PER_SECOND, writing,
                n -> direct.async().set(nextKey(w, zipf), BenchSupport.value(n)));

        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        Histogram[] histograms = new Histogram[w.threads];
        long[] counts = new long[w.threads];
        long[] allocated = new long[w.threads];
        CountDownLatch done = new CountDownLatch(w.threads);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int t = 0; t < w.threads; t++) {
            int id = t;
            histograms[id] = new Histogram(60_000_000_000L, 2);
            Thread thread = new Thread(() -> {
                long count = 0;
                long bytesAtStart = -1;
                try {
                    while (!stop.get()) {
                        boolean measured = measuring.get();
                        if (measured && bytesAtStart < 0) {
                            bytesAtStart = threads.getCurrentThreadAllocatedBytes();
                        }
                        String key = nextKey(w, zipf);
                        long start = System.nanoTime();
                        reader.get(key);
                        long elapsed = System.nanoTime() - start;
                        if (measured && measuring.get()) {
                            histograms[id].recordValue(Math.min(elapsed, 60_000_000_000L));
                            count++;
                        } else if (bytesAtStart >= 0 && allocated[id] == 0) {
                            allocated[id] = threads.getCurrentThreadAllocatedBytes() - bytesAtStart;
                        }
                    }
                } catch (RuntimeException e) {
                    System.err.println(system + " reader failed: " + e);
                } finally {
                    counts[id] = count;
                    done.countDown();
                }
            }, "bench-reader-" + t);
            thread.setDaemon(true);
            thread.start();
        }
        Thread.sleep(warmup * 1000L);
        long lookupsBefore = keyspaceLookups(direct);
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep(seconds * 1000L);
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        long lookups = keyspaceLookups(direct) - lookupsBefore;
        Thread.sleep(50);
        stop.set(true);
        done.await();

        // stale keys: writes stop, the contract's 3 s pass, then every hot key is read through the system
        writing.set(false);
        writer.join();
        int stale = BenchSupport.staleKeys(HOT_KEYS, reader::get, direct.sync()::get);

        Histogram all = new Histogram(60_000_000_000L, 2);
        long reads = 0;
        long bytes = 0;
        for (int t = 0; t < w.threads; t++) {
            all.add(histograms[t]);
            reads += counts[t];
            bytes += allocated[t];
        }
        Result result = new Result(w.name, system, reads / (elapsed / 1e9),
                Math.max(0, 1 - (double) lookups / reader.lookupsPerMiss() / Math.max(1, reads)),
                all.getValueAtPercentile(50) / 1e3,
                all.getValueAtPercentile(99) / 1e3, (double) bytes / Math.max(1, reads), stale);
        System.out.printf(Locale.ROOT, "  %-30s %,12.0f reads/s  hits %5.1f%%  p50 %7.1f us  p99 %8.1f us"
                        + "  %6.0f B/read  stale %d of %d%n", system, result.readsPerSecond, 100 * result.hitRatio,
                result.p50, result.p99, result.bytesPerRead, stale, HOT_KEYS);
        return result;
    }

    private static Result mgetCeiling(Workload w, StatefulRedisConnection<String, String> direct, int seconds,
                                      int warmup) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        long[] keys = new long[w.threads];
        CountDownLatch done = new CountDownLatch(w.threads);
        for (int t = 0; t < w.threads; t++) {
            int id = t;
            Thread thread = new Thread(() -> {
                String[] batch = new String[100];
                while (!stop.get()) {
                    for (int i = 0; i < batch.length; i++) {
                        batch[i] = BenchSupport.key(ThreadLocalRandom.current().nextInt(KEYS));
                    }
                    direct.sync().mget(batch);
                    if (measuring.get()) {
                        keys[id] += batch.length;
                    }
                }
                done.countDown();
            }, "bench-mget-" + t);
            thread.setDaemon(true);
            thread.start();
        }
        Thread.sleep(warmup * 1000L);
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep(seconds * 1000L);
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        stop.set(true);
        done.await();
        double perSecond = Arrays.stream(keys).sum() / (elapsed / 1e9);
        System.out.printf(Locale.ROOT, "  %-30s %,12.0f keys/s%n", "hand-written MGET x100", perSecond);
        return new Result(w.name, "hand-written MGET x100 (ceiling)", perSecond, 0, 0, 0, 0, 0);
    }

    private static String hitPath() throws Exception {
        System.out.println("== (d) hit path, JMH");
        var options = new OptionsBuilder().include(HitPathBenchmark.class.getSimpleName()).forks(1)
                .warmupIterations(3).warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(2))
                .measurementIterations(5).measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(2))
                .build();
        Map<String, Double> ns = new HashMap<>();
        for (RunResult r : new Runner(options).run()) {
            String label = r.getParams().getBenchmark();
            ns.put(label.substring(label.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        double ours = ns.getOrDefault("nearCacheGet", Double.NaN);
        double caffeine = ns.getOrDefault("caffeineGetIfPresent", Double.NaN);
        return String.format(Locale.ROOT, "(d) hit path (JMH, average time per call): nearcache get %.1f ns,"
                + " Caffeine getIfPresent %.1f ns, ratio %.2fx (target at most 1.5x)%n", ours, caffeine,
                ours / caffeine);
    }

    // ---- reporting --------------------------------------------------------------------------------------------

    private static String table(List<Result> results, String redisVersion, String jmh) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Redis %s on loopback, %d cores; 100,000 keys of 100 bytes; 500"
                + " writes/s from another client.%n%n", redisVersion, Runtime.getRuntime().availableProcessors()));
        sb.append("| workload | system | reads/s | hit ratio | p50 µs | p99 µs | bytes/read | stale keys |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            boolean ceiling = r.system.startsWith("hand-written");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %s | %s | %s | %s | %s |%n", r.workload,
                    r.system, r.readsPerSecond, ceiling ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.hitRatio),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.1f", r.p50),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.1f", r.p99),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.0f", r.bytesPerRead),
                    ceiling ? "-" : r.stale + " of " + HOT_KEYS));
        }
        sb.append('\n');
        for (String workload : results.stream().map(Result::workload).distinct().toList()) {
            double ours = find(results, workload, "nearcache");
            double redisson = find(results, workload, "Redisson RClientSideCaching");
            double mget = find(results, workload, "hand-written MGET x100 (ceiling)");
            sb.append(String.format(Locale.ROOT, "%s: nearcache %.2fx Redisson", workload, ours / redisson));
            if (!Double.isNaN(mget)) {
                sb.append(String.format(Locale.ROOT, ", %.0f%% of hand-written MGET keys/s", 100 * ours / mget));
            }
            sb.append('\n');
        }
        sb.append(jmh);
        return sb.toString();
    }

    private static double find(List<Result> results, String workload, String system) {
        return results.stream().filter(r -> r.workload.equals(workload) && r.system.equals(system))
                .mapToDouble(Result::readsPerSecond).findFirst().orElse(Double.NaN);
    }

    private static void plot(List<Result> results, Path png) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(520)
                .title("Reads per second, side by side in one run").xAxisTitle("workload").yAxisTitle("reads/s")
                .build();
        List<String> workloads = results.stream().map(Result::workload).distinct().toList();
        for (String system : results.stream().map(Result::system).distinct().toList()) {
            List<Double> values = new ArrayList<>();
            for (String workload : workloads) {
                double v = find(results, workload, system);
                values.add(Double.isNaN(v) ? 0 : v);
            }
            chart.addSeries(system, workloads, values);
        }
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    // ---- data ---------------------------------------------------------------------------------------------------

    private static void seed(StatefulRedisConnection<String, String> connection) {
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            batch.put(BenchSupport.key(i), BenchSupport.value(i));
            if (batch.size() == 1000) {
                connection.sync().mset(batch);
                batch.clear();
            }
        }
    }

    private static String nextKey(Workload w, double[] zipf) {
        return BenchSupport.key(w.zipf ? BenchSupport.zipfRank(zipf) : ThreadLocalRandom.current().nextInt(KEYS));
    }


    private static long keyspaceLookups(StatefulRedisConnection<String, String> direct) {
        long total = 0;
        for (String line : direct.sync().info("stats").split("\r?\n")) {
            if (line.startsWith("keyspace_hits:") || line.startsWith("keyspace_misses:")) {
                total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return total;
    }

}
