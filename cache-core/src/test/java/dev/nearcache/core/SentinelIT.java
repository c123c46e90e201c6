package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.Load;
import dev.nearcache.core.support.TortureLoad;
import dev.nearcache.testkit.RedisSentinel;
import dev.nearcache.testkit.RedisServer;
import dev.nearcache.testkit.RedisServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A master with a replica under three Redis Sentinels (real processes), in both tracking modes: reads, writes and
 * invalidations through the master the sentinels name; then the torture load with the Sentinel faults (a
 * {@code SENTINEL FAILOVER}, the master killed so the sentinels promote its replica, and brought back, empty, as a
 * master the sentinels turn into a replica) among connection kills and FLUSHALL. When writes stop and all is healthy,
 * after one heartbeat interval plus its timeout, no key read through the cache may differ from the master.
 *
 * <p>{@code -Dnearcache.torture.seconds=N} sets the length of each torture (CI: 30 s).
 */
class SentinelIT {
    private static final Logger log = LoggerFactory.getLogger(SentinelIT.class);
    private static final Duration INTERVAL = Duration.ofMillis(250);
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    private static RedisSentinel group;
    private static RedisClient otherClient;

    @BeforeAll
    static void start() {
        group = RedisServers.startSentinel(1, 3);
        otherClient = RedisClient.create(group.uri()); // follows the master as the sentinels name it
    }

