package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheException;
import dev.nearcache.core.NearCacheNotConnectedException;
import dev.nearcache.core.NearCacheStats;
import io.lettuce.core.RedisCommandExecutionException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code /actuator/health/nearcache}: UP while Redis answers, DOWN when it does not (reads then fail, or serve stale
 * values within the stale-if-error window). While the invalidation connection is down but Redis answers, reads still
 * work, from Redis and uncached: UP, with {@code invalidationConnection} saying so; the probe is one read of the key
 * {@code nearcache:health} through the near cache (any reply counts, an ACL refusal included), bounded by one
 * second. Details: the connection's state, entries, hit ratio, invalidations and flushes by reason. Never a host's
 * credentials. Each starter's {@code NearCacheHealthIndicator} turns the result into its Boot line's {@code Health}.
 */
final class NearCacheHealthCheck {
    static final String PROBE_KEY = "nearcache:health";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private final NearCache<String, ?> cache;

    NearCacheHealthCheck(NearCache<String, ?> cache) {
        this.cache = cache;
    }

    /** UP or DOWN, and the details in the order they are shown. */
    record Result(boolean up, Map<String, Object> details) {
    }

    Result check() {
        NearCacheStats stats = cache.stats();
        Map<String, Object> details = new LinkedHashMap<>();
        boolean up = true;
        if (stats.invalidationConnectionHealthy()) {
            details.put("invalidationConnection", "connected");
        } else {
            String unanswered = probe();
            if (unanswered == null) {
                details.put("invalidationConnection", "down: reads go to Redis and nothing is cached until it is back");
            } else {
                up = false;
                details.put("invalidationConnection", "down");
                details.put("redis", "not answering: " + unanswered);
            }
        }
        details.put("trackingMode", stats.trackingMode());
        details.put("entries", stats.size());
        details.put("hitRatio", Math.round(stats.hitRatio() * 1000) / 1000.0);
        details.put("invalidations", stats.invalidations());
        details.put("verifyChecks", stats.verifyChecks());
        details.put("verifyMismatches", stats.verifyMismatches());
        details.put("staleServed", stats.staleServed());
        details.put("serverTrackingKeys", stats.serverTrackingKeys());
        details.put("serverTrackingFill", Math.round(stats.serverTrackingFill() * 1000) / 1000.0);
        details.put("flushes", stats.flushes());
        return new Result(up, details);
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
