package dev.nearcache.bench;

import io.lettuce.core.api.StatefulRedisConnection;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongConsumer;

/** Command-line options and key distributions shared by the load drivers. */
final class BenchSupport {
    private BenchSupport() {
    }

    /**
     * The value after the last {@code name} in {@code args}: the last one wins, so {@code -Dbench.args} overrides
     * the defaults benchmarks/pom.xml puts before it (such as {@code --out <project>/docs}).
     */
    static String option(String[] args, String name, String fallback) {
        for (int i = args.length - 2; i >= 0; i--) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    static int intOption(String[] args, String name, int fallback) {
        String value = option(args, name, null);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + value + "'", e);
        }
    }

    /** A comma-separated list of whole numbers, such as {@code 16,64}. */
    static int[] ints(String list) {
        try {
            return Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a comma-separated list of whole numbers, got '" + list + "'",
                    e);
        }
    }

    /**
     * Context switches of this JVM's threads so far (voluntary and not), from /proc; 0 where there is no /proc.
     * Threads that ended are not counted: call it while the threads of interest run.
     */
    static long contextSwitches() {
        long total = 0;
        try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks =
                     java.nio.file.Files.newDirectoryStream(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path task : tasks) {
                try {
                    for (String line : java.nio.file.Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")
                                || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (java.io.IOException e) {
            return 0;
        }
        return total;
    }

    /** The cumulative distribution of Zipf({@code s}) over {@code n} ranks. */
    static double[] zipfCdf(int n, double s) {
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

    /** A rank drawn from {@code cdf}: rank 0 is the most frequent. */
    static int zipfRank(double[] cdf) {
        int i = Arrays.binarySearch(cdf, ThreadLocalRandom.current().nextDouble());
        return i >= 0 ? i : Math.min(-i - 1, cdf.length - 1);
    }

    /** The key of rank {@code i} in the Zipf workloads: rank 0 is the hottest. */
    static String key(int i) {
        return "peer:" + i;
    }

    /** A value of about 100 bytes that differs with {@code n}. */
    static String value(long n) {
        String prefix = "v" + n + ":";
        return prefix + "x".repeat(Math.max(0, 100 - prefix.length()));
    }

    /** Sleeps about {@code nanos}; an interrupt ends the sleep and stays set. */
    static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sleeps through {@code warmup} seconds, then has {@code measuring} true for {@code seconds}: the load drivers'
     * measured window. Returns its length in nanoseconds.
     */
    static long measuredWindow(AtomicBoolean measuring, int warmup, int seconds) throws InterruptedException {
        Thread.sleep(warmup * 1000L);
        long start = System.nanoTime();
        measuring.set(true);
        Thread.sleep(seconds * 1000L);
        measuring.set(false);
        return System.nanoTime() - start;
    }

    /**
     * Starts the workloads' other client on a daemon thread: {@code write} is called with 1, 2, 3... at
     * {@code perSecond} calls a second until {@code writing} turns false.
     */
    static Thread startWriter(int perSecond, AtomicBoolean writing, LongConsumer write) {
        Thread writer = new Thread(() -> {
            long interval = 1_000_000_000L / perSecond;
            long next = System.nanoTime();
            long n = 0;
            while (writing.get()) {
                write.accept(++n);
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    sleepNanos(wait);
                }
            }
        }, "bench-writer");
        writer.setDaemon(true);
        writer.start();
        return writer;
    }

    /**
     * Stale keys: once writes have stopped, waits the coherence contract's 3 s, then reads the {@code hot} hottest
     * keys through the system and from Redis and counts those that differ.
     */
    static int staleKeys(int hot, Function<String, String> throughSystem, Function<String, String> fromRedis)
            throws InterruptedException {
        Thread.sleep(3000);
        int stale = 0;
        for (int i = 0; i < hot; i++) {
            String key = key(i);
            if (!Objects.equals(throughSystem.apply(key), fromRedis.apply(key))) {
                stale++;
            }
        }
        return stale;
    }

    /** Writes the workloads' {@code keys} keys ({@link #key(int)}) with {@link #value(long)}s, 1,000 per MSET. */
    static void seed(StatefulRedisConnection<String, String> connection, int keys) {
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < keys; i++) {
            batch.put(BenchSupport.key(i), BenchSupport.value(i));
            if (batch.size() == 1000) {
                connection.sync().mset(batch);
                batch.clear();
            }
        }
    }

    /** CPU time of this JVM so far: every thread, the load driver's own included. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** CPU time of the redis-server process so far, user and system, in seconds. */
    static double redisCpuSeconds(StatefulRedisConnection<String, String> direct) {
        return infoSum(direct, "cpu", "used_cpu_sys", "used_cpu_user");
    }

    /** Keyspace lookups by Redis so far, hits and misses. */
    static long keyspaceLookups(StatefulRedisConnection<String, String> direct) {
        return (long) infoSum(direct, "stats", "keyspace_hits", "keyspace_misses");
    }

    /** The sum of the named numeric fields of one INFO section. */
    static double infoSum(StatefulRedisConnection<String, String> direct, String section, String... fields) {
        double total = 0;
        for (String line : direct.sync().info(section).split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && List.of(fields).contains(line.substring(0, colon))) {
                total += Double.parseDouble(line.substring(colon + 1).trim());
            }
        }
        return total;
    }
}
