package dev.nearcache.core;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the server's tracking table in view: every {@link #PERIOD_SECONDS} seconds it asks each node for its
 * tracked keys and bound ({@link Routing#serverTracking()}, two cheap commands per node on a data connection), hands
 * them to the store for the stats and gauges, and warns once each time the fullest table goes above
 * {@link ServerTracking#WARN_FILL} of its bound (past it Redis evicts tracked keys, invalidating them: the hit ratio
 * falls, silently but for this).
 */
final class TrackingTableMonitor {
    static final long PERIOD_SECONDS = 5;
    private static final Logger log = LoggerFactory.getLogger(TrackingTableMonitor.class);

    private final LocalStore<?, ?> store;
    private final Routing<?, ?> routing;
    private final long timeoutMillis;
    private boolean warned;

    TrackingTableMonitor(LocalStore<?, ?> store, Routing<?, ?> routing, long timeoutMillis) {
        this.store = store;
        this.routing = routing;
        this.timeoutMillis = timeoutMillis;
    }

    /** One look; runs on the cache's background thread. */
    void look() {
        ServerTracking tracking;
        try {
            tracking = routing.serverTracking().get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            log.debug("could not read the server's tracking table: {}", e.toString());
            return;
        }
        store.counters().serverTracking(tracking);
        double fill = tracking.fill();
        if (fill > ServerTracking.WARN_FILL && !warned) {
            warned = true;
            log.warn("Redis's tracking table at {} holds {} keys, {}% of tracking-table-max-keys: past it Redis evicts"
                    + " tracked keys and the hit ratio falls; raise the bound or cache fewer distinct keys",
                    routing.endpoint(), tracking.keys(), Math.round(fill * 100));
        } else if (fill >= 0 && fill <= ServerTracking.WARN_FILL && warned) {
            warned = false;
            log.info("Redis's tracking table at {} is back to {}% of its bound", routing.endpoint(),
                    Math.round(fill * 100));
        }
    }
}
