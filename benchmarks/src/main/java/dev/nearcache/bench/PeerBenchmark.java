package dev.nearcache.bench;

import dev.nearcache.bench.PeerSystems.Reader;
import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheBuilder;
import dev.nearcache.core.NearCacheStats;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
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

/**
 * This library against the near caches users would otherwise pick, side by side in one JVM against one local
 * redis-server started by the test kit, taking turns: Lettuce's {@code ClientSideCaching}, Redisson's
 * {@code RClientSideCaching} over RESP3, and plain Lettuce GET on one shared connection.
 *
 * <p>Workloads: (a) Zipf 0.99 over 100,000 keys of 100 bytes, near caches of 10,000 entries, 16 reader threads,
 * 500 writes/s from another client; (b) uniform keys with near caches of 1,000 entries (about 1% hits), plus
 * hand-written 100-key MGETs as the ceiling; (c) as (a) with 64 threads; (s) as (b) with 1, 4 and 64 threads, for
 * this library and plain GET; (o) open loop: uniform and Zipf reads at fixed offered rates ({@link OpenLoop}); (d)
 * JMH, the hit path only. Closed-loop runs report reads/s, hit ratio (1 - Redis's keyspace lookups / reads, a miss
 * that also reads its PTTL counted once), p50/p99, CPU per read (this JVM's and redis-server's, over the measured
 * seconds), keys per MGET, bytes allocated per read by the reader threads, and stale keys: after writes stop and
 * 3 s pass, the 2,000 hottest keys are read through the system and compared with Redis.
 *
 * <p>This machine's speed drifts by up to 20% over minutes, so every closed-loop workload runs in rounds: each
 * system takes a turn per round (the first round warms it up for longer), and each is reported by its median
 * round. Run the JVM with {@code -XX:+AlwaysPreTouch} (benchmarks/pom.xml does): without it the first system of a
 * run pays the kernel for the heap's first touch, measured at 25% of its client CPU.
 *
 * <p>Options: {@code --seconds N} (measured per turn, default 5), {@code --warmup N} (first-round warm-up, 8),
 * {@code --rounds N} (3), {@code --rates 10000,30000,60000} (open loop), {@code --out DIR} (where the table and the
 * plots go, default docs), {@code --skip-jmh}, {@code --workloads a,b,c,s,o}, {@code --systems name,...} (exact
 * names; "nearcache (1 connection)" and "nearcache (4 connections)" run only when named), {@code --profile DIR}
 * (async-profiler CPU profiles of each measured turn, see {@link Profiling}).
 */
public final class PeerBenchmark {
    private static final int KEYS = 100_000;
    private static final int HOT_KEYS = 2_000;
    private static final int WRITES_PER_SECOND = 500;

    private PeerBenchmark() {
    }

    private record Workload(String id, String name, boolean zipf, int cacheSize, int threads) {
    }

    private static final String NEARCACHE = "nearcache";
    private static final String NEARCACHE_TTL_OFF = "nearcache (server TTL off)";
    private static final String REDISSON = "Redisson RClientSideCaching";
    private static final String LETTUCE_CSC = "Lettuce ClientSideCaching";
    private static final String GET = "Lettuce GET";

    private record Result(String workload, String system, double readsPerSecond, double hitRatio, double p50,
                          double p99, double bytesPerRead, int stale, double clientCpuMicros, double redisCpuMicros,
                          double keysPerBatch) {
    }

    private static Path profileDir;

