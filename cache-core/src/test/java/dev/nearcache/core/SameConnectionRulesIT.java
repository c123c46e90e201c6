package dev.nearcache.core;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.OtherClient;
import dev.nearcache.core.support.RuleScenarios;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisExtension;
import dev.nearcache.testkit.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The coherence rules in SAME_CONNECTION mode, against a server that refuses {@code CLIENT TRACKING ... REDIRECT}
 * (the fault proxy answers it with an error, as Redis Software, Redis Cloud and Dragonfly do), with the default
 * {@code AUTO} mode, which must find that out and track on each data connection. Each test produces the fault or race
 * its rule exists for and fails when the rule is taken out; the rules whose REDIRECT form has no counterpart here
 * (an invalidation overtaking its reply on another socket, a redirect target that disappears) are in
 * {@link CoherenceRulesIT}.
 */
class SameConnectionRulesIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone().flushBeforeEach();
    @RegisterExtension
    static final OtherClient other = new OtherClient(redis);

    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static final Duration TIMEOUT = Duration.ofMillis(400);
    /** The recovery bound of {@link CoherenceRulesIT}, twice over. */
    private static final Duration RECOVERY = Duration.ofMillis(500 + 200 + 400 + 100).multipliedBy(2);

    private FaultProxy proxy;

    @BeforeEach
    void startProxy() {
        proxy = FaultProxy.to(redis.server());
        proxy.refuseTrackingRedirect();
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private NearCacheBuilder<String, String> builder() {
        return NearCache.builder().redisUri(proxy.uri()).heartbeatInterval(INTERVAL).heartbeatTimeout(TIMEOUT)
                .reconnectDebounce(Duration.ofMillis(100));
    }

    private static RedisServer server() {
        return redis.server();
    }

    @Test
    void autoChoosesSameConnectionWhereRedirectIsRefused() {
        try (NearCache<String, String> cache = builder().build()) {
            assertEquals(TrackingMode.SAME_CONNECTION, cache.stats().trackingMode());
            String list = (String) server().command(Duration.ofSeconds(2), "CLIENT", "LIST");
            assertFalse(list.contains("name=" + Harness.LISTENER), "no invalidation connection:\n" + list);
            for (int i = 0; i < 2; i++) {
                String line = Harness.clientLine(server(), Harness.data(i));
                // (Redis 6.2's CLIENT LIST has no resp field)
                assertTrue((!line.contains(" resp=") || line.contains(" resp=3"))
                                && line.matches(".* flags=[a-zA-Z]*t[a-zA-Z]* .*"),
                        "tracking on the data connection itself, over RESP3: " + line);
            }
            other.sync().set("s", "v1");
            cachedForSure(cache, "s", "v1");
            other.sync().set("s", "v2");
            await("the data connection's own invalidation evicts").atMost(Duration.ofSeconds(5))
                    .until(() -> "v2".equals(cache.get("s")));
            assertTrue(cache.stats().invalidationConnectionHealthy());
        }
    }

    @Test
    void autoKeepsRedirectWhereTheServerAcceptsIt() {
        proxy.acceptAllCommands();
        try (NearCache<String, String> cache = builder().build()) {
            assertEquals(TrackingMode.REDIRECT, cache.stats().trackingMode());
            Harness.clientLine(server(), Harness.LISTENER);
        }
    }

    @Test
    void redirectModeRefusedFailsTheBuildSayingWhatToDo() {
        NearCacheConfigurationException e = assertThrows(NearCacheConfigurationException.class,
                () -> builder().trackingMode(TrackingMode.REDIRECT).build());
        assertTrue(e.getMessage().contains("REDIRECT is not supported") && e.getMessage().contains("SAME_CONNECTION"),
                e.getMessage());
    }

    @Test
    void rule1_nothingIsCachedFromAConnectionWhoseTrackingIsNotConfirmed() {
        try (NearCache<String, String> cache = builder().connections(1).build()) {
            cachedForSure(cache, "warm", null);
            // from now on the server refuses tracking altogether: the reconnected connection is not tracked
            proxy.refuseCommands(words -> words.size() > 2 && words.get(0).equalsIgnoreCase("CLIENT")
                    && words.get(1).equalsIgnoreCase("TRACKING") && words.get(2).equalsIgnoreCase("ON"),
                    "ERR tracking refused by the fault proxy");
            long flushes = cache.stats().flushes().get("data-connection-lost");
            Harness.kill(server(), Harness.data(0));
            await("data connection back, its registration refused").atMost(Duration.ofSeconds(10))
                    .ignoreExceptions().until(() -> cache.stats().flushes().get("data-connection-lost") > flushes
                            && proxy.links().stream().anyMatch(l -> l.refusedCommands() > 0));
            other.sync().set("r1", "v1");
            assertEquals("v1", cache.get("r1"));
            other.sync().set("r1", "v2"); // nobody tracks r1: no invalidation
            assertEquals("v2", cache.get("r1"), "a read whose tracking was not confirmed must not be cached");
            assertEquals(0, cache.stats().size());
        }
    }

    @Test
    void rule3_flushAllEmptiesTheCache() {
        try (NearCache<String, String> cache = builder().build()) {
            other.sync().set("r3", "v1");
            cachedForSure(cache, "r3", "v1");
            other.sync().flushall();
            await("FLUSHALL reaches the cache").atMost(Duration.ofSeconds(5)).until(() -> cache.get("r3") == null);
            assertTrue(cache.stats().flushes().get("flush-command") >= 1);
            other.sync().set("r3", "v2");
            await("tracked again after the flush").atMost(Duration.ofSeconds(5))
                    .until(() -> "v2".equals(cache.get("r3")));
            cachedForSure(cache, "r3", "v2");
        }
    }

    @Test
    void rule3_aLostDataConnectionFlushesWhatItHadTracked() {
        try (NearCache<String, String> cache = builder().connections(1).build()) {
            RuleScenarios.aLostDataConnectionFlushesWhatItHadTracked(cache, server(), other.sync());
        }
    }

    /**
     * Rule 5 on a data connection: it carries invalidations now, so a half-open one holds them silently. Nothing is
     * read (the stale value is a local hit), so only the connection's heartbeat can notice.
     */
    @Test
    void rule5_aHalfOpenDataConnectionIsFoundByItsHeartbeatAndFlushed() {
        try (NearCache<String, String> cache = builder().connections(1).commandTimeout(Duration.ofSeconds(5))
                .build()) {
            other.sync().set("r5", "v1");
            cachedForSure(cache, "r5", "v1");
            Harness.link(proxy, server(), Harness.data(0)).stall(); // the invalidation will be held there
            long start = System.nanoTime();
            other.sync().set("r5", "v2");
            await("the heartbeat notices and the cache flushes").atMost(Duration.ofSeconds(5))
                    .until(() -> cache.stats().flushes().get("data-connection-lost") > 0);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis <= INTERVAL.plus(TIMEOUT).toMillis() + 500,
                    "stale for " + millis + " ms, more than interval + timeout");
            await("served fresh from the new connection").atMost(RECOVERY).ignoreExceptions()
                    .until(() -> "v2".equals(cache.get("r5")));
            cachedForSure(cache, "r5", "v2");
        }
    }

    @Test
    void rule4_trackingIsReRegisteredBeforeReplayedReads() {
        try (NearCache<String, String> cache = builder().connections(1).commandTimeout(Duration.ofSeconds(10))
                .build()) {
            RuleScenarios.trackingIsReRegisteredBeforeReplayedReads(cache, proxy, server(), other.sync());
        }
    }

    @Test
    void rule9_dataConnectionsThatStopAnsweringAreReplaced() {
        try (NearCache<String, String> cache = builder().commandTimeout(Duration.ofMillis(500)).build()) {
            other.sync().set("r9", "v1");
            cachedForSure(cache, "r9", "v1");
            int accepted = proxy.acceptedConnections();
            Harness.link(proxy, server(), Harness.data(0)).stall();
            Harness.link(proxy, server(), Harness.data(1)).stall();
            other.sync().set("r9", "v2"); // its invalidation is held in a stalled link
            await("reads work and are cached again, with no restore").atMost(RECOVERY).ignoreExceptions()
                    .until(() -> "v2".equals(cache.get("r9")));
            cachedForSure(cache, "r9", "v2");
            assertTrue(proxy.acceptedConnections() >= accepted + 2, "the stalled connections were replaced");
            other.sync().set("r9", "v3");
            await("coherent after").atMost(Duration.ofSeconds(5)).until(() -> "v3".equals(cache.get("r9")));
        }
    }

    @Test
    void rule6_aReadRacingAnOwnWriteDoesNotResurrectTheOldValue() {
        // the data link lags 300 ms each way: a heartbeat timeout below that would replace it
        try (NearCache<String, String> cache = builder().connections(1).heartbeatTimeout(Duration.ofSeconds(3))
                .build()) {
            cachedForSure(cache, "warm", null);
            FaultProxy.Link data = Harness.link(proxy, server(), Harness.data(0));
            RuleScenarios.aReadRacingAnOwnWriteDoesNotResurrectTheOldValue(cache, data, other.sync());
        }
    }

    @Test
    void theCanaryFindsNothingWrongWhileWritesRace() {
        try (NearCache<String, String> cache = builder().verifyRate(1000).build()) {
            for (int i = 0; i < 50; i++) {
                other.sync().set("c" + i, "0");
                cachedForSure(cache, "c" + i, "0");
            }
            long checks = cache.stats().verifyChecks();
            for (int round = 1; round <= 200; round++) {
                other.sync().set("c" + (round % 50), Integer.toString(round));
                cache.get("c" + ((round * 7) % 50));
            }
            await("the canary compared values").atMost(Duration.ofSeconds(10))
                    .until(() -> cache.stats().verifyChecks() > checks + 100);
            assertEquals(0, cache.stats().verifyMismatches(), cache.stats().toString());
        }
    }
}
