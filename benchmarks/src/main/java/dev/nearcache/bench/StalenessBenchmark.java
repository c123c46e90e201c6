package dev.nearcache.bench;

import dev.nearcache.bench.PeerSystems.Reader;
import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * How stale the reads served <em>while writes happen</em> are, for each system, measured from outside with one
 * monotonic clock in one JVM against one local redis-server started by the test kit.
 *
 * <p>Another client writes versions 1, 2, 3... of 100 hot keys, {@code --writes} (2,000) times a second in all, and
 * records when Redis acknowledged each {@code SET}. Reader threads read random hot keys through the system as fast as
 * they can. A read is <b>stale</b> if it started after the acknowledgement of a newer version than the one it
 * returned; its <b>staleness</b> is how long after that acknowledgement (of the version right after the one it got)
 * it started. Plain GET is the control: 0 by construction. A second control times the floor: a connection that
 * only listens (BCAST of the hot keys) records how long after each write's acknowledgement its invalidation reached
 * a Java I/O thread (0 when it came first), in the same run, under the same load. Per system and reader count: the
 * share of stale reads and the staleness p50, p99, p99.9 and max (HdrHistogram), over {@code --seconds} after
 * {@code --warmup}.
 *
 * <p>Options: {@code --seconds N} (10), {@code --warmup N} (3), {@code --readers 1,8}, {@code --writes N} (2000),
 * {@code --systems a,b} (all), {@code --out DIR} ({@code benchmarks-staleness.md}, default docs). Run it with
 * {@code ./mvnw -q -pl benchmarks -am -Dmaven.test.skip package exec:exec -Dbench=StalenessBenchmark}.
 */
public final class StalenessBenchmark {
    private static final int KEYS = 100;
    /** The peers' local cache size (the near cache keeps its default, 10,000 entries, too). */
    private static final int CACHE_SIZE = 10_000;
    private static final int MAX_VERSIONS = 1 << 16;
    private static final long NEVER = Long.MAX_VALUE;
    private static final String NEARCACHE = "nearcache";
    private static final String REDISSON = "Redisson RClientSideCaching";
    private static final String LETTUCE_CSC = "Lettuce ClientSideCaching";
    private static final String PLAIN_GET = "plain GET (control)";

    private StalenessBenchmark() {
    }

    private record Result(int readers, String system, long reads, long stale, Histogram staleness, Histogram push) {
        double stalePercent() {
            return 100.0 * stale / Math.max(1, reads);
        }

        String micros(double percentile) {
            if (stale == 0) {
                return "-";
            }
            long value = percentile >= 100 ? staleness.getMaxValue() : staleness.getValueAtPercentile(percentile);
            return value >= 10_000_000 ? String.format(Locale.ROOT, "%.1f s", value / 1e6)
                    : value >= 10_000 ? String.format(Locale.ROOT, "%.1f ms", value / 1e3)
                    : String.format(Locale.ROOT, "%d µs", value);
        }
    }

    static String key(int i) {
        return "stale:" + i;
    }

    public static void main(String[] args) throws Exception {
        int seconds = BenchSupport.intOption(args, "--seconds", 10);
        int warmup = BenchSupport.intOption(args, "--warmup", 3);
        int writes = BenchSupport.intOption(args, "--writes", 2000);
        int[] readerCounts = BenchSupport.ints(BenchSupport.option(args, "--readers", "1,8"));
        String only = BenchSupport.option(args, "--systems", "");
        Path out = Path.of(BenchSupport.option(args, "--out", "docs"));
        if (seconds < 1 || warmup < 0 || writes < 1 || (long) writes * (seconds + warmup + 5) / KEYS >= MAX_VERSIONS) {
            throw new IllegalArgumentException("--seconds and --writes must be at least 1 (and their product below "
                    + (long) MAX_VERSIONS * KEYS + "), --warmup at least 0");
        }
        List<Result> results = new ArrayList<>();
        String version;
        try (RedisServer redis = RedisServers.start()) {
            version = redis.version() + " (" + redis.source() + ")";
            System.out.printf("Redis %s on loopback, %d cores, %d hot keys, %d writes/s, %d s per run after %d s"
                            + " warm-up%n", version, Runtime.getRuntime().availableProcessors(), KEYS, writes, seconds,
                    warmup);
            Map<String, Function<RedisServer, Reader>> systems = new LinkedHashMap<>();
            systems.put(NEARCACHE, StalenessBenchmark::nearCache);
            systems.put(REDISSON, server -> PeerSystems.redisson(server.uri(), CACHE_SIZE));
            systems.put(LETTUCE_CSC, server -> PeerSystems.lettuceCsc(server.uri(), CACHE_SIZE));
            systems.put(PLAIN_GET, server -> PeerSystems.plainGet(server.uri()));
            for (int readers : readerCounts) {
                System.out.println("== " + readers + " reader thread(s)");
                for (Map.Entry<String, Function<RedisServer, Reader>> system : systems.entrySet()) {
                    if (!only.isEmpty() && !List.of(only.split(",")).contains(system.getKey())) {
                        continue;
                    }
                    try (Reader reader = system.getValue().apply(redis)) {
                        results.add(run(redis, system.getKey(), reader, readers, writes, seconds, warmup));
                    }
                }
            }
        }
        String table = table(results, version, writes, seconds, warmup);
        System.out.println();
        System.out.println(table);
        Files.createDirectories(out);
        Path md = out.resolve("benchmarks-staleness.md");
        Files.writeString(md, table);
        Path png = out.resolve("benchmarks-staleness.png");
        plot(results, png);
        System.out.println("wrote " + md + " and " + png);
        System.exit(0); // Redisson and Lettuce leave non-daemon threads of their own behind
    }

