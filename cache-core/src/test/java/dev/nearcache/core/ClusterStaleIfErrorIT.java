package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.testkit.ClusterNode;
import dev.nearcache.testkit.RedisCluster;
import dev.nearcache.testkit.RedisExtension;
import dev.nearcache.testkit.RedisServer;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stale-if-error over a Redis Cluster: a master goes down (no replica takes over), and the keys of its slots read
 * through the cache are served as last known within the window, then fail; nothing stale is served once it ends.
 */
class ClusterStaleIfErrorIT {
    private static final Duration WINDOW = Duration.ofSeconds(3);

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster(3, 0);

    @Test
    void aMasterDownItsKeysAreServedAsLastKnownWithinTheWindowAndNotAfter() {
        RedisCluster cluster = redis.cluster();
        ClusterNode master = cluster.masters().get(0);
        RedisServer server = cluster.servers().stream().filter(s -> s.port() == master.port()).findFirst()
                .orElseThrow();
        List<String> keys = ClusterNearCacheIT.keysOn(master, "sie:", 5);
        RedisClusterClient client = ClusterNearCacheIT.anotherClient(cluster);
        try (StatefulRedisClusterConnection<String, String> other = client.connect();
             NearCache<String, String> cache = ClusterNearCacheIT.clusterCache(cluster).staleIfError(WINDOW)
                     .failFastWhenDisconnected(true).commandTimeout(Duration.ofMillis(500)).build()) {
            for (String key : keys) {
                other.sync().set(key, "v1");
                cachedForSure(cache, key, "v1");
            }
            server.stop();
            long stopped = System.nanoTime();
            await("the loss is seen").atMost(Duration.ofSeconds(5))
                    .until(() -> !cache.stats().invalidationConnectionHealthy());
            for (String key : keys) {
                assertEquals("v1", cache.get(key), "its master is down: the last value, within the window");
            }
            assertTrue(cache.stats().staleServed() >= keys.size(), cache.stats().toString());
            assertThrows(NearCacheException.class, () -> cache.get(ClusterNearCacheIT.keysOn(master, "never:", 1)
                    .get(0)), "a key never read has no last value");
            await("past the window, reads fail").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThrows(NearCacheException.class, () -> cache.get(keys.get(0))));
            assertTrue(System.nanoTime() - stopped >= WINDOW.toNanos(), "not before the window ended");
        } finally {
            server.start();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
