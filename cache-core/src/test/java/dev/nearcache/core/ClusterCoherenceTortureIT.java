package dev.nearcache.core;

import static dev.nearcache.core.ClusterNearCacheIT.INTERVAL;
import static dev.nearcache.core.ClusterNearCacheIT.REFRESH;
import static dev.nearcache.core.ClusterNearCacheIT.TIMEOUT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.Load;
import dev.nearcache.core.support.TortureLoad;
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
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coherence contract under faults, over a Redis Cluster of 3 masters with a replica each: readers through the
 * cache, writers on another client and through the cache, and a fault every few seconds on a random master (kill
 * its invalidation connection or a data connection, FLUSHALL, CLIENT PAUSE, migrate a slot holding keys to another
 * master, freeze its process for 1.5 s so that every connection to it answers nothing, kill the master so its replica takes over and bring it back as a replica). When writes stop and all is
 * healthy, after one heartbeat interval plus its timeout and one topology refresh period, no key read through the
 * cache may differ from Redis. A quiet phase without faults ends the load, as in {@link CoherenceTortureIT}.
 *
 * <p>Run in both tracking modes, REDIRECT and SAME_CONNECTION; in the latter, the fault aimed at a master's
 * invalidation connection kills a data connection instead.
 *
 * <p>{@code -Dnearcache.torture.seconds=N} sets the length of each (CI: 30 s here).
 */
class ClusterCoherenceTortureIT {
    private static final Logger log = LoggerFactory.getLogger(ClusterCoherenceTortureIT.class);

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster(3, 1);

    @ParameterizedTest
    @EnumSource(value = TrackingMode.class, names = {"REDIRECT", "SAME_CONNECTION"})
    void noStaleValueSurvivesTheFaults(TrackingMode mode) throws Exception {
        RedisCluster cluster = redis.cluster();
        long seconds = Long.getLong("nearcache.torture.seconds", 30);
        RedisClusterClient otherClient = ClusterNearCacheIT.anotherClient(cluster);
        try (StatefulRedisClusterConnection<String, String> other = otherClient.connect();
             // SAME_CONNECTION with stale-if-error on: what a fault has it serve must not outlive the fault
             NearCache<String, String> cache = staleIfError(mode, ClusterNearCacheIT.clusterCache(cluster)
                     .maximumSize(1000).verifyRate(500).trackingMode(mode)).build();
             TortureLoad load = new TortureLoad(cache, other.sync())) {
            assertEquals(mode, cache.stats().trackingMode());
            String invalidations = mode == TrackingMode.SAME_CONNECTION ? Harness.data(1) : Harness.LISTENER;
            List<String> applied = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            int n = 0;
            while (System.nanoTime() < deadline) {
                Load.pause(2500);
                List<ClusterNode> masters = cluster.masters();
                ClusterNode master = masters.get(ThreadLocalRandom.current().nextInt(masters.size()));
                RedisServer server = master.server().orElseThrow();
                String fault = switch (n++ % 7) {
                    case 0 -> Harness.killForTorture(server, invalidations);
                    case 1 -> Harness.killForTorture(server, Harness.data(ThreadLocalRandom.current().nextInt(2)));
                    case 2 -> {
                        server.flushAll();
                        yield "FLUSHALL";
                    }
                    case 3 -> {
                        server.command(Duration.ofSeconds(2), "CLIENT", "PAUSE", "400");
                        yield "CLIENT PAUSE";
                    }
                    case 4 -> migrate(cluster, masters, master);
                    case 5 -> freeze(server);
                    default -> failover(cluster, master, server);
                };
                applied.add(fault + " on " + master.port());
            }
            cluster.awaitHealthy(Duration.ofSeconds(60));
            await("healthy before the quiet phase").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy());
            load.quiet();
            Load.pause(5000);
            load.stop();
            await("connections healthy again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy() && other.sync().ping() != null);
            // the contract's grace: a heartbeat interval plus its timeout, and a topology refresh period
            Thread.sleep(INTERVAL.plus(TIMEOUT).plus(REFRESH).toMillis());

            List<String> stale = load.staleKeys();
            NearCacheStats stats = cache.stats();
            log.info("cluster torture ({}): {} s, faults {}, {} reads ({} failed), {} writes, stats {}", mode, seconds,
                    applied, load.reads.get(), load.readErrors.get(), load.writes.get(), stats);
            assertEquals(List.of(), stale.subList(0, Math.min(10, stale.size())),
                    stale.size() + " of " + TortureLoad.KEYS + " keys differ from Redis");
            assertTrue(load.reads.get() > 1000, "the readers ran: " + load.reads.get());
            assertTrue(stats.hits() > 0 && stats.invalidations() > 0, stats.toString());
            assertTrue(stats.verifyChecks() > 1000, "the canary ran: " + stats);
            assertEquals(0, stats.verifyMismatches(), stats.toString());
        } finally {
            otherClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /**
     * Stops the master's process (SIGSTOP) for 1.5 s, less than the cluster's node timeout: every connection to it
     * stays open and answers nothing, as over a half-open link (rule 9), then it carries on.
     */
    private static String freeze(RedisServer server) {
        String pid = Long.toString(server.pid().orElseThrow());
        try {
            signal("STOP", pid);
            Load.pause(1500);
        } finally {
            signal("CONT", pid);
        }
        return "SIGSTOP 1.5 s";
    }

    private static void signal(String signal, String pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, pid).redirectErrorStream(true).start();
            if (!kill.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -" + signal + " " + pid + " failed");
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("kill -" + signal + " " + pid + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Moves the slot of a random key from {@code master} (keys and all) to another master. */
    private static String migrate(RedisCluster cluster, List<ClusterNode> masters, ClusterNode master) {
        ClusterNode target = masters.stream().filter(m -> !m.id().equals(master.id())).findFirst().orElseThrow();
        for (int i = ThreadLocalRandom.current().nextInt(TortureLoad.KEYS); ; i = (i + 1) % TortureLoad.KEYS) {
            int slot = SlotHash.getSlot(TortureLoad.key(i));
            if (master.serves(slot)) {
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

    private static NearCacheBuilder<String, String> staleIfError(TrackingMode mode,
                                                                 NearCacheBuilder<String, String> builder) {
        return mode == TrackingMode.SAME_CONNECTION ? builder.staleIfError(Duration.ofSeconds(2)) : builder;
    }
}
