package dev.nearcache.bench;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

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
}
