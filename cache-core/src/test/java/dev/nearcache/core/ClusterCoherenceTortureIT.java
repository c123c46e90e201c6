package dev.nearcache.core;

import static dev.nearcache.core.ClusterNearCacheIT.INTERVAL;
import static dev.nearcache.core.ClusterNearCacheIT.REFRESH;
import static dev.nearcache.core.ClusterNearCacheIT.TIMEOUT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.ClusterNearCacheIT.Load;
import dev.nearcache.testkit.ClusterNode;
import dev.nearcache.testkit.RedisCluster;
import dev.nearcache.testkit.RedisExtension;
import dev.nearcache.testkit.RedisServer;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coherence contract under faults, over a Redis Cluster of 3 masters with a replica each: readers through the
 * cache, writers on another client and through the cache, and a fault every few seconds on a random master (kill
 * its invalidation connection or a data connection, FLUSHALL, CLIENT PAUSE, migrate a slot holding keys to another
 * master, kill the master so its replica takes over and bring it back as a replica). When writes stop and all is
 * healthy, after one heartbeat interval plus its timeout and one topology refresh period, no key read through the
 * cache may differ from Redis. A quiet phase without faults ends the load, as in {@link CoherenceTortureIT}.
 *
 * <p>{@code -Dnearcache.torture.seconds=N} sets the length (CI: 30 s here).
 */
class ClusterCoherenceTortureIT {
    private static final Logger log = LoggerFactory.getLogger(ClusterCoherenceTortureIT.class);
    private static final int KEYS = 2000;
    private static final int HOT = 50;

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster(3, 1);

    private static String key(int i) {
        return "t:" + i;
    }

    @Test
    void noStaleValueSurvivesTheFaults() throws Exception {
        RedisCluster cluster = redis.cluster();
        long seconds = Long.getLong("nearcache.torture.seconds", 30);
        RedisClusterClient otherClient = ClusterNearCacheIT.anotherClient(cluster);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicBoolean quiet = new AtomicBoolean(false);
        AtomicLong reads = new AtomicLong();
        AtomicLong readErrors = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        try (StatefulRedisClusterConnection<String, String> other = otherClient.connect();
             NearCache<String, String> cache = ClusterNearCacheIT.clusterCache(cluster).maximumSize(1000).build()) {
            for (int i = 0; i < KEYS; i++) {
                other.async().set(key(i), "initial");
            }
            for (int r = 0; r < 4; r++) {
                threads.add(Load.start("reader-" + r, running, () -> {
                    double u = ThreadLocalRandom.current().nextDouble();
                    try {
                        cache.get(key(quiet.get() ? (int) (u * HOT) : (int) (u * u * u * KEYS)));
                        reads.incrementAndGet();
                    } catch (RuntimeException e) {
                        readErrors.incrementAndGet();
                    }
                }));
            }
            threads.add(Load.start("writer", running, () -> {
                double u = ThreadLocalRandom.current().nextDouble();
                int k = quiet.get() ? (int) (u * HOT) : (int) (u * u * u * KEYS);
                try {
                    other.sync().set(key(k), "w" + writes.incrementAndGet());
                } catch (RuntimeException e) {
                    // a master is failing over
                }
                Load.pause(2);
            }));
            threads.add(Load.start("own-writer", running, () -> {
                int k = ThreadLocalRandom.current().nextInt(200);
                try {
                    if (k % 10 == 0) {
                        cache.delete(key(k));
                    } else {
                        cache.set(key(k), "own" + writes.incrementAndGet());
                    }
                } catch (RuntimeException e) {
                    // faults make writes fail; what Redis holds is compared at the end
                }
                Load.pause(20);
            }));

            List<String> applied = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            int n = 0;
            while (System.nanoTime() < deadline) {
                Load.pause(2500);
                List<ClusterNode> masters = cluster.masters();
                ClusterNode master = masters.get(ThreadLocalRandom.current().nextInt(masters.size()));
                RedisServer server = master.server().orElseThrow();
                String fault = switch (n++ % 6) {
                    case 0 -> kill(server, Harness.LISTENER);
                    case 1 -> kill(server, Harness.data(ThreadLocalRandom.current().nextInt(2)));
                    case 2 -> {
                        server.flushAll();
                        yield "FLUSHALL";
                    }
                    case 3 -> {
                        server.command(Duration.ofSeconds(2), "CLIENT", "PAUSE", "400");
                        yield "CLIENT PAUSE";
                    }
                    case 4 -> migrate(cluster, masters, master);
                    default -> failover(cluster, master, server);
                };
                applied.add(fault + " on " + master.port());
            }
            cluster.awaitHealthy(Duration.ofSeconds(60));
            await("healthy before the quiet phase").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy());
            quiet.set(true);
            Load.pause(5000);
            running.set(false);
            for (Thread thread : threads) {
                thread.join(10_000);
            }
            await("connections healthy again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy() && other.sync().ping() != null);
            // the contract's grace: a heartbeat interval plus its timeout, and a topology refresh period
            Thread.sleep(INTERVAL.plus(TIMEOUT).plus(REFRESH).toMillis());

            List<String> stale = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                String cached = cache.get(key(i));
                String actual = other.sync().get(key(i));
                if (!Objects.equals(cached, actual)) {
                    stale.add(key(i) + " cache=" + cached + " redis=" + actual);
                }
            }
            NearCacheStats stats = cache.stats();
            log.info("cluster torture: {} s, faults {}, {} reads ({} failed), {} writes, stats {}", seconds, applied,
                    reads.get(), readErrors.get(), writes.get(), stats);
            assertEquals(List.of(), stale.subList(0, Math.min(10, stale.size())),
                    stale.size() + " of " + KEYS + " keys differ from Redis");
            assertTrue(reads.get() > 1000, "the readers ran: " + reads.get());
            assertTrue(stats.hits() > 0 && stats.invalidations() > 0, stats.toString());
        } finally {
            running.set(false);
            otherClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static String kill(RedisServer server, String name) {
        try {
            Harness.kill(server, name);
            return "CLIENT KILL " + name;
        } catch (AssertionError e) {
            return "(no " + name + " to kill)"; // reconnecting from the previous fault
        }
    }

    /** Moves the slot of a random key from {@code master} (keys and all) to another master. */
    private static String migrate(RedisCluster cluster, List<ClusterNode> masters, ClusterNode master) {
        ClusterNode target = masters.stream().filter(m -> !m.id().equals(master.id())).findFirst().orElseThrow();
        for (int i = ThreadLocalRandom.current().nextInt(KEYS); ; i = (i + 1) % KEYS) {
            int slot = SlotHash.getSlot(key(i));
            if (ClusterNearCacheIT.serves(master, slot)) {
                cluster.migrateSlot(slot, target.id(), () -> Load.pause(20));
                return "MIGRATE slot " + slot + " to " + target.port();
            }
        }
    }

    /** Kills the master, waits for its replica to take over, and brings it back (as a replica). */
    private static String failover(RedisCluster cluster, ClusterNode master, RedisServer server) {
        server.kill();
        await("a replica to take over from " + master.port()).atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> cluster.masters().stream().noneMatch(m -> m.port() == master.port())
                        && cluster.masters().size() == 3);
        server.start();
        cluster.awaitHealthy(Duration.ofSeconds(60));
        return "kill master (failover)";
    }
}
