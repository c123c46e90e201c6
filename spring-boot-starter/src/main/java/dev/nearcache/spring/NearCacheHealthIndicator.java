package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheException;
import dev.nearcache.core.NearCacheNotConnectedException;
import dev.nearcache.core.NearCacheStats;
import io.lettuce.core.RedisCommandExecutionException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code /actuator/health/nearcache}: UP while Redis answers, DOWN when it does not (reads then fail, or serve stale
 * values within the stale-if-error window). While the invalidation connection is down but Redis answers, reads still
 * work, from Redis and uncached: UP, with {@code invalidationConnection} saying so; the probe is one read of the key
 * {@code nearcache:health} through the near cache (any reply counts, an ACL refusal included), bounded by one
 * second. Details: the connection's state, entries, hit ratio, invalidations and flushes by reason. Never a host's
 * credentials.
 */
final class NearCacheHealthIndicator implements HealthIndicator {
    static final String PROBE_KEY = "nearcache:health";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private final NearCache<String, ?> cache;

    NearCacheHealthIndicator(NearCache<String, ?> cache) {
        this.cache = cache;
    }

    @Override
    public Health health() {
        NearCacheStats stats = cache.stats();
        Health.Builder health;
        if (stats.invalidationConnectionHealthy()) {
            health = Health.up().withDetail("invalidationConnection", "connected");
        } else {
            String unanswered = probe();
            health = unanswered == null ? Health.up().withDetail("invalidationConnection",
                    "down: reads go to Redis and nothing is cached until it is back")
                    : Health.down().withDetail("invalidationConnection", "down")
                    .withDetail("redis", "not answering: " + unanswered);
        }
        return health.withDetail("trackingMode", stats.trackingMode())
                .withDetail("entries", stats.size())
                .withDetail("hitRatio", Math.round(stats.hitRatio() * 1000) / 1000.0)
                .withDetail("invalidations", stats.invalidations())
                .withDetail("verifyChecks", stats.verifyChecks())
                .withDetail("verifyMismatches", stats.verifyMismatches())
                .withDetail("staleServed", stats.staleServed())
                .withDetail("serverTrackingKeys", stats.serverTrackingKeys())
                .withDetail("serverTrackingFill", Math.round(stats.serverTrackingFill() * 1000) / 1000.0)
                .withDetail("flushes", stats.flushes())
                .build();
    }

    /** Null if Redis answered a read, else why not (no host or credentials in it). */
    private String probe() {
        try {
            cache.getAsync(PROBE_KEY).get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (TimeoutException e) {
            return "no reply within " + PROBE_TIMEOUT.toMillis() + " ms";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (ExecutionException | RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof RedisCommandExecutionException) {
                    return null; // the server replied, with an error such as NOPERM: it answers
                }
            }
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return cause instanceof NearCacheNotConnectedException ? "not connected yet (started without Redis)"
                    : cause instanceof NearCacheException ? "the read failed" : cause.getClass().getSimpleName();
        }
    }
}
