package dev.nearcache.core;

import dev.nearcache.internal.RedisInfo;
import java.util.List;
import java.util.Map;

/**
 * What a Redis node's tracking table holds, from {@code INFO stats} ({@code tracking_total_keys}) and
 * {@code CONFIG GET tracking-table-max-keys}: the server-side memory every tracked read costs, and how close it is
 * to the bound past which Redis evicts tracked keys (invalidating them: lost hit ratio, never coherence).
 *
 * @param keys    keys tracked for all clients, or -1 if {@code INFO} is not allowed
 * @param maxKeys the bound, 0 for none, or -1 if {@code CONFIG GET} is not allowed
 */
record ServerTracking(long keys, long maxKeys) {
    static final ServerTracking UNKNOWN = new ServerTracking(-1, -1);
    /** Above this share of its bound, a tracking table is warned about. */
    static final double WARN_FILL = 0.8;

    /** {@code keys / maxKeys}, or -1 when either is unknown or there is no bound. */
    double fill() {
        return keys < 0 || maxKeys <= 0 ? -1 : (double) keys / maxKeys;
    }

    static ServerTracking parse(String infoStats, Map<String, String> config) {
        String total = RedisInfo.field(infoStats, "tracking_total_keys");
        long keys = total == null ? -1 : Long.parseLong(total);
        long max = -1;
        if (config != null && config.get("tracking-table-max-keys") != null) {
            max = Long.parseLong(config.get("tracking-table-max-keys").trim());
        }
        return new ServerTracking(keys, max);
    }

    /** Over a cluster's masters: keys added up, and the fullest table's share of its bound. */
    static ServerTracking combine(List<ServerTracking> nodes) {
        long keys = 0;
        ServerTracking fullest = null;
        for (ServerTracking node : nodes) {
            if (node.keys < 0) {
                return UNKNOWN;
            }
            keys += node.keys;
            if (fullest == null || node.fill() > fullest.fill()) {
                fullest = node;
            }
        }
        if (fullest == null) {
            return UNKNOWN;
        }
        // the fullest node's bound scaled to the total, so keys / maxKeys is that node's fill
        long max = fullest.fill() < 0 ? fullest.maxKeys : Math.round(keys / fullest.fill());
        return new ServerTracking(keys, max);
    }
}
