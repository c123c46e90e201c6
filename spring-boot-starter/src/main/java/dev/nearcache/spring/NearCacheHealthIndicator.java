package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheStats;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code /actuator/health/nearcache}: UP while invalidations arrive (the invalidation connection answers its
 * heartbeat, so Redis is reachable, and every data connection's tracking is confirmed), DOWN otherwise (reads then go
 * to Redis and nothing is cached, or fail if Redis is gone). Details: the connection's state, entries, hit ratio,
 * invalidations and flushes by reason. Never a host's credentials.
 */
final class NearCacheHealthIndicator implements HealthIndicator {
    private final NearCache<?, ?> cache;

    NearCacheHealthIndicator(NearCache<?, ?> cache) {
        this.cache = cache;
    }

    @Override
    public Health health() {
        NearCacheStats stats = cache.stats();
        Health.Builder health = stats.invalidationConnectionHealthy() ? Health.up()
                .withDetail("invalidationConnection", "connected")
                : Health.down().withDetail("invalidationConnection",
                        "down: reads go to Redis and nothing is cached until it is back");
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
}