    // ---- systems ----------------------------------------------------------------------------------------------

    private static Reader nearCache(RedisServer redis) {
        NearCache<String, String> cache = NearCache.builder().redisUri(redis.uri()).build();
        return new Reader() {
            public String get(String key) {
                return cache.get(key);
            }

            public void close() {
                cache.close();
            }
        };
    }

    // ---- a run ------------------------------------------------------------------------------------------------

    private static Result run(RedisServer redis, String system, Reader reader, int readerCount, int writesPerSecond,
                              int seconds, int warmup) throws Exception {
        // acks[k].get(v): when Redis acknowledged version v of key k (NEVER until then); version 0 is the seed
        AtomicLongArray[] acks = new AtomicLongArray[KEYS];
        AtomicLongArray versions = new AtomicLongArray(KEYS); // the version last sent, per key
        RedisClient writerClient = RedisClient.create(redis.uri());
        Histogram push = new Histogram(60_000_000L, 3);
        try (StatefulRedisConnection<String, String> writer = writerClient.connect();
             StatefulRedisConnection<String, String> probe = writerClient.connect()) {
            // the control: when each write's invalidation reaches a Java I/O thread, after Redis acknowledged the
            // write, on a connection that only listens (BCAST of the hot keys, pushes on itself)
            probe.addListener(message -> {
                long now = System.nanoTime();
                if (!"invalidate".equals(message.getType())) {
                    return;
                }
                Object keys = message.getContent(java.nio.ByteBuffer::duplicate).get(1);
                if (keys instanceof List<?> list) {
                    for (Object key : list) {
                        String name = java.nio.charset.StandardCharsets.UTF_8.decode((java.nio.ByteBuffer) key)
                                .toString();
                        int k = Integer.parseInt(name.substring(name.indexOf(':') + 1));
                        long ack = acks[k] == null ? NEVER : acks[k].get((int) versions.get(k));
                        synchronized (push) {
                            push.recordValue(ack == NEVER || ack > now ? 0 : Math.min((now - ack) / 1000, 60_000_000L));
                        }
                    }
                }
            });
            probe.sync().clientTracking(TrackingArgs.Builder.enabled().bcast().prefixes("stale:"));
            for (int k = 0; k < KEYS; k++) {
                acks[k] = new AtomicLongArray(MAX_VERSIONS);
                for (int v = 1; v < MAX_VERSIONS; v++) {
                    acks[k].set(v, NEVER);
                }
                writer.sync().set(key(k), "0");
                acks[k].set(0, System.nanoTime());
            }
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writerThread = BenchSupport.startWriter(writesPerSecond, writing, n -> {
                int k = ThreadLocalRandom.current().nextInt(KEYS);
                long v = versions.incrementAndGet(k);
                writer.sync().set(key(k), Long.toString(v));
                acks[k].set((int) v, System.nanoTime()); // after the acknowledgement arrived
            });
            AtomicBoolean measuring = new AtomicBoolean(false);
            AtomicBoolean stop = new AtomicBoolean(false);
            long[] reads = new long[readerCount];
            long[] stale = new long[readerCount];
            Histogram[] histograms = new Histogram[readerCount];
            CountDownLatch done = new CountDownLatch(readerCount);
            for (int t = 0; t < readerCount; t++) {
                int id = t;
                histograms[id] = new Histogram(60_000_000L, 3); // µs, up to a minute
                Thread thread = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            int k = ThreadLocalRandom.current().nextInt(KEYS);
                            long start = System.nanoTime();
                            String value;
                            try {
                                value = reader.get(key(k));
                            } catch (RuntimeException e) {
                                continue;
                            }
                            if (!measuring.get() || value == null) {
                                continue;
                            }
                            reads[id]++;
                            long next = acks[k].get((int) Long.parseLong(value) + 1);
                            if (next < start) { // a newer version was acknowledged before this read started
                                stale[id]++;
                                histograms[id].recordValue(Math.min((start - next) / 1000, 60_000_000L));
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
            synchronized (push) {
                push.reset();
            }
            measuring.set(true);
            Thread.sleep(seconds * 1000L);
            measuring.set(false);
            stop.set(true);
            done.await();
            writing.set(false);
            writerThread.join();
            Histogram all = new Histogram(60_000_000L, 3);
            long totalReads = 0;
            long totalStale = 0;
            for (int t = 0; t < readerCount; t++) {
                all.add(histograms[t]);
                totalReads += reads[t];
                totalStale += stale[t];
            }
            Histogram pushes;
            synchronized (push) {
                pushes = push.copy();
            }
            Result result = new Result(readerCount, system, totalReads, totalStale, all, pushes);
            System.out.printf(Locale.ROOT, "  %-30s %,12d reads  stale %6.3f%%  p50 %8s  p99 %8s  p99.9 %8s  max %8s"
                            + "  (control: push after ack p99 %d µs, max %d µs)%n", system, totalReads,
                    result.stalePercent(), result.micros(50), result.micros(99), result.micros(99.9),
                    result.micros(100), pushes.getValueAtPercentile(99), pushes.getMaxValue());
            return result;
        } finally {
            writerClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /**
     * Two log-scale charts side by side: the share of stale reads, and the staleness p99, per reader count and system
     * (the control, plain GET, is left out: it has none).
     */
    private static void plot(List<Result> results, Path png) throws IOException {
        List<CategoryChart> charts = new ArrayList<>();
        for (boolean share : new boolean[] {true, false}) {
            CategoryChart chart = new CategoryChartBuilder().width(640).height(420)
                    .title(share ? "Stale reads while writes happen (% of reads)" : "Staleness p99 (ms)")
                    .xAxisTitle("reader threads").yAxisTitle(share ? "% of reads, log scale" : "ms, log scale").build();
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setYAxisMin(share ? 0.01 : 0.1); // bars start at the axis minimum, never 0 on a log axis
            chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
            List<String> readers = results.stream().map(r -> Integer.toString(r.readers())).distinct().toList();
            for (String system : results.stream().map(Result::system).distinct().toList()) {
                if (system.equals(PLAIN_GET)) {
                    continue;
                }
                List<Double> values = new ArrayList<>();
                for (String count : readers) {
                    Result r = results.stream().filter(x -> x.system().equals(system)
                            && Integer.toString(x.readers()).equals(count)).findFirst().orElse(null);
                    double v = r == null || r.stale() == 0 ? 0.01
                            : share ? r.stalePercent() : r.staleness().getValueAtPercentile(99) / 1000.0;
                    values.add(Math.max(v, share ? 0.01 : 0.1));
                }
                chart.addSeries(system, readers, values);
            }
            charts.add(chart);
        }
        BitmapEncoder.saveBitmap(charts, 1, 2, png.toString(),
                BitmapEncoder.BitmapFormat.PNG);
    }

    private static String table(List<Result> results, String version, int writes, int seconds, int warmup) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Redis %s on loopback, %d cores; %d hot keys, %,d writes/s from another"
                        + " client; readers read random hot keys as fast as they can; %d s measured after %d s warm-up"
                        + " per run. A read is stale if it started after Redis acknowledged a newer version than the"
                        + " one it returned; staleness is how long after that acknowledgement it started.%n%n",
                version, Runtime.getRuntime().availableProcessors(), KEYS, writes, seconds, warmup));
        sb.append("| readers | system | reads | stale reads | staleness p50 | p99 | p99.9 | max | control: push"
                + " after ack p99 / max |\n");
        sb.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %,d | %.3f%% | %s | %s | %s | %s | %d µs / %d µs |%n",
                    r.readers, r.system, r.reads, r.stalePercent(), r.micros(50), r.micros(99), r.micros(99.9),
                    r.micros(100), r.push.getValueAtPercentile(99), r.push.getMaxValue()));
        }
        return sb.toString();
    }
}
