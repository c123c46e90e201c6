package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** Parsing a master's CLUSTER NODES (format of Redis 6.2 and 7.0; 7.0 adds a hostname after the bus port). */
class ClusterViewTest {
    private static final String NODES = String.join("\n",
            "aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5461 [5461->-bbb] [7000-<-ccc]",
            "bbb 127.0.0.1:7001@17001,host-b master - 0 1700000000000 2 connected 5462-10922 16000",
            "ccc 127.0.0.1:7002@17002 master,fail - 0 1700000000000 3 disconnected 10923-15999",
            "ddd 127.0.0.1:7003@17003 slave aaa 0 1700000000000 1 connected",
            "eee 127.0.0.1:7004@17004 master,fail? - 0 1700000000000 5 connected 16001-16383",
            "");

    @Test
    void readsOwnersOfHealthyMastersAndTheSlotsThisMasterMigratesAway() {
        ClusterView view = ClusterView.parse(NODES);
        assertEquals("aaa", view.owners[0]);
        assertEquals("aaa", view.owners[5461], "a slot being migrated is still its source's");
        assertEquals("bbb", view.owners[5462]);
        assertEquals("bbb", view.owners[16000]);
        assertNull(view.owners[12000], "a failed master serves nothing");
        assertNull(view.owners[16383], "nor does one suspected of failing");
        BitSet migrating = new BitSet();
        migrating.set(5461);
        assertEquals(migrating, view.migrating, "only slots this master migrates away, not those it imports");
    }
}
