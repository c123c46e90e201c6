package dev.nearcache.testkit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RedisClusterIT {

    @Test
    void formsAClusterThatServesEverySlotAndFailsOver() {
        List<Long> pids;
        try (RedisCluster cluster = RedisServers.startCluster(3, 1)) {
            pids = cluster.servers().stream().map(s -> s.pid().orElseThrow()).toList();
            List<ClusterNode> nodes = cluster.nodes();
            assertEquals(6, nodes.size());
            List<ClusterNode> masters = cluster.masters();
            assertEquals(3, masters.size());
            assertEquals(16384, masters.stream().mapToInt(ClusterNode::slotCount).sum());
            Set<String> masterIds = masters.stream().map(ClusterNode::id).collect(Collectors.toSet());
            List<ClusterNode> replicas = cluster.replicas();
            assertEquals(3, replicas.size());
            assertEquals(masterIds, replicas.stream().map(ClusterNode::masterId).collect(Collectors.toSet()),
                    "each master has one replica");
            nodes.forEach(n -> assertTrue(n.server().isPresent(), "every node maps to its local server"));

            RedisClusterClient client = RedisClusterClient.create(
                    cluster.seedUris().stream().map(RedisURI::create).toList());
            try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
                for (int i = 0; i < 200; i++) {
                    c.sync().set("key:" + i, "value:" + i);
                }
                for (int i = 0; i < 200; i++) {
                    assertEquals("value:" + i, c.sync().get("key:" + i));
                }
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }

            ClusterNode victim = masters.get(0);
            String replicaId = replicas.stream().filter(r -> r.masterId().equals(victim.id())).findFirst()
                    .orElseThrow().id();
            victim.server().orElseThrow().kill();
            await("replica " + replicaId + " promoted").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.masters().stream().anyMatch(m -> m.id().equals(replicaId)));
            cluster.awaitHealthy(Duration.ofSeconds(30));
            assertEquals(16384, cluster.masters().stream().mapToInt(ClusterNode::slotCount).sum());

            victim.server().orElseThrow().start();
            await("restarted node rejoins as a replica").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.replicas().stream().anyMatch(r -> r.id().equals(victim.id())));
            cluster.awaitHealthy(Duration.ofSeconds(30));
            assertNotNull(cluster.version());
        }
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "node pid " + pid + " left");
        }
    }

    @Test
    void migratesASlotWithItsKeysToAnotherMaster() {
        try (RedisCluster cluster = RedisServers.startCluster(2, 1)) {
            RedisServer any = cluster.servers().get(0);
            for (String key : List.of("{m}k1", "plain", "", "{}", "{}{a}", "a{b}c{d}", "{{x}}", "open{", "close}",
                    "{user1000}.following", "ключ", "123456789")) {
                assertEquals(((Long) any.command(Duration.ofSeconds(5), "CLUSTER", "KEYSLOT", key)).intValue(),
                        cluster.slotOf(key), "slot of '" + key + "'");
            }
            int slot = cluster.slotOf("{m}k1");
            ClusterNode source = cluster.ownerOf(slot);
            ClusterNode target = cluster.masters().stream().filter(m -> !m.id().equals(source.id())).findFirst()
                    .orElseThrow();
            ClusterNode replica = cluster.replicas().get(0);
            RedisServer from = source.server().orElseThrow();
            RedisServer to = target.server().orElseThrow();
            for (int i = 1; i <= 5; i++) {
                assertEquals(slot, cluster.slotOf("{m}k" + i));
                from.command(Duration.ofSeconds(5), "SET", "{m}k" + i, "v" + i);
            }

            assertEquals("slot must be between 0 and 16383, got -1",
                    assertThrows(IllegalArgumentException.class, () -> cluster.migrateSlot(-1, target.id()))
                            .getMessage());
            assertEquals("slot must be between 0 and 16383, got 16384",
                    assertThrows(IllegalArgumentException.class, () -> cluster.ownerOf(16384)).getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> cluster.migrateSlot(slot, "nosuchnode"))
                    .getMessage().startsWith("unknown node id 'nosuchnode'"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> cluster.migrateSlot(slot, replica.id()))
                    .getMessage().endsWith("is a replica of " + replica.masterId()
                            + ", not a master: slots can only move to masters"));

            int sourceSlots = source.slotCount();
            int targetSlots = target.slotCount();
            cluster.migrateSlot(slot, target.id());

            assertEquals(target.id(), cluster.ownerOf(slot).id());
            for (int i = 1; i <= 5; i++) {
                assertEquals("v" + i, to.command(Duration.ofSeconds(5), "GET", "{m}k" + i));
            }
            RedisAdminException moved = assertThrows(RedisAdminException.class,
                    () -> from.command(Duration.ofSeconds(5), "GET", "{m}k1"));
            assertEquals("MOVED " + slot + " " + target.host() + ":" + target.port(), moved.getMessage());
            assertEquals(0L, from.command(Duration.ofSeconds(5), "CLUSTER", "COUNTKEYSINSLOT",
                    Integer.toString(slot)));
            assertEquals(sourceSlots - 1, cluster.nodes().stream().filter(n -> n.id().equals(source.id()))
                    .findFirst().orElseThrow().slotCount());
            assertEquals(targetSlots + 1, cluster.ownerOf(slot).slotCount());

            cluster.migrateSlot(slot, target.id()); // already there: nothing to do
            assertEquals(target.id(), cluster.ownerOf(slot).id());
            cluster.awaitHealthy(Duration.ofSeconds(30));
            assertEquals(16384, cluster.masters().stream().mapToInt(ClusterNode::slotCount).sum());
        }
    }

    @Test
    void addsAnEmptyMasterAndMovesASlotToIt() {
        List<Long> addedPids = new ArrayList<>();
        try (RedisCluster cluster = RedisServers.startCluster(2, 0)) {
            ClusterNode added = cluster.addMaster();
            assertTrue(added.master());
            assertEquals(List.of(), added.slotRanges());
            assertEquals(3, cluster.servers().size());
            RedisServer server = cluster.servers().get(2);
            assertEquals(server.port(), added.port());
            assertEquals(server, added.server().orElseThrow());
            addedPids.add(server.pid().orElseThrow());
            assertEquals(3, cluster.nodes().size());
            assertEquals(2, cluster.masters().size(), "a master without slots is not listed");
            assertTrue(cluster.seedUris().contains(server.uri()));

            // right away: the new node must already accept the keys (no CLUSTERDOWN)
            int slot = cluster.slotOf("{n}");
            ClusterNode source = cluster.ownerOf(slot);
            RedisServer from = source.server().orElseThrow();
            for (int i = 0; i < 10; i++) {
                from.command(Duration.ofSeconds(5), "SET", "{n}" + i, "v" + i);
            }
            cluster.migrateSlot(slot, added.id());

            List<ClusterNode> masters = cluster.masters();
            assertEquals(3, masters.size());
            ClusterNode now = masters.stream().filter(m -> m.id().equals(added.id())).findFirst().orElseThrow();
            assertEquals(List.of(Integer.toString(slot)), now.slotRanges());
            assertEquals(added.id(), cluster.ownerOf(slot).id());
            assertEquals(10L, server.command(Duration.ofSeconds(5), "DBSIZE"));

            ClusterNode empty = cluster.addMaster();
            addedPids.add(empty.server().orElseThrow().pid().orElseThrow());
            assertEquals(4, cluster.nodes().size());
            assertEquals(3, cluster.masters().size());
            cluster.awaitHealthy(Duration.ofSeconds(30)); // a master without slots is fine

            RedisClusterClient client = RedisClusterClient.create(
                    cluster.seedUris().stream().map(RedisURI::create).toList());
            try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
                for (int i = 0; i < 10; i++) {
                    assertEquals("v" + i, c.sync().get("{n}" + i));
                }
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }

            // giving away a master's last slot: Redis may turn it into a replica of the target on its own
            cluster.migrateSlot(slot, source.id());
            assertEquals(source.id(), cluster.ownerOf(slot).id());
            assertEquals("v0", from.command(Duration.ofSeconds(5), "GET", "{n}0"));
            ClusterNode emptied = cluster.nodes().stream().filter(n -> n.id().equals(added.id())).findFirst()
                    .orElseThrow();
            assertEquals(List.of(), emptied.slotRanges());
            assertTrue(emptied.master() || source.id().equals(emptied.masterId()), emptied.toString());
            assertEquals(16384, cluster.masters().stream().mapToInt(ClusterNode::slotCount).sum());
        }
        for (long pid : addedPids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "added node pid " + pid
                    + " left");
        }
    }

    @Test
    void runsTheHookBetweenBatchesWhileTheSlotIsHalfMoved() {
        try (RedisCluster cluster = RedisServers.startCluster(2, 0)) {
            int slot = cluster.slotOf("{h}");
            ClusterNode source = cluster.ownerOf(slot);
            ClusterNode target = cluster.masters().stream().filter(m -> !m.id().equals(source.id())).findFirst()
                    .orElseThrow();
            RedisServer from = source.server().orElseThrow();
            RedisServer to = target.server().orElseThrow();
            for (int i = 0; i < 250; i++) {
                from.command(Duration.ofSeconds(5), "SET", "{h}" + i, "v" + i);
            }
            RedisClusterClient client = RedisClusterClient.create(
                    cluster.seedUris().stream().map(RedisURI::create).toList());
            try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
                List<Long> left = new ArrayList<>();
                cluster.migrateSlot(slot, target.id(), () -> {
                    left.add((Long) from.command(Duration.ofSeconds(5), "CLUSTER", "COUNTKEYSINSLOT",
                            Integer.toString(slot)));
                    if (left.size() == 1) {
                        assertTrue(((String) from.command(Duration.ofSeconds(5), "CLUSTER", "NODES"))
                                .contains("[" + slot + "->-" + target.id() + "]"), "MIGRATING on the source");
                        // keys already moved and new keys are redirected with ASK; the client follows it
                        List<?> moved = (List<?>) to.command(Duration.ofSeconds(5), "CLUSTER",
                                "GETKEYSINSLOT", Integer.toString(slot), "1");
                        String movedKey = (String) moved.get(0);
                        RedisAdminException ask = assertThrows(RedisAdminException.class,
                                () -> from.command(Duration.ofSeconds(5), "GET", movedKey));
                        assertEquals("ASK " + slot + " " + target.host() + ":" + target.port(), ask.getMessage());
                        assertEquals(movedKey.replace("{h}", "v"), c.sync().get(movedKey));
                        c.sync().set("{h}new", "written mid-migration");
                        assertEquals("written mid-migration", c.sync().get("{h}new"));
                    }
                });
                assertEquals(List.of(150L, 50L, 0L), left, "keys left on the source after each batch of 100");
                assertEquals(251L, to.command(Duration.ofSeconds(5), "CLUSTER", "COUNTKEYSINSLOT",
                        Integer.toString(slot)));
                assertEquals("written mid-migration", c.sync().get("{h}new"));
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }

            // a failing hook leaves the slot half moved; migrating again completes the move
            int other = cluster.slotOf("{r}");
            ClusterNode otherSource = cluster.ownerOf(other);
            ClusterNode otherTarget = cluster.masters().stream().filter(m -> !m.id().equals(otherSource.id()))
                    .findFirst().orElseThrow();
            for (int i = 0; i < 150; i++) {
                otherSource.server().orElseThrow().command(Duration.ofSeconds(5), "SET", "{r}" + i, "v" + i);
            }
            AtomicInteger calls = new AtomicInteger();
            assertThrows(IllegalStateException.class, () -> cluster.migrateSlot(other, otherTarget.id(), () -> {
                calls.incrementAndGet();
                throw new IllegalStateException("test aborts the migration");
            }));
            assertEquals(1, calls.get());
            assertEquals(otherSource.id(), cluster.ownerOf(other).id(), "still served by the source");
            cluster.migrateSlot(other, otherTarget.id());
            assertEquals(otherTarget.id(), cluster.ownerOf(other).id());
            assertEquals(150L, otherTarget.server().orElseThrow().command(Duration.ofSeconds(5), "CLUSTER",
                    "COUNTKEYSINSLOT", Integer.toString(other)));
            cluster.awaitHealthy(Duration.ofSeconds(30));
        }
    }
}
