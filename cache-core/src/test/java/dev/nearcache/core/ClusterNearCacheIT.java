package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.Load;
import dev.nearcache.core.support.TortureLoad;
import dev.nearcache.testkit.ClusterNode;
import dev.nearcache.testkit.RedisCluster;
import dev.nearcache.testkit.RedisExtension;
import dev.nearcache.testkit.RedisServer;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The near cache over a real local Redis Cluster of 3 masters with a replica each: every master is used and
 * invalidates, and the cache stays coherent through a failover, a slot migration under load, and a new master.
 * The tests share one cluster and look up its roles afresh, since a failover or a migration changes them.
 */
class ClusterNearCacheIT {
    private static final Logger log = LoggerFactory.getLogger(ClusterNearCacheIT.class);
    static final Duration REFRESH = Duration.ofMillis(300);
    static final Duration INTERVAL = Duration.ofMillis(250);
    static final Duration TIMEOUT = Duration.ofMillis(500);

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster(3, 1);

    private static RedisClusterClient otherClient;
    private static StatefulRedisClusterConnection<String, String> other;

    @BeforeAll
    static void connectAnotherClient() {
        otherClient = anotherClient(redis.cluster());
        other = otherClient.connect();
    }

    @AfterAll
    static void closeAnotherClient() {
        otherClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    /** A plain Lettuce cluster client, as another service writing to the cluster would use. */
    static RedisClusterClient anotherClient(RedisCluster cluster) {
        RedisClusterClient client = RedisClusterClient.create(cluster.seedUris().stream().map(RedisURI::create)
                .toList());
        // commands to a dead master fail within a second instead of waiting in Lettuce's buffer for a minute
        client.setOptions(ClusterClientOptions.builder().topologyRefreshOptions(ClusterTopologyRefreshOptions
                        .builder().enablePeriodicRefresh(Duration.ofMillis(200)).build())
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(1)))
                .build());
        return client;
    }

    /** The tracking mode every test here uses ({@link ClusterSameConnectionIT} runs them all in SAME_CONNECTION). */
    TrackingMode mode() {
        return TrackingMode.AUTO;
    }

    /** {@link #clusterCache(RedisCluster)} in this class's {@link #mode()}. */
    NearCacheBuilder<String, String> cache(RedisCluster cluster) {
        return clusterCache(cluster).trackingMode(mode());
    }

    static NearCacheBuilder<String, String> clusterCache(RedisCluster cluster) {
        return NearCache.builder().redisUris(cluster.seedUris().toArray(new String[0])).cluster(true)
                .topologyRefreshPeriod(REFRESH).heartbeatInterval(INTERVAL).heartbeatTimeout(TIMEOUT)
                .reconnectDebounce(Duration.ofMillis(200)).commandTimeout(Duration.ofSeconds(1));
    }

    /** {@code count} keys named {@code prefix<i>} whose slots the master serves. */
    static List<String> keysOn(ClusterNode master, String prefix, int count) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String key = prefix + i;
            if (master.serves(SlotHash.getSlot(key))) {
                keys.add(key);
            }
        }
        return keys;
    }

    /** A master that has a replica to take over from it (a master added by a test has none). */
    static ClusterNode masterWithReplica(RedisCluster cluster) {
        List<ClusterNode> replicas = cluster.replicas();
        return cluster.masters().stream().filter(m -> replicas.stream().anyMatch(r -> m.id().equals(r.masterId())))
                .findFirst().orElseThrow(() -> new AssertionError("no master has a replica: " + cluster.nodes()));
    }

    static ClusterRouting<?, ?> routing(NearCache<?, ?> cache) {
        return (ClusterRouting<?, ?>) ((TrackingNearCache<?, ?>) cache).routing();
    }

    static List<String> endpoints(List<ClusterNode> nodes) {
        return nodes.stream().map(n -> n.host() + ":" + n.port()).sorted().toList();
    }

    /** The minimal ACL of docs/operating.md, plus what a cluster needs, on every node: the cache builds, caches and writes. */
    @Test
    void optInPrefixesAreTrackedAndKeptOnEveryMasterAndTheRestIsNot() {
        try (NearCache<String, String> cache = cache(redis.cluster()).cachedPrefixes("opt:").build()) {
            for (int i = 0; i < 30; i++) { // keys in every master's slots
                other.sync().set("opt:" + i, "v1");
                other.sync().set("plain:" + i, "p1");
            }
            await("the prefixed keys are held").atMost(Duration.ofSeconds(10)).until(() -> {
                for (int i = 0; i < 30; i++) {
                    cache.get("opt:" + i);
                    cache.get("plain:" + i);
                }
                return cache.stats().size() == 30;
            });
            for (int i = 0; i < 30; i++) {
                other.sync().set("opt:" + i, "v2");
                other.sync().set("plain:" + i, "p2");
            }
            await("every prefixed key is invalidated").atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                for (int i = 0; i < 30; i++) {
                    assertEquals("v2", cache.get("opt:" + i));
                    assertEquals("p2", cache.get("plain:" + i));
                }
            });
        }
    }

    @Test
    void theMinimalAclWithTheClusterAdditionsWorks() {
        RedisCluster cluster = redis.cluster();
        String rules = LeastPrivilegeIT.MINIMAL + " " + LeastPrivilegeIT.CLUSTER_ADDITIONS;
        for (RedisServer node : cluster.servers()) {
            List<String> args = new ArrayList<>(List.of("ACL", "SETUSER", "clusterapp", "reset", "on", ">pw"));
            args.addAll(List.of(rules.split(" ")));
            node.command(Duration.ofSeconds(2), args.toArray(new String[0]));
        }
        try {
            String[] seeds = cluster.seedUris().stream().map(u -> u.replace("redis://", "redis://clusterapp:pw@"))
                    .toArray(String[]::new);
            try (NearCache<String, String> cache = cache(cluster).redisUris(seeds).build()) {
                for (ClusterNode master : cluster.masters()) {
                    String key = keysOn(master, "acl:" + master.port() + ":", 1).get(0);
                    cache.set(key, "v1");
                    Harness.cachedForSure(cache, key, "v1");
                    other.sync().set(key, "v2");
                    await("invalidation from " + master.port()).atMost(Duration.ofSeconds(5))
                            .until(() -> "v2".equals(cache.get(key)));
                }
            }
        } finally {
            for (RedisServer node : cluster.servers()) {
                if (node.isRunning()) {
                    node.command(Duration.ofSeconds(2), "ACL", "DELUSER", "clusterapp");
                }
            }
        }
    }

    /** Rule 8 over a cluster: short-lived keys on every master, among many long-lived ones (see ServerTtlIT). */
    @Test
    void keysThatExpireAreNotServedAfterTheirTtlOnAnyMaster() {
        RedisCluster cluster = redis.cluster();
        var async = other.async();
        for (int chunk = 0; chunk < 120_000; chunk += 5_000) { // in chunks, within the client's 1 s timeout
            List<io.lettuce.core.RedisFuture<String>> writes = new ArrayList<>();
            for (int i = chunk; i < chunk + 5_000; i++) {
                writes.add(async.set("expiry-long:" + i, "filler", io.lettuce.core.SetArgs.Builder.ex(3600)));
            }
            writes.forEach(w -> assertEquals("OK", w.toCompletableFuture().join()));
        }
        List<String> keys = new ArrayList<>();
        for (ClusterNode master : cluster.masters()) {
            keys.addAll(keysOn(master, "expiry-short:" + master.port() + ":", 100));
        }
        try (NearCache<String, String> cache = cache(cluster).build();
             NearCache<String, String> unbounded = cache(cluster).serverTtl(false).build()) {
            long written = System.nanoTime();
            for (String key : keys) {
                other.sync().set(key, "v", io.lettuce.core.SetArgs.Builder.px(1500));
            }
            long hits = cache.stats().hits();
            for (int round = 0; round < 2; round++) {
                for (String key : keys) {
                    assertEquals("v", cache.get(key));
                    assertEquals("v", unbounded.get(key));
                }
            }
            assertTrue(cache.stats().hits() - hits >= keys.size() * 9L / 10, "the second reads were local");
            await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(10))
                    .until(() -> System.nanoTime() - written > Duration.ofMillis(2500).toNanos());
            long servedWithoutBound = keys.stream().filter(k -> unbounded.get(k) != null).count();
            long served = keys.stream().filter(k -> cache.get(k) != null).count();
            log.info("cluster, 2.5 s after a TTL of 1.5 s: {} of {} keys served with the server TTL, {} without",
                    served, keys.size(), servedWithoutBound);
            assertEquals(0, served, "values served after their key expired");
            assertTrue(servedWithoutBound > keys.size() / 2, "the control serves expired keys: " + servedWithoutBound);
        }
    }

    @Test
    void readsWritesAndInvalidationsOnEveryMaster() {
        RedisCluster cluster = redis.cluster();
        try (NearCache<String, String> cache = cache(cluster).build()) {
            assertEquals(endpoints(cluster.masters()), routing(cache).masters());
            assertTrue(cache.stats().invalidationConnectionHealthy(), cache.stats().toString());
            RedisAdvancedClusterCommands<String, String> redisCommands = other.sync();
            for (ClusterNode master : cluster.masters()) {
                List<String> keys = keysOn(master, "every:" + master.port() + ":", 3);
                String key = keys.get(0);
                redisCommands.set(key, "v1");
                assertEquals("v1", cache.get(key));
                long hits = cache.stats().hits();
                assertEquals("v1", cache.get(key));
                assertEquals(hits + 1, cache.stats().hits(), "the second read of " + key + " is local");

                // another client's write on that master reaches us through that master's invalidation connection
                redisCommands.set(key, "v2");
                await("invalidation from " + master.port()).atMost(Duration.ofSeconds(2))
                        .until(() -> "v2".equals(cache.get(key)));

                // own writes, read back at once
                cache.set(key, "v3");
                assertEquals("v3", cache.get(key));
                assertEquals("v3", redisCommands.get(key));
                cache.delete(key);
                assertNull(cache.get(key));

                // an absent key is cached as absent and its creation is reported
                String absent = keys.get(1);
                redisCommands.del(absent);
                assertNull(cache.get(absent));
                assertNull(cache.get(absent));
                redisCommands.set(absent, "created");
                await("creation on " + master.port()).atMost(Duration.ofSeconds(2))
                        .until(() -> "created".equals(cache.get(absent)));

                // several keys of one master, across slots, in one call
                Map<String, String> expected = new HashMap<>();
                for (String k : keysOn(master, "multi:" + master.port() + ":", 20)) {
                    redisCommands.set(k, "m-" + k);
                    expected.put(k, "m-" + k);
                }
                assertEquals(expected, cache.getAll(expected.keySet()));
                assertEquals(expected, cache.getAll(expected.keySet()));
            }
            // the data connections of every master redirect to that master's own invalidation connection
            for (ClusterNode master : cluster.masters()) {
                RedisServer server = master.server().orElseThrow();
                for (int d = 0; d < 2; d++) {
                    assertTrackedAsTheModeSays(server, d);
                }
            }
            assertEquals(0, cache.stats().flushes().getOrDefault("topology-changed", 0L));
        }
    }

    @Test
    void failoverOfAMasterLeavesTheCacheCoherent() {
        RedisCluster cluster = redis.cluster();
        try (NearCache<String, String> cache = cache(cluster).build()) {
            ClusterNode victim = masterWithReplica(cluster);
            List<String> keys = keysOn(victim, "failover:", 30);
            for (String key : keys) {
                other.sync().set(key, "before");
            }
            for (String key : keys) {
                assertEquals("before", cache.get(key));
            }
            RedisServer server = victim.server().orElseThrow();
            server.kill();
            // a replica takes over the victim's slots
            await("a replica to take over").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cluster.masters().stream().anyMatch(m -> m.port() != victim.port()
                            && m.serves(SlotHash.getSlot(keys.get(0)))));
            ClusterNode promoted = cluster.masters().stream()
                    .filter(m -> m.serves(SlotHash.getSlot(keys.get(0)))).findFirst().orElseThrow();
            await("writes to the promoted master").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> {
                        for (String key : keys) {
                            other.sync().set(key, "after");
                        }
                        return true;
                    });
            // the cache follows: a shard for the promoted master, and no value from before the failover
            await("the cache to route to " + promoted.port()).atMost(Duration.ofSeconds(5))
                    .until(() -> routing(cache).masters().contains(promoted.host() + ":" + promoted.port()));
            await("coherent after the failover").atMost(Duration.ofSeconds(5)).ignoreExceptions()
                    .until(() -> keys.stream().allMatch(k -> "after".equals(cache.get(k))));
            assertTrue(cache.stats().flushes().get("topology-changed") > 0, cache.stats().toString());
            // and it caches and invalidates on the promoted master
            await("invalidations ready everywhere").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().invalidationConnectionHealthy());
            String key = keys.get(0);
            assertEquals("after", cache.get(key));
            long hits = cache.stats().hits();
            await("a hit on the promoted master").atMost(Duration.ofSeconds(2))
                    .until(() -> "after".equals(cache.get(key)) && cache.stats().hits() > hits);
            other.sync().set(key, "later");
            await("invalidation from the promoted master").atMost(Duration.ofSeconds(2))
                    .until(() -> "later".equals(cache.get(key)));

            // the old master comes back as a replica; the cluster settles for the next tests
            server.start();
            cluster.awaitHealthy(Duration.ofSeconds(60));
            assertEquals(endpoints(cluster.masters()), routing(cache).masters());
        }
    }

    @Test
    void aManualFailoverLeavesTheCacheCoherent() {
        RedisCluster cluster = redis.cluster();
        try (NearCache<String, String> cache = cache(cluster).build()) {
            ClusterNode master = masterWithReplica(cluster);
            ClusterNode replica = cluster.replicas().stream().filter(r -> master.id().equals(r.masterId()))
                    .findFirst().orElseThrow();
            List<String> keys = keysOn(master, "manual:", 30);
            for (String key : keys) {
                other.sync().set(key, "before");
                assertEquals("before", cache.get(key));
            }
            // the old master stays up and becomes a replica: no connection of ours is lost, only the map changes
            replica.server().orElseThrow().command(Duration.ofSeconds(2), "CLUSTER", "FAILOVER");
            await("the replica to take over").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cluster.masters().stream().anyMatch(m -> m.port() == replica.port()));
            String promoted = replica.host() + ":" + replica.port();
            await("the cache to route to " + promoted).atMost(Duration.ofSeconds(5))
                    .until(() -> routing(cache).masters().contains(promoted));
            await("writes to the promoted master").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> {
                        for (String key : keys) {
                            other.sync().set(key, "after");
                        }
                        return true;
                    });
            await("coherent after the manual failover").atMost(Duration.ofSeconds(3))
                    .until(() -> TortureLoad.staleKeys(cache, other.sync(), keys).isEmpty());
            assertTrue(cache.stats().flushes().get("topology-changed") > 0, cache.stats().toString());
            cluster.awaitHealthy(Duration.ofSeconds(60));
        }
    }

    @Test
    void slotMigrationUnderLoadStaysCoherent() throws Exception {
        RedisCluster cluster = redis.cluster();
        String tag = "{migrating}";
        int slot = SlotHash.getSlot(tag);
        List<String> present = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            present.add(tag + "p" + i);
            absent.add(tag + "a" + i);
        }
        List<String> all = new ArrayList<>(present);
        all.addAll(absent);
        for (String key : present) {
            other.sync().set(key, "initial");
        }
        for (String key : absent) {
            other.sync().del(key);
        }
        ClusterNode source = cluster.masters().stream().filter(m -> m.serves(slot)).findFirst().orElseThrow();
        ClusterNode target = cluster.masters().stream().filter(m -> !m.serves(slot)).findFirst().orElseThrow();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        AtomicLong failedReads = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        try (NearCache<String, String> cache = cache(cluster).build()) {
            for (String key : all) {
                cache.get(key); // cached, the absent ones as absent
            }
            for (int r = 0; r < 3; r++) {
                threads.add(Load.start("reader-" + r, running, () -> {
                    try {
                        cache.get(all.get(ThreadLocalRandom.current().nextInt(all.size())));
                        reads.incrementAndGet();
                    } catch (RuntimeException e) {
                        failedReads.incrementAndGet();
                    }
                }));
            }
            threads.add(Load.start("writer", running, () -> {
                String key = present.get(ThreadLocalRandom.current().nextInt(present.size()));
                try {
                    other.sync().set(key, "w" + writes.incrementAndGet());
                } catch (RuntimeException e) {
                    // a redirection Lettuce could not follow mid-migration; Redis decides what is there
                }
                Load.pause(2);
            }));
            // between the batches of MIGRATE the slot is half moved: keys on both nodes, reads meet ASK/TRYAGAIN
            cluster.migrateSlot(slot, target.id(), () -> Load.pause(50));
            // the keys that were absent are created on the new owner, which never tracked our reads of them
            for (String key : absent) {
                other.sync().set(key, "created-after-move");
            }
            Load.pause(300);
            running.set(false);
            for (Thread thread : threads) {
                thread.join(10_000);
            }
            await("coherent after the migration").atMost(REFRESH.plus(INTERVAL).plus(TIMEOUT).multipliedBy(3))
                    .until(() -> TortureLoad.staleKeys(cache, other.sync(), all).isEmpty());
            log.info("migration of slot {} from {} to {}: {} reads ({} failed), {} writes, stats {}", slot,
                    source.port(), target.port(), reads.get(), failedReads.get(), writes.get(), cache.stats());
            assertTrue(cache.stats().flushes().get("topology-changed") > 0, cache.stats().toString());
            assertTrue(reads.get() > 100, "the readers ran: " + reads.get());
            // the moved keys are cached again, now tracked on the new owner
            String key = present.get(0);
            cache.get(key);
            long hits = cache.stats().hits();
            await("a hit after the move").atMost(Duration.ofSeconds(2))
                    .until(() -> cache.get(key) != null && cache.stats().hits() > hits);
            other.sync().set(key, "final");
            await("invalidation from the new owner").atMost(Duration.ofSeconds(2))
                    .until(() -> "final".equals(cache.get(key)));
        } finally {
            running.set(false);
        }
    }

    @Test
    void aKeyCachedAsAbsentIsSeenWhenCreatedWhileItsSlotIsMigrating() {
        RedisCluster cluster = redis.cluster();
        String present = "{half}present";
        String absent = "{half}absent";
        int slot = SlotHash.getSlot(absent);
        other.sync().set(present, "here"); // gives the migration a batch, so the hook runs mid-migration
        other.sync().del(absent);
        ClusterNode target = cluster.masters().stream().filter(m -> !m.serves(slot)).findFirst().orElseThrow();
        AtomicBoolean checked = new AtomicBoolean();
        try (NearCache<String, String> cache = cache(cluster).build()) {
            assertNull(cache.get(absent));
            long hits = cache.stats().hits();
            assertNull(cache.get(absent));
            assertEquals(hits + 1, cache.stats().hits(), "absent is cached as absent");
            try {
                cluster.migrateSlot(slot, target.id(), () -> {
                    if (checked.getAndSet(true)) {
                        return;
                    }
                    // the source now answers ASK for the absent key, so this write lands on the target, which never
                    // tracked our read: only noticing the migration can evict the cached "absent"
                    other.sync().set(absent, "created-mid-migration");
                    await("the cache to see a key created while its slot migrates")
                            .atMost(REFRESH.multipliedBy(3).plus(Duration.ofSeconds(1)))
                            .until(() -> "created-mid-migration".equals(cache.get(absent)));
                });
            } finally {
                cluster.migrateSlot(slot, target.id()); // finishes a migration the hook interrupted
            }
            assertTrue(checked.get(), "the hook ran while the slot was migrating");
        }
    }

    @Test
    void aNewMasterIsUsed() {
        RedisCluster cluster = redis.cluster();
        try (NearCache<String, String> cache = cache(cluster).build()) {
            ClusterNode added = cluster.addMaster();
            String key = "{fresh}k";
            int slot = SlotHash.getSlot(key);
            other.sync().set(key, "old-home");
            assertEquals("old-home", cache.get(key));
            cluster.migrateSlot(slot, added.id());
            String endpoint = added.host() + ":" + added.port();
            await("the cache to route to the new master").atMost(Duration.ofSeconds(5))
                    .until(() -> routing(cache).masters().contains(endpoint));
            await("invalidations ready on the new master").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().invalidationConnectionHealthy());
            RedisServer server = added.server().orElseThrow();
            await("the other client to write to the new master").atMost(Duration.ofSeconds(10))
                    .ignoreExceptions().until(() -> "OK".equals(other.sync().set(key, "new-home")));
            await("the value from the new master").atMost(Duration.ofSeconds(2))
                    .until(() -> "new-home".equals(cache.get(key)));
            long hits = cache.stats().hits();
            await("a hit served from the new master's read").atMost(Duration.ofSeconds(2))
                    .until(() -> "new-home".equals(cache.get(key)) && cache.stats().hits() > hits);
            assertTrackedAsTheModeSays(server, 0);
            other.sync().set(key, "changed");
            await("invalidation from the new master").atMost(Duration.ofSeconds(2))
                    .until(() -> "changed".equals(cache.get(key)));
        }
    }

    @Test
    void aWriteThatTimesOutReplacesTheWriteConnectionToItsMaster() {
        RedisCluster cluster = redis.cluster();
        ClusterNode master = cluster.masters().get(0);
        RedisServer server = cluster.servers().stream().filter(s -> s.port() == master.port()).findFirst()
                .orElseThrow();
        String key = keysOn(master, "writer:", 1).get(0);
        try (NearCache<String, String> cache = cache(cluster).commandTimeout(Duration.ofMillis(300)).build()) {
            cache.set(key, "v1");
            // the connection that wrote it (the cluster connection's other connections have the same name)
            java.util.Set<Long> before = writerIds(server, " cmd=set ");
            assertEquals(1, before.size(), "one write connection to " + master.port() + ": " + before);
            server.command(Duration.ofSeconds(2), "CLIENT", "PAUSE", "1500", "WRITE"); // a master that stops answering
            assertThrows(NearCacheException.class, () -> cache.set(key, "v2"));
            // rule 9: the connection is presumed broken and replaced, not reused once the master answers again
            await("the timed-out write connection replaced").atMost(Duration.ofSeconds(10)).until(() -> {
                java.util.Set<Long> now = writerIds(server, "");
                return java.util.Collections.disjoint(now, before);
            });
            await("writes work again").atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> {
                cache.set(key, "v3");
                assertEquals("v3", other.sync().get(key));
            });
        } finally {
            server.command(Duration.ofSeconds(2), "CLIENT", "UNPAUSE");
        }
    }

    /** The ids of the cache's write connections ({@code nearcache-writer}) on {@code server}, lines with {@code also}. */
    static java.util.Set<Long> writerIds(RedisServer server, String also) {
        String list = (String) server.command(Duration.ofSeconds(2), "CLIENT", "LIST");
        java.util.Set<Long> ids = new java.util.HashSet<>();
        list.lines().filter(l -> l.contains(" name=nearcache-writer ") && (l + " ").contains(also)).forEach(l -> {
            String id = l.substring(l.indexOf("id=") + 3, l.indexOf(' ', l.indexOf("id=")));
            ids.add(Long.parseLong(id));
        });
        return ids;
    }

    /**
     * Data connection {@code d} to {@code server} tracks as {@link #mode()} has it: redirecting to that master's own
     * invalidation connection, or (SAME_CONNECTION) on itself over RESP3, with no invalidation connection there.
     */
    void assertTrackedAsTheModeSays(RedisServer server, int d) {
        String line = Harness.clientLine(server, Harness.data(d));
        if (mode() == TrackingMode.SAME_CONNECTION) {
            // (Redis 6.2's CLIENT LIST has no resp field)
            assertTrue(line.contains(" flags=t") && (!line.contains(" resp=") || line.contains(" resp=3")),
                    "tracking on itself: " + line);
            String list = (String) server.command(Duration.ofSeconds(2), "CLIENT", "LIST");
            assertTrue(!list.contains("name=" + Harness.LISTENER + " "), "no invalidation connection: " + list);
        } else {
            long listenerId = Harness.clientId(server, Harness.LISTENER);
            assertTrue(redirects(line, listenerId), "data connection " + d + " on " + server.port()
                    + " redirects to " + listenerId + ": " + line);
        }
    }

    /** Whether a CLIENT LIST line shows tracking on, redirected to {@code id} (the last field on 6.2). */
    static boolean redirects(String clientLine, long id) {
        return clientLine.contains(" flags=t") && (clientLine + " ").contains(" redir=" + id + " ");
    }
}
