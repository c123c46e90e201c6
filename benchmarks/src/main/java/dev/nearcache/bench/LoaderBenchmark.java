package dev.nearcache.bench;

import dev.nearcache.loader.BatchingLoader;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Load driver for the batching loader: plain Lettuce GET on one shared connection, the loader, and hand-written
 * MGETs of 100 keys (the server's ceiling for misses), taking turns against one local redis-server started by the
 * test kit, over 100,000 keys of 100 bytes read uniformly at random by 1, 16 and 64 blocking caller threads.
 *
 * <p>Options: {@code --seconds N} (measured time per cell, default 5), {@code --warmup N} (default 2),
 * {@code --callers 1,16,64}, {@code --async-callers 16,64,1600}, {@code --sweep} (also the loader with 1, 2
 * and 4 connections and batches of 32, 128 and 512, to choose the defaults; {@code --sweep-connections} and
 * {@code --sweep-batches} change those lists). {@code REDIS_URL} points it at another server.
 */
public final class LoaderBenchmark {
    private static final int KEYS = 100_000;
    private static final int VALUE_BYTES = 100;
    private static final int MGET_KEYS = 100;

    private LoaderBenchmark() {
    }

    /** One way of reading keys: returns how many keys one call read. */
    private interface Reader {
        int read(ThreadLocalRandom random);
    }

    /** One way of reading a key asynchronously. */
    private interface AsyncReader {
        CompletionStage<?> read(String key);
    }

    private record Result(String system, int callers, double keysPerSecond, double p50Micros, double p99Micros,
                          double meanMicros) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = BenchSupport.intOption(args, "--seconds", 5);
        int warmup = BenchSupport.intOption(args, "--warmup", 2);
        int[] callers = BenchSupport.ints(BenchSupport.option(args, "--callers", "1,16,64"));
        boolean sweep = Arrays.asList(args).contains("--sweep");
        int[] asyncCallers = BenchSupport.ints(BenchSupport.option(args, "--async-callers", "16,64,1600"));

        try (RedisServer redis = RedisServers.start()) {
            System.out.printf("Redis %s (%s) at %s; %d cores; %d keys of %d bytes, uniform; %d s per cell after %d s"
                            + " warm-up%n", redis.version(), redis.source(), redis.host() + ":" + redis.port(),
                    Runtime.getRuntime().availableProcessors(), KEYS, VALUE_BYTES, seconds, warmup);
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> shared = client.connect()) {
                seed(shared);
                // one untimed pass first, so that no system is measured while the JIT still compiles its code
                try (BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(redis.uri()).build()) {
                    run("warm-up GET", 16, warmup, 0, r -> {
                        shared.sync().get(key(r));
                        return 1;
                    });
                    run("warm-up loader", 16, warmup, 0, r -> {
                        loader.get(key(r));
                        return 1;
                    });
                    runAsync("warm-up GET async", 64, warmup, 0, k -> shared.async().get(k));
                    runAsync("warm-up loader async", 256, warmup, 0, loader::load);
                }
                List<Result> results = new ArrayList<>();
                for (int n : callers) {
                    results.add(run("lettuce GET", n, seconds, warmup, r -> {
                        shared.sync().get(key(r));
                        return 1;
                    }));
                    try (BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(redis.uri())
                            .build()) {
                        results.add(run("loader", n, seconds, warmup, r -> {
                            loader.get(key(r));
                            return 1;
                        }));
                    }
                    results.add(run("MGET x" + MGET_KEYS, n, seconds, warmup, r -> {
                        String[] keys = new String[MGET_KEYS];
                        for (int i = 0; i < keys.length; i++) {
                            keys[i] = key(r);
                        }
                        shared.sync().mget(keys);
                        return MGET_KEYS;
                    }));
                }
                System.out.println("async callers: each keeps one load outstanding and issues the next from the"
                        + " completion, with no thread hand-off");
                for (int n : asyncCallers) {
                    results.add(runAsync("lettuce GET async", n, seconds, warmup, k -> shared.async().get(k)));
                    try (BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(redis.uri())
                            .build()) {
                        results.add(runAsync("loader async", n, seconds, warmup, loader::load));
                    }
                    // what the near cache's serverTtl costs on the miss path: each MGET followed by its PTTL script
                    try (BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(redis.uri())
                            .readTtls(true).build()) {
                        results.add(runAsync("loader async + TTLs", n, seconds, warmup, loader::load));
                    }
                }
                if (sweep) {
                    int[] sweepConnections =
                            BenchSupport.ints(BenchSupport.option(args, "--sweep-connections", "1,2,4"));
                    int[] sweepBatches = BenchSupport.ints(BenchSupport.option(args, "--sweep-batches", "32,128,512"));
                    for (int connections : sweepConnections) {
                        for (int batch : sweepBatches) {
                            try (BatchingLoader<String, String> loader = BatchingLoader.builder()
                                    .redisUri(redis.uri()).connections(connections).maxBatchSize(batch).build()) {
                                String name = "loader c=" + connections + " b=" + batch;
                                results.add(run(name, 16, seconds, warmup, r -> {
                                    loader.get(key(r));
                                    return 1;
                                }));
                                results.add(runAsync(name + " async", 64, seconds, warmup, loader::load));
                                results.add(runAsync(name + " async", 1600, seconds, warmup, loader::load));
                            }
                        }
                    }
                }
                print(results);
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }

    private static void seed(StatefulRedisConnection<String, String> connection) {
        Random random = new Random(1);
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            char[] value = new char[VALUE_BYTES];
            for (int j = 0; j < value.length; j++) {
                value[j] = (char) ('a' + random.nextInt(26));
            }
            batch.put(keyOf(i), new String(value));
            if (batch.size() == 1000) {
                connection.sync().mset(batch);
                batch.clear();
            }
        }
    }

    private static String keyOf(int i) {
        return "bench:" + i;
    }

    private static String key(ThreadLocalRandom random) {
        return keyOf(random.nextInt(KEYS));
    }

    private static Result run(String system, int callers, int seconds, int warmup, Reader reader) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        Histogram[] histograms = new Histogram[callers];
        long[] keys = new long[callers];
        CountDownLatch done = new CountDownLatch(callers);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            int id = t;
            histograms[id] = new Histogram(60_000_000_000L, 2);
            Thread thread = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                Histogram histogram = histograms[id];
                long count = 0;
                try {
                    while (!stop.get()) {
                        long start = System.nanoTime();
                        int read = reader.read(random);
                        long elapsed = System.nanoTime() - start;
                        if (measuring.get()) {
                            histogram.recordValue(elapsed);
                            count += read;
                        }
                    }
                } finally {
                    keys[id] = count;
                    done.countDown();
                }
            }, "bench-" + system + "-" + t);
            thread.setDaemon(true);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
        long elapsed = BenchSupport.measuredWindow(measuring, warmup, seconds);
        stop.set(true);
        done.await();
        Histogram all = new Histogram(60_000_000_000L, 2);
        long total = 0;
        for (int t = 0; t < callers; t++) {
            all.add(histograms[t]);
            total += keys[t];
        }
        Result result = new Result(system, callers, total / (elapsed / 1e9),
                all.getValueAtPercentile(50) / 1e3, all.getValueAtPercentile(99) / 1e3, all.getMean() / 1e3);
        System.out.printf(Locale.ROOT, "  %-22s %3d callers %,12.0f keys/s  p50 %7.1f us  p99 %7.1f us%n",
                result.system, result.callers, result.keysPerSecond, result.p50Micros, result.p99Micros);
        return result;
    }

    /**
     * {@code callers} independent chains: each loads a random key and, when the load completes, loads the next, on
     * whatever thread completed it. Measures the loader's batching without the cost of waking blocked threads.
     */
    private static Result runAsync(String system, int callers, int seconds, int warmup, AsyncReader reader)
            throws Exception {
        AtomicBoolean measuring = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        Histogram histogram = new Histogram(60_000_000_000L, 2);
        LongAdder count = new LongAdder();
        CountDownLatch done = new CountDownLatch(callers);
        for (int c = 0; c < callers; c++) {
            new Object() {
                void next() {
                    if (stop.get()) {
                        done.countDown();
                        return;
                    }
                    long start = System.nanoTime();
                    reader.read(key(ThreadLocalRandom.current())).whenComplete((value, failure) -> {
                        long elapsed = System.nanoTime() - start;
                        if (failure != null) {
                            System.err.println(system + " failed: " + failure);
                            stop.set(true);
                        }
                        if (measuring.get()) {
                            synchronized (histogram) {
                                histogram.recordValue(elapsed);
                            }
                            count.increment();
                        }
                        next();
                    });
                }
            }.next();
        }
        Thread.sleep(warmup * 1000L);
        count.reset();
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep(seconds * 1000L);
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        long total = count.sum();
        stop.set(true);
        done.await();
        Result result;
        synchronized (histogram) {
            result = new Result(system, callers, total / (elapsed / 1e9), histogram.getValueAtPercentile(50) / 1e3,
                    histogram.getValueAtPercentile(99) / 1e3, histogram.getMean() / 1e3);
        }
        System.out.printf(Locale.ROOT, "  %-22s %4d callers %,12.0f keys/s  p50 %7.1f us  p99 %7.1f us%n",
                result.system, result.callers, result.keysPerSecond, result.p50Micros, result.p99Micros);
        return result;
    }

    private static void print(List<Result> results) {
        System.out.println();
        System.out.println("| system | callers | keys/s | p50 µs | p99 µs | mean µs | vs lettuce GET |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        Map<Integer, Double> plain = new HashMap<>();
        Map<Integer, Double> plainAsync = new HashMap<>();
        results.stream().filter(r -> r.system.equals("lettuce GET")).forEach(r -> plain.put(r.callers,
                r.keysPerSecond));
        results.stream().filter(r -> r.system.equals("lettuce GET async")).forEach(r -> plainAsync.put(r.callers,
                r.keysPerSecond));
        for (Result r : results) {
            Double base = (r.system.endsWith("async") ? plainAsync : plain).get(r.callers);
            System.out.printf(Locale.ROOT, "| %s | %d | %,.0f | %.1f | %.1f | %.1f | %s |%n", r.system, r.callers,
                    r.keysPerSecond, r.p50Micros, r.p99Micros, r.meanMicros,
                    base == null ? "" : String.format(Locale.ROOT, "%.1fx", r.keysPerSecond / base));
        }
        System.out.println();
        for (Result loader : results) {
            if (!loader.system.equals("loader") && !loader.system.equals("loader async")) {
                continue;
            }
            // the ceiling: MGETs of 100 keys from 16 threads, i.e. 1,600 keys outstanding
            results.stream().filter(r -> r.callers == 16 && r.system.startsWith("MGET")).findFirst()
                    .ifPresent(mget -> System.out.printf(Locale.ROOT,
                            "%s at %d callers: %.0f%% of hand-written MGET x%d keys/s (16 threads)%n", loader.system,
                            loader.callers, 100 * loader.keysPerSecond / mget.keysPerSecond, MGET_KEYS));
            String plainName = loader.system.endsWith("async") ? "lettuce GET async" : "lettuce GET";
            results.stream().filter(r -> r.callers == loader.callers && r.system.equals(plainName)).findFirst()
                    .ifPresent(get -> System.out.printf(Locale.ROOT,
                            "%s at %d callers: %.1fx the keys/s of %s; mean latency %.2fx, p50 %.2fx%n",
                            loader.system, loader.callers, loader.keysPerSecond / get.keysPerSecond, plainName,
                            loader.meanMicros / get.meanMicros, loader.p50Micros / get.p50Micros));
        }
    }

}
