package dev.nearcache.core.support;

import dev.nearcache.core.NearCache;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load of the torture tests: four readers through the cache, skewed towards a hot set; another client writing
 * about 500 times a second; a thread writing and deleting through the cache now and then. In the quiet phase reads
 * and writes meet on {@link #HOT} keys. At the end, {@link #staleKeys()} compares every key with Redis.
 */
public final class TortureLoad implements AutoCloseable {
    public static final int KEYS = 2000;
    /** The keys the quiet phase reads and writes. */
    public static final int HOT = 50;

    public final AtomicLong reads = new AtomicLong();
    public final AtomicLong readErrors = new AtomicLong();
    public final AtomicLong writes = new AtomicLong();
    private final NearCache<String, String> cache;
    private final RedisClusterCommands<String, String> other;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean quiet = new AtomicBoolean(false);
    private final List<Thread> threads = new ArrayList<>();

    /** Writes every key through {@code other} and starts the threads. */
    public TortureLoad(NearCache<String, String> cache, RedisClusterCommands<String, String> other) {
        this.cache = cache;
        this.other = other;
        for (int i = 0; i < KEYS; i++) {
            other.set(key(i), "initial");
        }
        for (int r = 0; r < 4; r++) {
            threads.add(Load.start("reader-" + r, running, () -> {
                try {
                    cache.get(key(next()));
                    reads.incrementAndGet();
                } catch (RuntimeException e) {
                    readErrors.incrementAndGet();
                }
            }));
        }
        threads.add(Load.start("writer", running, () -> {
            try {
                other.set(key(next()), "w" + writes.incrementAndGet());
            } catch (RuntimeException e) {
                // the server is restarting, or a master failing over
            }
            Load.pause(2);
        }));
        threads.add(Load.start("own-writer", running, () -> {
            int k = ThreadLocalRandom.current().nextInt(200);
            try {
                if (k % 10 == 0) {
                    cache.delete(key(k));
                } else {
                    cache.set(key(k), "own" + writes.incrementAndGet());
                }
            } catch (RuntimeException e) {
                // faults make writes fail; what Redis holds is compared at the end
            }
            Load.pause(20);
        }));
    }

    public static String key(int i) {
        return "t:" + i;
    }

    /** A key index: skewed over all keys, or uniform over the hot ones in the quiet phase. */
    private int next() {
        double u = ThreadLocalRandom.current().nextDouble();
        return quiet.get() ? (int) (u * HOT) : (int) (u * u * u * KEYS);
    }

    /** From now on reads and writes meet on the hot keys. */
    public void quiet() {
        quiet.set(true);
    }

    /** Stops the threads and waits for them. */
    public void stop() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }

    /** Every key whose value read through the cache differs from Redis's, with both values. */
    public List<String> staleKeys() {
        List<String> keys = new ArrayList<>(KEYS);
        for (int i = 0; i < KEYS; i++) {
            keys.add(key(i));
        }
        return staleKeys(cache, other, keys);
    }

    /** Those of {@code keys} whose value read through {@code cache} differs from what {@code redis} holds. */
    public static List<String> staleKeys(NearCache<String, String> cache, RedisClusterCommands<String, String> redis,
                                  List<String> keys) {
        List<String> stale = new ArrayList<>();
        for (String key : keys) {
            String cached = cache.get(key);
            String actual = redis.get(key);
            if (!Objects.equals(cached, actual)) {
                stale.add(key + " cache=" + cached + " redis=" + actual);
            }
        }
        return stale;
    }

    @Override
    public void close() {
        running.set(false);
    }
}
