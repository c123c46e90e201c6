package dev.nearcache.bench;

import dev.nearcache.bench.PeerSystems.Reader;
import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * Throughput against the number of concurrent callers, from 1 to 10,000, on platform and on virtual threads, for this
 * library, plain Lettuce GET on one shared connection, Lettuce's {@code ClientSideCaching} and Redisson's
 * {@code RClientSideCaching} (set up as in {@link PeerSystems}), against one local redis-server started by the test
 * kit: 100,000 keys of 100 bytes, 500 writes/s from another client, uniform keys with caches of 1,000 entries (about
 * 1% hits: the miss path under load) and Zipf 0.99 with caches of 10,000 (the read-heavy load a near cache is for).
 *
 * <p>Each point reports reads/s, redis-server's CPU per read and the slowest command Redis logged during the measured
 * seconds ({@code SLOWLOG}, over 100 µs). Then, in rounds that let every system take a turn (this machine's speed
 * drifts, so each is judged by its median round): the target points (1,000 virtual threads, uniform and Zipf; 512
 * platform threads, uniform), each with stale keys counted after writes stop and a neighbour, another client's GETs
 * at a fixed rate on their own connection, whose p99 shows what the system's load costs everyone else on that Redis.
 * Then {@code getAsync} with 10,000 reads outstanding from one thread. On JDK 21 and later, a JFR recording counts
 * {@code jdk.VirtualThreadPinned} events (every pin, no threshold) over all virtual-thread runs.
 *
 * <p>Virtual threads are created by reflection, so this class compiles at the library's Java 17; run it on JDK 21+
 * ({@code JAVA_HOME=<jdk 25> ./mvnw -pl benchmarks -am -DskipTests install exec:exec -Dbench=ConcurrencyBenchmark});
 * on 17 the virtual-thread points are skipped.
 *
 * <p>Options: {@code --callers 1,16,...} (the sweep), {@code --threads platform,virtual}, {@code --workloads
 * uniform,zipf}, {@code --systems name,...}, {@code --seconds N} (measured per point, default 4), {@code --warmup N}
 * (2, before each point), {@code --warmup-first N} (10, each system and workload once before anything is measured),
 * {@code --neighbour-rate N} (the neighbour's GETs per second, 200: at 1,000 it fell behind its own schedule on 2
 * cores beside every system, so its p99 measured its backlog), {@code --rounds N} (target rounds, 3), {@code --parts sweep,targets,async}, {@code --out DIR} (where
 * benchmarks-concurrency.md and its plots go, default docs), {@code --profile DIR} (CPU profiles of each measured
 * point, see {@link Profiling}).
 */
public final class ConcurrencyBenchmark {
    private static final int KEYS = 100_000;
    private static final int HOT_KEYS = 2_000;
    private static final int WRITES_PER_SECOND = 500;
    private static final int OUTSTANDING = 10_000;
    private static final long SLOW_MICROS = 100;

    private static final String NEARCACHE = "nearcache";
    private static final String GET = "Lettuce GET";
    private static final String LETTUCE_CSC = "Lettuce ClientSideCaching";
    private static final String REDISSON = "Redisson RClientSideCaching";

    private ConcurrencyBenchmark() {
    }

    private record Workload(String name, boolean zipf, int cacheSize) {
    }

    private static final Workload UNIFORM = new Workload("uniform", false, 1_000);
    private static final Workload ZIPF = new Workload("Zipf", true, 10_000);

    /** One measured point. {@code stale} and {@code neighbourP99} are -1 where not measured. */
    private record Point(Workload workload, String threads, int callers, String system, double readsPerSecond,
                         double redisCpuMicros, String slowest, int stale, double neighbourP99) {
    }

    private static double[] zipf;
    private static String redisUri;
    private static Path profileDir;
    private static int neighbourPerSecond;

