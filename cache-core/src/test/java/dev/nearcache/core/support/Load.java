package dev.nearcache.core.support;

import java.util.concurrent.atomic.AtomicBoolean;

/** Load threads for the tests. */
public final class Load {
    private Load() {
    }

    /** A daemon thread that runs {@code step} until {@code running} turns false. */
    public static Thread start(String name, AtomicBoolean running, Runnable step) {
        Thread thread = new Thread(() -> {
            while (running.get()) {
                step.run();
            }
        }, "load-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Paces load and spaces faults; never used to wait for a result. */
    public static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
