package dev.nearcache.core;

import io.lettuce.core.cluster.SlotHash;
import java.util.BitSet;

/**
 * One master's answer to {@code CLUSTER NODES}, as far as the cluster routing needs it: which node id serves each
 * slot in that master's view, and which slots that master is migrating away ({@code [slot->-target]} on its own
 * line, which Lettuce's topology leaves out). Immutable.
 */
final class ClusterView {
    /** Node id serving each slot (masters not flagged failing), null where none does in this view. */
    final String[] owners = new String[SlotHash.SLOT_COUNT];
    /** Slots the answering master is migrating away. */
    final BitSet migrating = new BitSet();

    private ClusterView() {
    }

    static ClusterView parse(String clusterNodes) {
        ClusterView view = new ClusterView();
        for (String line : clusterNodes.split("\n")) {
            String[] fields = line.trim().split(" ");
            if (fields.length < 8) {
                continue;
            }
            String flags = fields[2];
            boolean myself = flags.contains("myself");
            boolean master = flags.contains("master") && !flags.contains("fail");
            for (int i = 8; i < fields.length; i++) {
                String slots = fields[i];
                if (slots.startsWith("[")) {
                    int arrow = slots.indexOf("->-");
                    if (myself && arrow > 1) {
                        view.migrating.set(Integer.parseInt(slots.substring(1, arrow)));
                    }
                } else if (master) {
                    int dash = slots.indexOf('-');
                    int from = Integer.parseInt(dash < 0 ? slots : slots.substring(0, dash));
                    int to = dash < 0 ? from : Integer.parseInt(slots.substring(dash + 1));
                    for (int slot = from; slot <= to; slot++) {
                        view.owners[slot] = fields[0];
                    }
                }
            }
        }
        return view;
    }
}