    public static void main(String[] args) throws Exception {
        int[] callers = BenchSupport.ints(BenchSupport.option(args, "--callers",
                "1,16,128,512,1000,2000,5000,10000"));
        List<String> kinds = List.of(BenchSupport.option(args, "--threads", "platform,virtual").split(","));
        String workloadNames = BenchSupport.option(args, "--workloads", "uniform,zipf").toLowerCase(Locale.ROOT);
        String systemsOnly = BenchSupport.option(args, "--systems", "");
        List<String> parts = List.of(BenchSupport.option(args, "--parts", "sweep,targets,async").split(","));
        int seconds = BenchSupport.intOption(args, "--seconds", 4);
        int warmup = BenchSupport.intOption(args, "--warmup", 2);
        int warmupFirst = BenchSupport.intOption(args, "--warmup-first", 10);
        neighbourPerSecond = BenchSupport.intOption(args, "--neighbour-rate", 200);
        int rounds = BenchSupport.intOption(args, "--rounds", 3);
        Path out = Path.of(BenchSupport.option(args, "--out", "docs"));
        zipf = BenchSupport.zipfCdf(KEYS, 0.99);
        String profile = BenchSupport.option(args, "--profile", null);
        profileDir = profile == null ? null : Path.of(profile);
        boolean virtual = virtualThreads() != null;
        List<Workload> workloads = new ArrayList<>();
        if (workloadNames.contains("uniform")) {
            workloads.add(UNIFORM);
        }
        if (workloadNames.contains("zipf")) {
            workloads.add(ZIPF);
        }

        List<Point> sweep = new ArrayList<>();
        List<Point> targets = new ArrayList<>();
        List<String> async = new ArrayList<>();
        String pinning;
        String header;
        try (RedisServer redis = RedisServers.start(); Pinning pins = Pinning.start()) {
            header = String.format(Locale.ROOT, "Redis %s (%s) on loopback, %d cores, JDK %s; 100,000 keys of 100 "
                    + "bytes, 500 writes/s from another client; %d s measured per point after %d s of warm-up.",
                    redis.version(), redis.source(), Runtime.getRuntime().availableProcessors(),
                    Runtime.version(), seconds, warmup);
            System.out.println(header);
            redisUri = redis.uri();
            RedisClient admin = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> direct = admin.connect()) {
                BenchSupport.seed(direct, KEYS);
                direct.sync().configSet("slowlog-max-len", "10000");
                direct.sync().configSet("slowlog-log-slower-than", Long.toString(SLOW_MICROS));
                Map<String, Function<Integer, Reader>> systems = new LinkedHashMap<>();
                systems.put(NEARCACHE, size -> nearCache(redis.uri(), size));
                systems.put(GET, size -> PeerSystems.plainGet(redis.uri()));
                systems.put(LETTUCE_CSC, size -> PeerSystems.lettuceCsc(redis.uri(), size));
                systems.put(REDISSON, size -> PeerSystems.redisson(redis.uri(), size));
                systems.keySet().removeIf(name -> !systemsOnly.isEmpty()
                        && !List.of(systemsOnly.split(",")).contains(name));

                // the JIT compiles for tens of seconds on 2 cores (39% of a first point's CPU was C2): every system
                // runs each workload once, unreported, before anything is measured
                System.out.printf("== warm-up, %d s per system and workload (not reported)%n", warmupFirst);
                for (Workload w : workloads) {
                    for (Map.Entry<String, Function<Integer, Reader>> system : systems.entrySet()) {
                        try (Reader reader = system.getValue().apply(w.cacheSize)) {
                            run(w, virtual ? "virtual" : "platform", 512, system.getKey(), reader, direct,
                                    warmupFirst, 0, false, false);
                        }
                    }
                }
                if (parts.contains("sweep")) {
                    for (Workload w : workloads) {
                        for (String kind : kinds) {
                            if (kind.equals("virtual") && !virtual) {
                                System.out.println("(no virtual threads on JDK " + Runtime.version() + ")");
                                continue;
                            }
                            System.out.printf("== %s, %s threads%n", w.name, kind);
                            for (int n : callers) {
                                for (Map.Entry<String, Function<Integer, Reader>> system : systems.entrySet()) {
                                    try (Reader reader = system.getValue().apply(w.cacheSize)) {
                                        sweep.add(run(w, kind, n, system.getKey(), reader, direct, seconds, warmup,
                                                false, false));
                                    }
                                }
                            }
                        }
                    }
                }
                if (parts.contains("targets")) {
                    List<Object[]> points = new ArrayList<>();
                    if (virtual) {
                        points.add(new Object[] {UNIFORM, "virtual", 1_000});
                        points.add(new Object[] {ZIPF, "virtual", 1_000});
                    }
                    points.add(new Object[] {UNIFORM, "platform", 512});
                    for (Object[] p : points) {
                        Workload w = (Workload) p[0];
                        String kind = (String) p[1];
                        int n = (Integer) p[2];
                        System.out.printf("== target: %s, %d %s threads, %d rounds%n", w.name, n, kind, rounds);
                        List<Point> turns = new ArrayList<>();
                        for (int round = 1; round <= rounds; round++) {
                            for (Map.Entry<String, Function<Integer, Reader>> system : systems.entrySet()) {
                                try (Reader reader = system.getValue().apply(w.cacheSize)) {
                                    turns.add(run(w, kind, n, system.getKey(), reader, direct, seconds, warmup,
                                            true, round == rounds && w.zipf));
                                }
                            }
                        }
                        targets.addAll(medians(turns));
                    }
                }
                if (parts.contains("async")) {
                    System.out.printf("== getAsync, %,d outstanding from one thread%n", OUTSTANDING);
                    for (Workload w : workloads) {
                        async.add(asyncRun(w, NEARCACHE, nearCacheAsync(redis.uri(), w.cacheSize), seconds,
                                warmup));
                        async.add(asyncRun(w, GET, plainGetAsync(redis.uri()), seconds, warmup));
                    }
                }
            } finally {
                admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            pinning = pins.report();
        }
        String report = report(header, sweep, targets, async, pinning);
        System.out.println();
        System.out.println(report);
        Files.createDirectories(out);
        Files.writeString(out.resolve("benchmarks-concurrency.md"), report);
        for (Workload w : workloads) {
            if (sweep.stream().anyMatch(p -> p.workload == w)) {
                plot(sweep, w, out.resolve("benchmarks-concurrency-" + w.name.toLowerCase(Locale.ROOT) + ".png"));
            }
        }
        System.out.println("wrote " + out.resolve("benchmarks-concurrency.md") + " and its plots");
        System.exit(0); // Redisson and Lettuce leave non-daemon threads of their own behind
    }

