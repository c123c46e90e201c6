package dev.nearcache.demo;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** The deliberately slow system of record the demo puts the near cache in front of. */
final class ProductCatalog {
    private final Duration delay;
    private final AtomicLong lookups = new AtomicLong();

    ProductCatalog(Duration delay) {
        this.delay = delay;
    }

    /** Looks a product up the slow way; returns null for ids that are not numbers (no such product). */
    String lookup(String id) {
        lookups.incrementAndGet();
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!id.matches("\\d{1,9}")) {
            return null;
        }
        long n = Long.parseLong(id);
        return "{\"id\":" + n + ",\"name\":\"Product " + n + "\",\"price\":" + (n % 100 + 0.99) + "}";
    }

    Duration delay() {
        return delay;
    }

    long lookups() {
        return lookups.get();
    }
}