    public static void main(String[] args) throws Exception {
        String profile = BenchSupport.option(args, "--profile", null);
        profileDir = profile == null ? null : Path.of(profile);
        int seconds = BenchSupport.intOption(args, "--seconds", 5);
        int warmup = BenchSupport.intOption(args, "--warmup", 8);
        int rounds = BenchSupport.intOption(args, "--rounds", 3);
        int[] rates = BenchSupport.ints(BenchSupport.option(args, "--rates", "10000,30000,60000"));
        Path out = Path.of(BenchSupport.option(args, "--out", "docs"));
        boolean skipJmh = Arrays.asList(args).contains("--skip-jmh");
        String only = BenchSupport.option(args, "--workloads", "a,b,c,s,o");
        String systemsOnly = BenchSupport.option(args, "--systems", "");
        double[] zipf = BenchSupport.zipfCdf(KEYS, 0.99);
        List<Result> results = new ArrayList<>();
        List<OpenLoop.Point> openLoop = new ArrayList<>();
        String redisVersion;
        try (RedisServer redis = RedisServers.start()) {
            redisVersion = redis.version() + " (" + redis.source() + ")";
            System.out.printf("Redis %s on loopback, %d cores, %d s per run after %d s warm-up%n", redisVersion,
                    Runtime.getRuntime().availableProcessors(), seconds, warmup);
            RedisClient admin = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> direct = admin.connect()) {
                BenchSupport.seed(direct, KEYS);
                Map<String, Function<Integer, Reader>> systems = new LinkedHashMap<>();
                systems.put(NEARCACHE, size -> nearCache(redis, size, true, 0));
                systems.put(NEARCACHE_TTL_OFF, size -> nearCache(redis, size, false, 0));
                systems.put(REDISSON, size -> PeerSystems.redisson(redis.uri(), size));
                systems.put(LETTUCE_CSC, size -> PeerSystems.lettuceCsc(redis.uri(), size));
                systems.put(GET, size -> PeerSystems.plainGet(redis.uri()));
                // run only when named in --systems: settings under study
                Map<String, Function<Integer, Reader>> extra = new LinkedHashMap<>();
                extra.put("nearcache (1 connection)", size -> nearCache(redis, size, true, 1));
                extra.put("nearcache (4 connections)", size -> nearCache(redis, size, true, 4));
                extra.forEach((name, system) -> {
                    if (!systemsOnly.isEmpty() && selected(systemsOnly, name)) {
                        systems.put(name, system);
                    }
                });
                List<String> sweepSystems = List.of(NEARCACHE, NEARCACHE_TTL_OFF, GET);
                List<Workload> workloads = List.of(new Workload("a", "(a) Zipf, 16 threads", true, 10_000, 16),
                        new Workload("b", "(b) uniform, 16 threads", false, 1_000, 16),
                        new Workload("c", "(c) Zipf, 64 threads", true, 10_000, 64),
                        new Workload("s", "(s) uniform, 1 thread", false, 1_000, 1),
                        new Workload("s", "(s) uniform, 4 threads", false, 1_000, 4),
                        new Workload("s", "(s) uniform, 64 threads", false, 1_000, 64));
                for (Workload w : workloads) {
                    if (!List.of(only.split(",")).contains(w.id)) {
                        continue;
                    }
                    System.out.println("== " + w.name);
                    List<Result> turns = new ArrayList<>();
                    for (int round = 1; round <= rounds; round++) {
                        for (Map.Entry<String, Function<Integer, Reader>> system : systems.entrySet()) {
                            if (!selected(systemsOnly, system.getKey())
                                    || (w.id.equals("s") && !sweepSystems.contains(system.getKey()))) {
                                continue;
                            }
                            try (Reader reader = system.getValue().apply(w.cacheSize)) {
                                // the first round warms the JIT up; the last checks for stale keys
                                turns.add(run(w, system.getKey(), reader, direct, zipf, seconds,
                                        round == 1 ? warmup : 2, round == rounds));
                            }
                        }
                    }
                    results.addAll(medians(turns));
                    if (w.id.equals("b")) {
                        results.add(mgetCeiling(w, direct, seconds, warmup));
                    }
                }
                if (List.of(only.split(",")).contains("o")) {
                    System.out.println("== (o) open loop, fixed offered rates");
                    for (boolean zipfKeys : new boolean[] {false, true}) {
                        Workload w = zipfKeys ? new Workload("o", "Zipf", true, 10_000, 0)
                                : new Workload("o", "uniform", false, 1_000, 0);
                        for (String system : systemsOnly.isEmpty() ? List.of(NEARCACHE, GET, LETTUCE_CSC)
                                : List.of(systemsOnly.split(","))) {
                            if (!systems.containsKey(system)) {
                                continue;
                            }
                            try (Reader reader = systems.get(system).apply(w.cacheSize)) {
                                for (int rate : rates) {
                                    openLoop.add(OpenLoop.run(w.name, system, rate, () -> nextKey(w, zipf),
                                            reader::get, seconds, Math.max(2, warmup / 2)));
                                }
                            }
                        }
                    }
                }
            } finally {
                admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
        String jmh = skipJmh ? "" : hitPath();
        String table = table(results, redisVersion, jmh) + OpenLoop.table(openLoop);
        System.out.println();
        System.out.println(table);
        Files.createDirectories(out);
        Files.writeString(out.resolve("benchmarks.md"), table);
        if (!results.isEmpty()) {
            plot(results, out.resolve("benchmarks.png"));
        }
        if (!openLoop.isEmpty()) {
            OpenLoop.plot(openLoop, out.resolve("benchmarks-latency.png"));
        }
        System.out.println("wrote " + out.resolve("benchmarks.md") + " and the plots");
        System.exit(0); // Redisson and Lettuce leave non-daemon threads of their own behind
    }

    /**
     * Per system, the round with the median reads/s (this machine's speed drifts by 20% over minutes: systems take
     * turns, and each is judged by its middle turn), with the stale keys found in the last round.
     */
    private static List<Result> medians(List<Result> turns) {
        List<Result> medians = new ArrayList<>();
        for (String system : turns.stream().map(Result::system).distinct().toList()) {
            List<Result> mine = turns.stream().filter(r -> r.system.equals(system))
                    .sorted(java.util.Comparator.comparingDouble(Result::readsPerSecond)).toList();
            Result median = mine.get(mine.size() / 2);
            int stale = mine.stream().mapToInt(Result::stale).max().orElse(-1);
            medians.add(new Result(median.workload, system, median.readsPerSecond, median.hitRatio, median.p50,
                    median.p99, median.bytesPerRead, stale, median.clientCpuMicros, median.redisCpuMicros,
                    median.keysPerBatch));
        }
        return medians;
    }

    /** Whether {@code system} is among the comma-separated names of {@code --systems} (all when empty). */
    private static boolean selected(String systemsOnly, String system) {
        return systemsOnly.isEmpty() || List.of(systemsOnly.split(",")).contains(system);
    }

    // ---- systems ----------------------------------------------------------------------------------------------

    /** The near cache with its defaults but for {@code serverTtl} and, unless 0, the number of connections. */
    private static Reader nearCache(RedisServer redis, int size, boolean serverTtl, int connections) {
        NearCacheBuilder<String, String> builder = NearCache.builder().redisUri(redis.uri()).maximumSize(size)
                .serverTtl(serverTtl);
        if (connections > 0) {
            builder.connections(connections);
        }
        NearCache<String, String> cache = builder.build();
        return new Reader() {
            public String get(String key) {
                return cache.get(key);
            }

            public int lookupsPerMiss() {
                return serverTtl ? 2 : 1;
            }

            public long[] keysAndBatches() {
                NearCacheStats stats = cache.stats();
                return new long[] {stats.loads(), stats.batches()};
            }

            public void close() {
                cache.close();
            }
        };
    }

    // ---- runs -------------------------------------------------------------------------------------------------

    @SuppressWarnings("try") // the profiler only has to run while the measured seconds pass
    private static Result run(Workload w, String system, Reader reader, StatefulRedisConnection<String, String> direct,
                              double[] zipf, int seconds, int warmup, boolean checkStale) throws Exception {
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
        long lookupsBefore = BenchSupport.keyspaceLookups(direct);
        long[] batchesBefore = reader.keysAndBatches();
        long clientCpuBefore = BenchSupport.processCpuNanos();
        long switchesBefore = BenchSupport.contextSwitches();
        double redisCpuBefore = BenchSupport.redisCpuSeconds(direct);
        long start = System.nanoTime();
        measuring.set(true);
        try (Profiling profiling = Profiling.start(profileDir, w.name + " " + system)) {
            Thread.sleep(seconds * 1000L);
        }
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        long clientCpu = BenchSupport.processCpuNanos() - clientCpuBefore;
        long switches = BenchSupport.contextSwitches() - switchesBefore;
        double redisCpu = BenchSupport.redisCpuSeconds(direct) - redisCpuBefore;
        long lookups = BenchSupport.keyspaceLookups(direct) - lookupsBefore;
        long[] batchesAfter = reader.keysAndBatches();
        double keysPerBatch = batchesAfter == null ? Double.NaN
                : (double) (batchesAfter[0] - batchesBefore[0]) / Math.max(1, batchesAfter[1] - batchesBefore[1]);
        Thread.sleep(50);
        stop.set(true);
        done.await();

        // stale keys: writes stop, the contract's 3 s pass, then every hot key is read through the system
        writing.set(false);
        writer.join();
        int stale = checkStale ? BenchSupport.staleKeys(HOT_KEYS, reader::get, direct.sync()::get) : -1;

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
                all.getValueAtPercentile(99) / 1e3, (double) bytes / Math.max(1, reads), stale,
                clientCpu / 1e3 / Math.max(1, reads), redisCpu * 1e6 / Math.max(1, reads), keysPerBatch);
        System.out.printf(Locale.ROOT, "  %-30s %,12.0f reads/s  hits %5.1f%%  p50 %7.1f us  p99 %8.1f us"
                        + "  %6.0f B/read  CPU %.2f + %.2f us/read  %.2f switches/read  %sstale %s%n", system,
                result.readsPerSecond, 100 * result.hitRatio, result.p50, result.p99, result.bytesPerRead,
                result.clientCpuMicros, result.redisCpuMicros, (double) switches / Math.max(1, reads),
                Double.isNaN(keysPerBatch) ? "" : String.format(Locale.ROOT, "%.1f keys/MGET ", keysPerBatch),
                stale < 0 ? "not checked" : stale + " of " + HOT_KEYS);
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
        long elapsed = BenchSupport.measuredWindow(measuring, warmup, seconds);
        stop.set(true);
        done.await();
        double perSecond = Arrays.stream(keys).sum() / (elapsed / 1e9);
        System.out.printf(Locale.ROOT, "  %-30s %,12.0f keys/s%n", "hand-written MGET x100", perSecond);
        return new Result(w.name, "hand-written MGET x100 (ceiling)", perSecond, 0, 0, 0, 0, 0, Double.NaN,
                Double.NaN, 100);
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
                + " Caffeine getIfPresent %.1f ns, ratio %.2fx (target at most 1.3x)%n", ours, caffeine,
                ours / caffeine);
    }

    // ---- reporting --------------------------------------------------------------------------------------------

    private static String table(List<Result> results, String redisVersion, String jmh) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Redis %s on loopback, %d cores; 100,000 keys of 100 bytes; 500"
                + " writes/s from another client. CPU µs/read: this JVM's process CPU (the load driver's own threads"
                + " included) and redis-server's, over the measured seconds, per read.%n%n", redisVersion,
                Runtime.getRuntime().availableProcessors()));
        sb.append("| workload | system | reads/s | hit ratio | p50 µs | p99 µs | CPU µs/read client + Redis"
                + " | keys/MGET | bytes/read | stale keys |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            boolean ceiling = r.system.startsWith("hand-written");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %s | %s | %s | %s | %s | %s | %s |%n",
                    r.workload, r.system, r.readsPerSecond,
                    ceiling ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.hitRatio),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.1f", r.p50),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.1f", r.p99),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.1f + %.1f = %.1f", r.clientCpuMicros,
                            r.redisCpuMicros, r.clientCpuMicros + r.redisCpuMicros),
                    Double.isNaN(r.keysPerBatch) ? "-" : String.format(Locale.ROOT, "%.1f", r.keysPerBatch),
                    ceiling ? "-" : String.format(Locale.ROOT, "%.0f", r.bytesPerRead),
                    ceiling ? "-" : r.stale + " of " + HOT_KEYS));
        }
        sb.append('\n');
        for (String workload : results.stream().map(Result::workload).distinct().toList()) {
            double ours = find(results, workload, NEARCACHE);
            sb.append(workload).append(": nearcache");
            ratio(sb, ours, find(results, workload, GET), "plain GET");
            ratio(sb, ours, find(results, workload, LETTUCE_CSC), "Lettuce's cache");
            ratio(sb, ours, find(results, workload, REDISSON), "Redisson");
            ratio(sb, ours, find(results, workload, NEARCACHE_TTL_OFF), "itself with the server TTL off");
            double mget = find(results, workload, "hand-written MGET x100 (ceiling)");
            if (!Double.isNaN(mget)) {
                sb.append(String.format(Locale.ROOT, ", %.0f%% of hand-written MGET keys/s", 100 * ours / mget));
            }
            sb.append('\n');
        }
        sb.append(jmh);
        return sb.toString();
    }

    private static void ratio(StringBuilder sb, double ours, double other, String name) {
        if (!Double.isNaN(other) && !Double.isNaN(ours)) {
            sb.append(String.format(Locale.ROOT, ", %.2fx %s", ours / other, name));
        }
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

    private static String nextKey(Workload w, double[] zipf) {
        return BenchSupport.key(w.zipf ? BenchSupport.zipfRank(zipf) : ThreadLocalRandom.current().nextInt(KEYS));
    }
}
