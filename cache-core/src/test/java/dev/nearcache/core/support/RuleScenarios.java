package dev.nearcache.core.support;

import static dev.nearcache.core.support.Harness.cachedForSure;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nearcache.core.NearCache;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisServer;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The rule scenarios that read the same in both tracking modes, run by {@link CoherenceRulesIT} (REDIRECT) and
 * {@link SameConnectionRulesIT} on a cache each builds its own way; each class keeps one test per rule. The cache has
 * one data connection; {@code other} writes to the server directly; {@code proxy} carries the cache's links.
 */
public final class RuleScenarios {
    private RuleScenarios() {
    }

    /** Rule 3: a lost data connection flushes what it had tracked, and the reconnected one caches again. */
    public static void aLostDataConnectionFlushesWhatItHadTracked(NearCache<String, String> cache, RedisServer server,
                                                           RedisCommands<String, String> other) {
        other.set("r3d", "v1");
        cachedForSure(cache, "r3d", "v1");
        Harness.kill(server, Harness.data(0)); // its tracking of r3d is gone with it
        await("data connection back").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> Harness.clientLine(server, Harness.data(0)) != null
                        && cache.stats().flushes().get("data-connection-lost") > 0);
        other.set("r3d", "v2"); // no connection tracks r3d: no invalidation
        assertEquals("v2", cache.get("r3d"));
        cachedForSure(cache, "r3d", "v2"); // and the reconnected connection caches again
    }

    /**
     * Rule 4: a read buffered while the data connection is down is replayed after the tracking registration, so it
     * is tracked. The cache's command timeout must outlast the stalled reconnect.
     */
    public static void trackingIsReRegisteredBeforeReplayedReads(NearCache<String, String> cache, FaultProxy proxy,
                                                          RedisServer server, RedisCommands<String, String> other) {
        cachedForSure(cache, "warm", null);
        // the data connection's reconnect will hang in its handshake, so a read waits in Lettuce's buffer (a
        // refused reconnect would fail the buffered read instead)
        proxy.stallNewConnections();
        Harness.kill(server, Harness.data(0));
        await("data connection down").atMost(Duration.ofSeconds(5))
                .until(() -> cache.stats().flushes().get("data-connection-lost") > 0);
        CompletableFuture<String> buffered = cache.getAsync("r4");
        proxy.restore();
        assertEquals(null, buffered.join());
        long invalidations = cache.stats().invalidations();
        other.set("r4", "v1");
        await("the replayed read was tracked, so its key's change is reported").atMost(Duration.ofSeconds(5))
                .until(() -> cache.stats().invalidations() > invalidations);
    }

    /**
     * Rule 6: a read answered before an own write, whose reply is held back on the data link ({@code data}, which
     * lags from here on), must not store the old value. The invalidation's own path is the caller's to slow down.
     */
    public static void aReadRacingAnOwnWriteDoesNotResurrectTheOldValue(NearCache<String, String> cache,
                                                                 FaultProxy.Link data,
                                                                 RedisCommands<String, String> other) {
        other.set("r6r", "v1");
        data.delay(Duration.ofMillis(300));
        long answered = data.bytesFromServer();
        CompletableFuture<String> racing = cache.getAsync("r6r");
        await("Redis answered the read").atMost(Duration.ofSeconds(5))
                .until(() -> data.bytesFromServer() > answered);
        cache.set("r6r", "v2");
        assertEquals("v1", racing.join());
        assertEquals("v2", cache.get("r6r"), "the racing read's old value must not have been stored");
    }
}
