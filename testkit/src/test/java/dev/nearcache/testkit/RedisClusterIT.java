package dev.nearcache.testkit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
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
}
