package dev.nearcache.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every process and temporary directory the test kit creates, so none outlives the JVM: a shutdown
 * hook kills what is still registered and deletes the directories (a failing test, a forgotten
 * {@code close()}, or a JVM that exits early). Killing a process also kills its descendants (a Redis
 * child forked for replication).
 */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger(Reaper.class);
    private static final Set<Process> processes = ConcurrentHashMap.newKeySet();
    private static final Set<Path> directories = ConcurrentHashMap.newKeySet();
    private static final Set<AutoCloseable> closeables = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Reaper::reapAll, "nearcache-testkit-reaper"));
    }

    private Reaper() {
    }

    static void register(Process process) {
        processes.add(process);
    }

    static void register(Path directory) {
        directories.add(directory);
    }

    static void register(AutoCloseable closeable) {
        closeables.add(closeable);
    }

    static void forget(AutoCloseable closeable) {
        closeables.remove(closeable);
    }

    /** Ends the process and its descendants: SIGTERM first when {@code graceful}, SIGKILL after the grace. */
    static void terminate(Process process, boolean graceful, Duration grace) {
        var descendants = process.descendants().toList();
        if (graceful) {
            process.destroy();
            try {
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("redis-server pid {} ignored SIGTERM for {}; killing it", process.pid(), grace);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(); // reap: no zombie is left behind
            for (ProcessHandle child : descendants) {
                child.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("a child of redis-server pid {} did not exit: {}", process.pid(), e.toString());
        }
        processes.remove(process);
    }

    /** Deletes a directory tree. Uses no class of its own, so it still works in a shutdown hook. */
    static void deleteDirectory(Path directory) {
        if (Files.exists(directory)) {
            try (Stream<Path> tree = Files.walk(directory)) {
                for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (NoSuchFileException e) {
                // deleted meanwhile
            } catch (IOException e) {
                throw new UncheckedIOException("could not delete " + directory, e);
            }
        }
        directories.remove(directory);
    }

    private static void reapAll() {
        for (AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (Exception e) {
                // the JVM is exiting: keep going so every process is still killed below
            }
        }
        for (Process process : processes) {
            terminate(process, false, Duration.ofSeconds(5));
        }
        for (Path directory : directories) {
            try {
                deleteDirectory(directory);
            } catch (UncheckedIOException e) {
                // nothing more can be done while the JVM exits
            }
        }
    }
}
