package dev.nearcache.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Workload (d): the hit path only. {@code NearCache.get} on a cached key against a bare Caffeine
 * {@code getIfPresent} of the same size, in nanoseconds per call. Run by {@link PeerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HitPathBenchmark {
    private RedisServer redis;
    private NearCache<String, String> nearCache;
    private Cache<String, String> caffeine;
    private final String key = "hot:key";

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        redis = RedisServers.start();
        nearCache = NearCache.builder().redisUri(redis.uri()).maximumSize(10_000).build();
        nearCache.set(key, "x".repeat(100));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (nearCache.stats().size() == 0 && System.nanoTime() < deadline) {
            nearCache.get(key); // until tracking is confirmed and the key is cached
        }
        if (nearCache.stats().size() == 0) {
            throw new IllegalStateException("the key never became cached");
        }
        caffeine = Caffeine.newBuilder().maximumSize(10_000).build();
        caffeine.put(key, "x".repeat(100));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nearCache.close();
        redis.close();
    }

    @Benchmark
    public String nearCacheGet() {
        return nearCache.get(key);
    }

    @Benchmark
    public String caffeineGetIfPresent() {
        return caffeine.getIfPresent(key);
    }
}
