package dev.nearcache.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * Open-loop latency: reads are issued at a fixed offered rate whatever the system's speed, and each read's latency
 * is measured from its intended start (read {@code i} is due at {@code start + i / rate}), so a system that falls
 * behind is charged the queueing it causes (no coordinated omission). {@link #WORKERS} threads take the reads in
 * order; a read whose thread comes late waits, and that wait counts. The figures include the load generator's own
 * wake-up delay (a parked thread wakes some tens of microseconds late), the same for every system.
 */
final class OpenLoop {
    /** Threads issuing reads: enough that none of the systems runs out of them at the rates measured. */
    static final int WORKERS = 64;
    private static final long MAX_LATENCY = 60_000_000_000L;

    private OpenLoop() {
    }

    /** One system at one offered rate: completed reads/s and latency percentiles in microseconds. */
    record Point(String workload, String system, int offered, double achieved, double p50, double p99, double p999,
                 boolean sustained) {
    }

    static Point run(String workload, String system, int rate, Supplier<String> keys, Function<String, String> read,
                     int seconds, int warmup) throws InterruptedException {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 10_000_000L;
        long measureFrom = start + warmup * 1_000_000_000L;
        long end = measureFrom + seconds * 1_000_000_000L;
        AtomicLong next = new AtomicLong();
        Histogram[] histograms = new Histogram[WORKERS];
        long[] completed = new long[WORKERS];
        CountDownLatch done = new CountDownLatch(WORKERS);
        for (int t = 0; t < WORKERS; t++) {
            int id = t;
            histograms[id] = new Histogram(MAX_LATENCY, 3);
            Thread worker = new Thread(() -> {
                try {
                    while (true) {
                        long intended = start + next.getAndIncrement() * interval;
                        if (intended >= end) {
                            return;
                        }
                        for (long wait = intended - System.nanoTime(); wait > 0;
                             wait = intended - System.nanoTime()) {
                            LockSupport.parkNanos(wait); // may return early
                        }
                        read.apply(keys.get());
                        long finished = System.nanoTime();
                        if (intended >= measureFrom && finished < end) {
                            histograms[id].recordValue(Math.min(finished - intended, MAX_LATENCY));
                            completed[id]++;
                        }
                    }
                } catch (RuntimeException e) {
                    System.err.println(system + " open-loop reader failed: " + e);
                } finally {
                    done.countDown();
                }
            }, "bench-open-" + t);
            worker.setDaemon(true);
            worker.start();
        }
        done.await();
        Histogram all = new Histogram(MAX_LATENCY, 3);
        long reads = 0;
        for (int t = 0; t < WORKERS; t++) {
            all.add(histograms[t]);
            reads += completed[t];
        }
        double achieved = reads / (double) seconds;
        // sustained: nearly every read due in the window was done in it (a system behind its rate leaves some undone)
        Point point = new Point(workload, system, rate, achieved, all.getValueAtPercentile(50) / 1e3,
                all.getValueAtPercentile(99) / 1e3, all.getValueAtPercentile(99.9) / 1e3, achieved >= 0.95 * rate);
        System.out.printf(Locale.ROOT, "  %-8s %-28s offered %,7d/s  done %,9.0f/s  p50 %8.1f us  p99 %9.1f us"
                        + "  p99.9 %9.1f us%s%n", workload, system, rate, achieved, point.p50, point.p99, point.p999,
                point.sustained ? "" : "  (not sustained)");
        return point;
    }

    static String table(List<Point> points) {
        if (points.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("\nOpen loop (").append(WORKERS).append(" issuing threads, latency from each read's intended start,"
                + " microseconds):\n\n");
        sb.append("| workload | offered reads/s | system | done reads/s | p50 µs | p99 µs | p99.9 µs |\n");
        sb.append("|---|---:|---|---:|---:|---:|---:|\n");
        for (Point p : points) {
            sb.append(String.format(Locale.ROOT, "| %s | %,d | %s | %,.0f%s | %.1f | %.1f | %.1f |%n", p.workload,
                    p.offered, p.system, p.achieved, p.sustained ? "" : " (not sustained)", p.p50, p.p99, p.p999));
        }
        sb.append('\n');
        for (Point ours : points) {
            if (!ours.system.equals("nearcache")) {
                continue;
            }
            for (Point get : points) {
                if (get.system.equals("Lettuce GET") && get.workload.equals(ours.workload)
                        && get.offered == ours.offered) {
                    sb.append(String.format(Locale.ROOT, "open loop %s at %,d/s: nearcache p99 %.1f µs vs plain GET"
                                    + " %.1f µs (%.2fx)%s%n", ours.workload, ours.offered, ours.p99, get.p99,
                            ours.p99 / get.p99, ours.sustained && get.sustained ? "" : ", not sustained by both"));
                }
            }
        }
        return sb.toString();
    }

    static void plot(List<Point> points, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(520)
                .title("Open loop: p99 latency at fixed offered rates (log scale, lower is better)")
                .xAxisTitle("offered reads/s").yAxisTitle("p99 µs").build();
        for (String workload : points.stream().map(Point::workload).distinct().toList()) {
            for (String system : points.stream().map(Point::system).distinct().toList()) {
                List<Point> line = points.stream().filter(p -> p.workload.equals(workload) && p.system.equals(system))
                        .toList();
                if (!line.isEmpty()) {
                    chart.addSeries(system + ", " + workload, line.stream().map(p -> (double) p.offered).toList(),
                            line.stream().map(p -> Math.max(1, p.p99)).toList());
                }
            }
        }
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
