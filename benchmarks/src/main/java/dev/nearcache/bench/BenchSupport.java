package dev.nearcache.bench;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/** Command-line options and key distributions shared by the load drivers. */
final class BenchSupport {
    private BenchSupport() {
    }

    static String option(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
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
}