    // ---- systems ----------------------------------------------------------------------------------------------

    /** The near cache with its defaults, bounded to {@code size} entries. */
    private static Reader nearCache(String uri, int size) {
        NearCache<String, String> cache = NearCache.builder().redisUri(uri).maximumSize(size).build();
        return new Reader() {
            public String get(String key) {
                return cache.get(key);
            }

            public void close() {
                cache.close();
            }
        };
    }

    /** A reader's asynchronous form, for the 10,000-outstanding run. */
    private interface AsyncReader extends AutoCloseable {
        CompletableFuture<String> getAsync(String key);

        @Override
        void close();
    }

    private static AsyncReader nearCacheAsync(String uri, int size) {
        NearCache<String, String> cache = NearCache.builder().redisUri(uri).maximumSize(size).build();
        return new AsyncReader() {
            public CompletableFuture<String> getAsync(String key) {
                return cache.getAsync(key);
            }

            public void close() {
                cache.close();
            }
        };
    }

    private static AsyncReader plainGetAsync(String uri) {
        RedisClient client = RedisClient.create(uri);
        StatefulRedisConnection<String, String> connection = client.connect();
        return new AsyncReader() {
            public CompletableFuture<String> getAsync(String key) {
                return connection.async().get(key).toCompletableFuture();
            }

            public void close() {
                connection.close();
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        };
    }

    // ---- runs -------------------------------------------------------------------------------------------------

    @SuppressWarnings("try") // the profiler only has to run while the measured seconds pass
    private static Point run(Workload w, String kind, int callers, String system, Reader reader,
                             StatefulRedisConnection<String, String> direct, int seconds, int warmup,
                             boolean neighbour, boolean checkStale) throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = BenchSupport.startWriter(WRITES_PER_SECOND, writing,
                n -> direct.async().set(nextKey(w), BenchSupport.value(n)));
        ThreadFactory factory = kind.equals("virtual") ? virtualThreads() : platformThreads();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder reads = new LongAdder();
        LongAdder failures = new LongAdder();
        CountDownLatch done = new CountDownLatch(callers);
        for (int i = 0; i < callers; i++) {
            factory.newThread(() -> {
                try {
                    while (!stop.get()) {
                        try {
                            reader.get(nextKey(w));
                            if (measuring.get()) {
                                reads.increment();
                            }
                        } catch (RuntimeException e) {
                            failures.increment();
                        }
                    }
                } finally {
                    done.countDown();
                }
            }).start();
        }
        Neighbour other = neighbour ? Neighbour.start(redisUri, w) : null;
        Thread.sleep(warmup * 1000L);
        direct.sync().slowlogReset();
        double redisCpuBefore = BenchSupport.redisCpuSeconds(direct);
        long start = System.nanoTime();
        measuring.set(true);
        if (other != null) {
            other.measuring.set(true);
        }
        try (Profiling profiling = Profiling.start(profileDir, w.name + " " + callers + " " + kind + " " + system)) {
            Thread.sleep(seconds * 1000L);
        }
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        double redisCpu = BenchSupport.redisCpuSeconds(direct) - redisCpuBefore;
        String slowest = slowest(direct);
        double neighbourP99 = other == null ? -1 : other.stop();
        stop.set(true);
        done.await();
        writing.set(false);
        writer.join();
        int stale = checkStale ? BenchSupport.staleKeys(HOT_KEYS, reader::get, direct.sync()::get) : -1;
        long n = reads.sum();
        Point point = new Point(w, kind, callers, system, n / (elapsed / 1e9), redisCpu * 1e6 / Math.max(1, n),
                slowest, stale, neighbourP99);
        System.out.printf(Locale.ROOT, "  %,6d %-8s %-28s %,10.0f reads/s  Redis %.2f us/read  slowest %s%s%s%s%n",
                callers, kind, system, point.readsPerSecond, point.redisCpuMicros, slowest,
                neighbourP99 < 0 ? "" : String.format(Locale.ROOT, "  neighbour p99 %.0f us", neighbourP99),
                stale < 0 ? "" : "  stale " + stale + " of " + HOT_KEYS,
                failures.sum() == 0 ? "" : "  FAILED READS " + failures.sum());
        return point;
    }

