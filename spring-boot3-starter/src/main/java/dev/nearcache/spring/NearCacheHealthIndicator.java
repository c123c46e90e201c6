package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * {@code /actuator/health/nearcache} on Boot 3.5: what {@link NearCacheHealthCheck} finds, as Boot's {@link Health}.
 */
final class NearCacheHealthIndicator implements HealthIndicator {
    private final NearCacheHealthCheck check;

    NearCacheHealthIndicator(NearCache<String, ?> cache) {
        this.check = new NearCacheHealthCheck(cache);
    }

    @Override
    public Health health() {
        NearCacheHealthCheck.Result result = check.check();
        return (result.up() ? Health.up() : Health.down()).withDetails(result.details()).build();
    }
}
