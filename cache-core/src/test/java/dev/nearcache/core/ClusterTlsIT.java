package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.testkit.Certificates;
import dev.nearcache.testkit.ClusterNode;
import dev.nearcache.testkit.RedisCluster;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS over a Redis Cluster of 3 masters with a replica each, whose bus and replication also run over TLS: every
 * master is reached over TLS with the private CA, reads are cached and invalidated on each, and a CA the cache does
 * not trust fails the build. Skipped where redis-server was built without TLS or openssl is missing.
 */
class ClusterTlsIT {
    @TempDir
    static Path dir;
    private static Certificates certs;
    private static RedisCluster cluster;

    @BeforeAll
    static void startTlsCluster() throws Exception {
        assumeTrue(Certificates.opensslAvailable(dir), "openssl is not installed");
        certs = Certificates.make(dir, "DNS:localhost,IP:127.0.0.1"); // nodes report themselves as 127.0.0.1
        try {
            cluster = RedisServers.builder().tls(certs.serverCert(), certs.serverKey(), certs.ca(), "no")
                    .startCluster(3, 1);
        } catch (RuntimeException e) {
            assumeTrue(false, "this redis-server cannot run a TLS cluster: " + e.getMessage());
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static NearCacheBuilder<String, String> tlsCache() {
        return NearCache.builder().redisUris(cluster.tlsSeedUris().toArray(new String[0])).cluster(true)
                .heartbeatInterval(ClusterNearCacheIT.INTERVAL).heartbeatTimeout(ClusterNearCacheIT.TIMEOUT)
                .topologyRefreshPeriod(ClusterNearCacheIT.REFRESH);
    }

    @Test
    void everyMasterIsReachedOverTlsAndItsReadsAreCachedAndInvalidated() {
        RedisClusterClient plain = ClusterNearCacheIT.anotherClient(cluster);
        try (StatefulRedisClusterConnection<String, String> other = plain.connect();
             NearCache<String, String> cache = tlsCache().tlsCaFile(certs.ca()).build()) {
            for (ClusterNode master : cluster.masters()) {
                String key = ClusterNearCacheIT.keysOn(master, "tls:" + master.port() + ":", 1).get(0);
                other.sync().set(key, "v1");
                Harness.cachedForSure(cache, key, "v1");
                other.sync().set(key, "v2");
                await("invalidation over TLS from " + master.port()).atMost(Duration.ofSeconds(5))
                        .until(() -> "v2".equals(cache.get(key)));
                cache.set(key, "v3");
                assertEquals("v3", other.sync().get(key));
            }
        } finally {
            plain.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void aCaTheCacheDoesNotTrustFailsTheBuild() {
        assertThrows(NearCacheException.class, () -> tlsCache().tlsCaFile(certs.otherCa()).build().close());
    }
}
