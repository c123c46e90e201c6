package dev.nearcache.core;

/**
 * Why the whole local cache was flushed (docs/DESIGN.md: rule 3 for lost invalidations, rule 10 for a cluster's
 * topology, rule 11 for a Sentinel switch, the canary for mismatches); {@link #tag()} names it in stats and metrics.
 * With stale-if-error a flush marks entries unverified instead of dropping them (rule 12).
 */
enum FlushReason {
    /** The invalidation connection closed or its heartbeat timed out. */
    INVALIDATION_CONNECTION_LOST("invalidation-connection-lost"),
    /** The invalidation connection came back under a new client id. */
    REDIRECT_CHANGED("redirect-changed"),
    /** Redis sent an invalidation without keys (FLUSHALL, FLUSHDB) or one we could not decode. */
    FLUSH_COMMAND("flush-command"),
    /** A data connection was lost: its tracking is gone server-side. */
    DATA_CONNECTION_LOST("data-connection-lost"),
    /** A data connection was told its redirect target is gone. */
    TRACKING_REDIR_BROKEN("tracking-redir-broken"),
    /**
     * Redis Cluster: a slot is now served by another master (resharding, failover), which never saw our reads, or a
     * slot started migrating away from its master.
     */
    TOPOLOGY_CHANGED("topology-changed"),
    /**
     * Redis Sentinel: the master changed (a sentinel announced it, or the invalidation connection came back on
     * another server).
     */
    MASTER_SWITCHED("master-switched"),
    /** The coherence canary found more values that differ from Redis than its threshold allows. */
    VERIFY_MISMATCH("verify-mismatch");

    private final String tag;

    FlushReason(String tag) {
        this.tag = tag;
    }

    String tag() {
        return tag;
    }
}
