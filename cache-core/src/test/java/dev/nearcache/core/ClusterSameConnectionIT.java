package dev.nearcache.core;

/**
 * Every {@link ClusterNearCacheIT} test (reads, writes and invalidations on every master, failovers, slot migration,
 * opt-in prefixes, TTLs, the cluster ACL, a new master) in SAME_CONNECTION mode: on each master, every data connection
 * receives the invalidations of its own reads, and there is no invalidation connection.
 */
class ClusterSameConnectionIT extends ClusterNearCacheIT {
    @Override
    TrackingMode mode() {
        return TrackingMode.SAME_CONNECTION;
    }
}
