package dev.nearcache.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import one.profiler.AsyncProfiler;

/**
 * CPU profiles of the measured part of a run, with async-profiler (its Maven artifact ships the native library):
 * {@code --profile DIR} writes one file of collapsed stacks per run, named after the workload and system, to read
 * with any flame-graph tool. Perf events where the kernel allows them, a CPU timer otherwise.
 */
final class Profiling implements AutoCloseable {
    private final AsyncProfiler profiler;
    private final Path file;

    private Profiling(AsyncProfiler profiler, Path file) {
        this.profiler = profiler;
        this.file = file;
    }

    /** Starts profiling into {@code dir}, or does nothing (returns an idle instance) when {@code dir} is null. */
    static Profiling start(Path dir, String name) throws IOException {
        if (dir == null) {
            return new Profiling(null, null);
        }
        Files.createDirectories(dir);
        AsyncProfiler profiler = AsyncProfiler.getInstance();
        try {
            profiler.execute("start,event=cpu,interval=1ms");
        } catch (IllegalStateException | IOException e) {
            profiler.execute("start,event=itimer,interval=1ms"); // perf events not allowed here
        }
        return new Profiling(profiler, dir.resolve(name.replaceAll("[^A-Za-z0-9]+", "-") + ".collapsed"));
    }

    @Override
    public void close() throws IOException {
        if (profiler != null) {
            profiler.execute("stop,collapsed,file=" + file);
        }
    }
}