    private static String asyncRun(Workload w, String system, AsyncReader reader, int seconds, int warmup)
            throws Exception {
        try (reader) {
            Semaphore outstanding = new Semaphore(OUTSTANDING);
            AtomicBoolean measuring = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            LongAdder reads = new LongAdder();
            LongAdder failures = new LongAdder();
            Thread driver = new Thread(() -> {
                while (!stop.get()) {
                    outstanding.acquireUninterruptibly();
                    reader.getAsync(nextKey(w)).whenComplete((value, failure) -> {
                        if (failure != null) {
                            failures.increment();
                        } else if (measuring.get()) {
                            reads.increment();
                        }
                        outstanding.release();
                    });
                }
            }, "bench-async-driver");
            driver.setDaemon(true);
            driver.start();
            long elapsed = BenchSupport.measuredWindow(measuring, warmup, seconds);
            stop.set(true);
            driver.join();
            outstanding.acquire(OUTSTANDING); // every read answered before the reader closes
            String line = String.format(Locale.ROOT, "| %s | %s | %,.0f | %d |", w.name, system,
                    reads.sum() / (elapsed / 1e9), failures.sum());
            System.out.println("  " + line);
            return line;
        }
    }

    /** The slowest command Redis logged since the last SLOWLOG RESET, as "name µs", or "none over 100 µs". */
    @SuppressWarnings("unchecked")
    private static String slowest(StatefulRedisConnection<String, String> direct) {
        long worst = -1;
        String name = "";
        for (Object entry : direct.sync().slowlogGet(10_000)) {
            List<Object> fields = (List<Object>) entry;
            long micros = (Long) fields.get(2);
            List<Object> command = (List<Object>) fields.get(3);
            String first = command.isEmpty() ? "" : String.valueOf(command.get(0)).toUpperCase(Locale.ROOT);
            if (first.equals("SLOWLOG") || first.equals("INFO") || first.equals("CONFIG")) {
                continue; // the benchmark's own
            }
            if (micros > worst) {
                worst = micros;
                List<Object> argv = (List<Object>) fields.get(3);
                name = argv.isEmpty() ? "?" : String.valueOf(argv.get(0)).toUpperCase(Locale.ROOT)
                        + " (" + (argv.size() - 1) + " args)";
            }
        }
        return worst < 0 ? "none over " + SLOW_MICROS + " µs" : name + " " + worst + " µs";
    }

