package dev.nearcache.testkit;

import java.util.List;
import java.util.Optional;

/**
 * One node of a {@link RedisCluster} as the cluster sees it at the moment {@link RedisCluster#nodes()} was called:
 * roles and slots change with failovers and resharding, so ask again after one.
 *
 * @param id         the node id ({@code CLUSTER MYID})
 * @param host       the address it announces
 * @param port       its client port
 * @param master     whether it is a master now
 * @param masterId   the id of its master if it is a replica, else null
 * @param slotRanges the slot ranges it serves, e.g. {@code ["0-5460"]}; empty for replicas
 * @param failing    whether the cluster flags it {@code fail} or {@code fail?}
 * @param server     the local server behind it, for stopping and restarting it
 */
public record ClusterNode(String id, String host, int port, boolean master, String masterId,
                          List<String> slotRanges, boolean failing, Optional<RedisServer> server) {

    /** {@code redis://host:port}. */
    public String uri() {
        return "redis://" + host + ":" + port;
    }

    /** Whether this node serves hash slot {@code slot} (as of when it was listed). */
    public boolean serves(int slot) {
        for (String range : slotRanges) {
            int dash = range.indexOf('-');
            int first = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
            int last = dash < 0 ? first : Integer.parseInt(range.substring(dash + 1));
            if (slot >= first && slot <= last) {
                return true;
            }
        }
        return false;
    }

    /** The number of slots this node serves. */
    public int slotCount() {
        int count = 0;
        for (String range : slotRanges) {
            int dash = range.indexOf('-');
            count += dash < 0 ? 1
                    : Integer.parseInt(range.substring(dash + 1)) - Integer.parseInt(range.substring(0, dash)) + 1;
        }
        return count;
    }
}