    @AfterAll
    static void stop() {
        if (otherClient != null) {
            otherClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (group != null) {
            group.close();
        }
    }

    private static NearCacheBuilder<String, String> cache(TrackingMode mode) {
        return NearCache.builder().redisUri(group.uri()).trackingMode(mode).heartbeatInterval(INTERVAL)
                .heartbeatTimeout(TIMEOUT).reconnectDebounce(Duration.ofMillis(200))
                .commandTimeout(Duration.ofSeconds(1));
    }

    @ParameterizedTest
    @EnumSource(value = TrackingMode.class, names = {"REDIRECT", "SAME_CONNECTION"})
    void readsWritesAndInvalidationsThroughTheMasterTheSentinelsName(TrackingMode mode) {
        group.awaitHealthy(Duration.ofSeconds(60));
        try (StatefulRedisConnection<String, String> other = otherClient.connect();
             NearCache<String, String> cache = cache(mode).build()) {
            assertEquals(mode, cache.stats().trackingMode());
            RedisServer master = group.master();
            other.sync().set("s:1", "v1");
            cachedForSure(cache, "s:1", "v1");
            other.sync().set("s:1", "v2");
            await("invalidated through Sentinel").atMost(Duration.ofSeconds(5))
                    .until(() -> "v2".equals(cache.get("s:1")));
            cache.set("s:2", "own");
            assertEquals("own", other.sync().get("s:2"));
            for (int d = 0; d < 2; d++) {
                assertTrue(Harness.clientLine(master, Harness.data(d)).contains(" flags=t"), "tracking on the master");
            }
            // the replica serves nobody of the cache
            for (RedisServer server : group.servers()) {
                if (server.port() != master.port()) {
                    String list = (String) server.command(Duration.ofSeconds(2), "CLIENT", "LIST");
                    assertTrue(!list.contains("name=nearcache-"), "nothing connected to the replica: " + list);
                }
            }
        }
    }

    /**
     * The sentinels promote the replica while the old master still answers (it is demoted, and its clients dropped,
     * only some seconds later): a write to the new master must be seen long before that, because the cache acts on
     * the sentinels' {@code +switch-master} at once. Fails with {@code SentinelWatch} taken out.
     */
    @ParameterizedTest
    @EnumSource(value = TrackingMode.class, names = {"REDIRECT", "SAME_CONNECTION"})
    void aSwitchAnnouncedByTheSentinelsIsActedOnAtOnce(TrackingMode mode) {
        group.awaitHealthy(Duration.ofSeconds(60));
        try (NearCache<String, String> cache = cache(mode).build()) {
            RedisServer old = group.master();
            old.command(Duration.ofSeconds(2), "SET", "sw", "old");
            cachedForSure(cache, "sw", "old");
            group.sentinels().get(0).command(Duration.ofSeconds(2), "SENTINEL", "FAILOVER",
                    RedisSentinel.MASTER_NAME);
            await("the sentinels name a new master").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> group.master().port() != old.port());
            RedisServer promoted = group.master();
            promoted.command(Duration.ofSeconds(2), "SET", "sw", "new");
            long start = System.nanoTime();
            await("the new master's value").atMost(Duration.ofSeconds(2)).ignoreExceptions()
                    .until(() -> "new".equals(cache.get("sw")));
            long millis = (System.nanoTime() - start) / 1_000_000;
            String oldRole = String.valueOf(old.command(Duration.ofSeconds(2), "ROLE"));
            log.info("{}: served the new master's value {} ms after the write; the old master is now {}", mode,
                    millis, oldRole);
            assertTrue(cache.stats().flushes().get("master-switched") > 0, cache.stats().toString());
            cachedForSure(cache, "sw", "new");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TrackingMode.class, names = {"REDIRECT", "SAME_CONNECTION"})
    void noStaleValueSurvivesFailovers(TrackingMode mode) throws Exception {
        group.awaitHealthy(Duration.ofSeconds(60));
        long seconds = Long.getLong("nearcache.torture.seconds", 30);
        String invalidations = mode == TrackingMode.SAME_CONNECTION ? Harness.data(1) : Harness.LISTENER;
        try (StatefulRedisConnection<String, String> other = otherClient.connect();
             NearCache<String, String> cache = cache(mode).maximumSize(1000).verifyRate(500).build();
             TortureLoad load = new TortureLoad(cache, other.sync())) {
            List<String> applied = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            int n = 0;
            while (System.nanoTime() < deadline) {
                Load.pause(2000);
                RedisServer master = group.master();
                String fault = switch (n++ % 5) {
                    case 0 -> {
                        group.failover();
                        yield "SENTINEL FAILOVER";
                    }
                    case 1 -> Harness.killForTorture(master, invalidations);
                    case 2 -> {
                        master.flushAll();
                        yield "FLUSHALL";
                    }
                    case 3 -> {
                        master.kill(); // the sentinels agree it is down and promote the replica
                        await("a new master").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                                .until(() -> group.master().port() != master.port());
                        master.start(); // back empty and as a master, until the sentinels demote it
                        group.awaitHealthy(Duration.ofSeconds(60));
                        yield "kill the master, restart it";
                    }
                    default -> Harness.killForTorture(master, Harness.data(0));
                };
                applied.add(fault);
            }
            group.awaitHealthy(Duration.ofSeconds(60));
            await("healthy before the quiet phase").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy());
            load.quiet();
            Load.pause(3000);
            load.stop();
            await("connections healthy again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy() && other.sync().ping() != null);
            // the contract's grace: one heartbeat interval plus its timeout after writes stopped and all is healthy
            Thread.sleep(INTERVAL.plus(TIMEOUT).toMillis());

            List<String> stale = load.staleKeys();
            NearCacheStats stats = cache.stats();
            log.info("sentinel torture ({}): {} s, faults {}, {} reads ({} failed), {} writes, stats {}", mode,
                    seconds, applied, load.reads.get(), load.readErrors.get(), load.writes.get(), stats);
            assertEquals(List.of(), stale.subList(0, Math.min(10, stale.size())),
                    stale.size() + " of " + TortureLoad.KEYS + " keys differ from the master");
            assertTrue(load.reads.get() > 1000, "the readers ran: " + load.reads.get());
            assertTrue(stats.hits() > 0 && stats.invalidations() > 0, stats.toString());
            assertTrue(stats.flushes().get("master-switched") > 0, "the switches were seen: " + stats);
            assertEquals(0, stats.verifyMismatches(), stats.toString());
        }
    }
}