    /**
     * Another client of the same Redis: GETs at a fixed rate on its own connection, each timed from when it was due,
     * so a stalled Redis shows in full (no coordinated omission).
     */
    private static final class Neighbour {
        final AtomicBoolean measuring = new AtomicBoolean();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Histogram latency = new Histogram(60_000_000_000L, 2);
        RedisClient client;
        Thread thread;

        static Neighbour start(String uri, Workload w) {
            Neighbour n = new Neighbour();
            n.client = RedisClient.create(uri);
            StatefulRedisConnection<String, String> connection = n.client.connect();
            n.thread = new Thread(() -> {
                long interval = 1_000_000_000L / neighbourPerSecond;
                long due = System.nanoTime();
                while (n.running.get()) {
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        BenchSupport.sleepNanos(wait);
                    }
                    connection.sync().get(nextKey(w));
                    if (n.measuring.get()) {
                        n.latency.recordValue(Math.min(System.nanoTime() - due, 60_000_000_000L));
                    }
                    due += interval;
                }
                connection.close();
            }, "bench-neighbour");
            n.thread.setDaemon(true);
            n.thread.start();
            return n;
        }

        /** Stops it; its GET p99 in µs over the measured seconds. */
        double stop() throws InterruptedException {
            measuring.set(false);
            running.set(false);
            thread.join();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            return latency.getValueAtPercentile(99) / 1e3;
        }
    }

    /** Per system, the round with the median reads/s, with the stale keys found in the last round. */
    private static List<Point> medians(List<Point> turns) {
        List<Point> medians = new ArrayList<>();
        for (String system : turns.stream().map(Point::system).distinct().toList()) {
            List<Point> mine = turns.stream().filter(p -> p.system.equals(system))
                    .sorted(Comparator.comparingDouble(Point::readsPerSecond)).toList();
            Point median = mine.get(mine.size() / 2);
            int stale = mine.stream().mapToInt(Point::stale).max().orElse(-1);
            medians.add(new Point(median.workload, median.threads, median.callers, system, median.readsPerSecond,
                    median.redisCpuMicros, median.slowest, stale, median.neighbourP99));
        }
        return medians;
    }

    // ---- threads ----------------------------------------------------------------------------------------------

    private static ThreadFactory platformThreads() {
        return task -> {
            Thread thread = new Thread(null, task, "bench-caller", 256 * 1024);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** {@code Thread.ofVirtual().factory()} where the JDK has it (21+), else null. */
    private static ThreadFactory virtualThreads() {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    /** Counts {@code jdk.VirtualThreadPinned} events, every pin however short, while it is open (JDK 21+). */
    private static final class Pinning implements AutoCloseable {
        private final jdk.jfr.Recording recording;

        private Pinning(jdk.jfr.Recording recording) {
            this.recording = recording;
        }

        static Pinning start() {
            if (virtualThreads() == null) {
                return new Pinning(null);
            }
            jdk.jfr.Recording recording = new jdk.jfr.Recording();
            recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            recording.start();
            return new Pinning(recording);
        }

        String report() throws IOException {
            if (recording == null) {
                return "Virtual threads: not run (JDK " + Runtime.version() + ").";
            }
            recording.stop();
            Path file = Files.createTempFile("pinning", ".jfr");
            try {
                recording.dump(file);
                Map<String, Integer> byFrame = new LinkedHashMap<>();
                int events = 0;
                for (jdk.jfr.consumer.RecordedEvent event : jdk.jfr.consumer.RecordingFile.readAllEvents(file)) {
                    if (event.getEventType().getName().equals("jdk.VirtualThreadPinned")) {
                        events++;
                        String frame = event.getStackTrace() == null || event.getStackTrace().getFrames().isEmpty()
                                ? "?" : event.getStackTrace().getFrames().get(0).getMethod().getType().getName()
                                + "." + event.getStackTrace().getFrames().get(0).getMethod().getName();
                        byFrame.merge(frame, 1, Integer::sum);
                    }
                }
                return String.format(Locale.ROOT, "Virtual threads pinned (JFR jdk.VirtualThreadPinned, every pin, "
                        + "over all virtual-thread runs of every system): %d%s.", events,
                        events == 0 ? "" : " " + byFrame);
            } finally {
                Files.deleteIfExists(file);
            }
        }

        @Override
        public void close() {
            if (recording != null) {
                recording.close();
            }
        }
    }

    // ---- reporting --------------------------------------------------------------------------------------------

    private static String report(String header, List<Point> sweep, List<Point> targets, List<String> async,
                                 String pinning) {
        StringBuilder sb = new StringBuilder("# Concurrency: reads/s against callers\n\n").append(header)
                .append("\n\nProduced by `ConcurrencyBenchmark` (see its javadoc for the command).\n\n");
        if (!sweep.isEmpty()) {
            sb.append("## Sweep\n\nreads/s, and in brackets redis-server CPU µs per read; the slowest command Redis"
                    + " logged in each system's run is listed below the table.\n\n");
            List<String> systems = sweep.stream().map(Point::system).distinct().toList();
            sb.append("| workload | threads | callers |");
            systems.forEach(s -> sb.append(' ').append(s).append(" |"));
            sb.append("\n|---|---|---:|");
            systems.forEach(s -> sb.append("---:|"));
            sb.append('\n');
            for (Point first : sweep) {
                if (!first.system.equals(systems.get(0))) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "| %s | %s | %,d |", first.workload.name, first.threads,
                        first.callers));
                for (String system : systems) {
                    Point p = find(sweep, first.workload, first.threads, first.callers, system);
                    sb.append(p == null ? " - |" : String.format(Locale.ROOT, " %,.0f (%.1f) |", p.readsPerSecond,
                            p.redisCpuMicros));
                }
                sb.append('\n');
            }
            sb.append("\nSlowest Redis command per system and workload, over all its points: ");
            for (Workload w : List.of(UNIFORM, ZIPF)) {
                for (String system : systems) {
                    sweep.stream().filter(p -> p.workload == w && p.system.equals(system))
                            .max(Comparator.comparingLong(ConcurrencyBenchmark::slowMicros))
                            .ifPresent(p -> sb.append(String.format(Locale.ROOT, "%s %s: %s (%,d %s callers); ",
                                    w.name, system, p.slowest, p.callers, p.threads)));
                }
            }
            sb.append("\n\nFrom the peak to the most callers, nearcache's reads/s: ");
            for (Workload w : List.of(UNIFORM, ZIPF)) {
                for (String kind : List.of("platform", "virtual")) {
                    List<Point> mine = sweep.stream().filter(p -> p.workload == w && p.threads.equals(kind)
                            && p.system.equals(NEARCACHE)).toList();
                    if (mine.isEmpty()) {
                        continue;
                    }
                    Point peak = mine.stream().max(Comparator.comparingDouble(Point::readsPerSecond)).get();
                    Point last = mine.stream().max(Comparator.comparingInt(Point::callers)).get();
                    sb.append(String.format(Locale.ROOT, "%s %s: peak %,.0f at %,d, %,.0f at %,d (%+.0f%%); ",
                            w.name, kind, peak.readsPerSecond, peak.callers, last.readsPerSecond, last.callers,
                            100 * (last.readsPerSecond / peak.readsPerSecond - 1)));
                }
            }
            sb.append("\n\n![uniform](benchmarks-concurrency-uniform.png)\n![Zipf](benchmarks-concurrency-zipf.png)"
                    + "\n\n");
        }
        if (!targets.isEmpty()) {
            sb.append("## Target points (median of rounds, systems taking turns)\n\n| workload | callers | system |"
                    + " reads/s | Redis CPU µs/read | slowest command | neighbour GET p99 µs | stale keys |\n"
                    + "|---|---|---|---:|---:|---|---:|---:|\n");
            for (Point p : targets) {
                sb.append(String.format(Locale.ROOT, "| %s | %,d %s | %s | %,.0f | %.1f | %s | %.0f | %s |%n",
                        p.workload.name, p.callers, p.threads, p.system, p.readsPerSecond, p.redisCpuMicros,
                        p.slowest, p.neighbourP99, p.stale < 0 ? "-" : p.stale + " of " + HOT_KEYS));
            }
            sb.append('\n');
            for (Point p : targets) {
                if (!p.system.equals(NEARCACHE)) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "%s, %,d %s threads: nearcache", p.workload.name, p.callers,
                        p.threads));
                for (Point other : targets) {
                    if (other.workload == p.workload && other.callers == p.callers && other.threads.equals(p.threads)
                            && !other.system.equals(NEARCACHE)) {
                        sb.append(String.format(Locale.ROOT, ", %.2fx %s", p.readsPerSecond / other.readsPerSecond,
                                other.system));
                        if (other.system.equals(GET) && other.neighbourP99 > 0) {
                            sb.append(String.format(Locale.ROOT, " (neighbour p99 %.2fx that beside plain GET)",
                                    p.neighbourP99 / other.neighbourP99));
                        }
                    }
                }
                sb.append('\n');
            }
            sb.append('\n');
        }
        if (!async.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "## getAsync, %,d reads outstanding from one thread%n%n| workload |"
                    + " system | reads/s | failed reads |%n|---|---|---:|---:|%n", OUTSTANDING));
            async.forEach(line -> sb.append(line).append('\n'));
            sb.append('\n');
        }
        sb.append(pinning).append('\n');
        return sb.toString();
    }

    private static long slowMicros(Point p) {
        String s = p.slowest;
        if (s.startsWith("none")) {
            return 0;
        }
        String[] words = s.split(" ");
        return Long.parseLong(words[words.length - 2]);
    }

    private static Point find(List<Point> points, Workload w, String threads, int callers, String system) {
        return points.stream().filter(p -> p.workload == w && p.threads.equals(threads) && p.callers == callers
                && p.system.equals(system)).findFirst().orElse(null);
    }

    private static void plot(List<Point> sweep, Workload w, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(560)
                .title("Reads per second against concurrent callers, " + w.name + " keys")
                .xAxisTitle("concurrent callers").yAxisTitle("reads/s").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        for (String system : sweep.stream().map(Point::system).distinct().toList()) {
            for (String kind : List.of("platform", "virtual")) {
                List<Point> mine = sweep.stream().filter(p -> p.workload == w && p.threads.equals(kind)
                        && p.system.equals(system)).sorted(Comparator.comparingInt(Point::callers)).toList();
                if (!mine.isEmpty()) {
                    chart.addSeries(system + ", " + kind + " threads",
                            mine.stream().mapToDouble(Point::callers).toArray(),
                            mine.stream().mapToDouble(Point::readsPerSecond).toArray());
                }
            }
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String nextKey(Workload w) {
        return BenchSupport.key(w.zipf ? BenchSupport.zipfRank(zipf) : ThreadLocalRandom.current().nextInt(KEYS));
    }
}
