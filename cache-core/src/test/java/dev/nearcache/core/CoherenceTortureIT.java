package dev.nearcache.core;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nearcache.core.support.Harness;
import dev.nearcache.core.support.Load;
import dev.nearcache.core.support.TortureLoad;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisExtension;
import dev.nearcache.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coherence contract under faults: writers on another client and through the cache, readers through the
 * cache, and a fault every few seconds (kill the invalidation connection, kill a data connection, stall links
 * (one, every data link, or every link at once while new connections go through),
 * delay the invalidation link, cut every link, restart the server, FLUSHALL, CLIENT PAUSE). When writes stop and
 * the connections are healthy again, after one heartbeat interval plus its timeout, no key read through the cache
 * may differ from Redis. A last quiet phase without faults (and so without flushes) and with slightly lagging data
 * links lets any race that leaves a stale entry show.
 *
 * <p>Run in every tracking mode ({@link Tracking}): REDIRECT; SAME_CONNECTION against a server that refuses REDIRECT
 * (the fault proxy), where the faults aimed at the invalidation connection hit a data connection instead; OPTIN
 * prefixes covering half the keys; BCAST of those prefixes, on the same connection.
 *
 * <p>{@code -Dnearcache.torture.seconds=N} sets the length of each (CI: 30 s).
 */
class CoherenceTortureIT {
    private static final Logger log = LoggerFactory.getLogger(CoherenceTortureIT.class);
    private static final Duration INTERVAL = Duration.ofMillis(250);
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    /** The tracking modes the torture runs in. */
    enum Tracking {
        /** With stale-if-error on (2 s): what a fault makes it serve as last known must not outlive the fault. */
        REDIRECT(TrackingMode.REDIRECT, false, false, true),
        SAME_CONNECTION(TrackingMode.SAME_CONNECTION, false, false, false),
        /** OPTIN: keys t:1*, t:3*, t:5*, t:7*, t:9* (about half of them, and of the hot ones) tracked and kept. */
        OPTIN(TrackingMode.REDIRECT, true, false, false),
        /** BCAST of the same prefixes, on the same connection, with stale-if-error on. */
        BCAST(TrackingMode.SAME_CONNECTION, true, true, true);

        final TrackingMode mode;
        final boolean prefixes;
        final boolean broadcast;
        final boolean staleIfError;

        Tracking(TrackingMode mode, boolean prefixes, boolean broadcast, boolean staleIfError) {
            this.mode = mode;
            this.prefixes = prefixes;
            this.broadcast = broadcast;
            this.staleIfError = staleIfError;
        }

        NearCacheBuilder<String, String> apply(NearCacheBuilder<String, String> builder) {
            if (staleIfError) {
                builder.staleIfError(Duration.ofSeconds(2));
            }
            if (prefixes) {
                builder.cachedPrefixes("t:1", "t:3", "t:5", "t:7", "t:9").broadcast(broadcast);
            }
            return builder; // the mode itself is found by AUTO
        }
    }

    @ParameterizedTest
    @EnumSource(Tracking.class)
    void noStaleValueSurvivesTheFaults(Tracking tracking) throws Exception {
        TrackingMode mode = tracking.mode;
        RedisServer server = redis.server();
        assumeTrue(server.isControllable(), "the torture test restarts the server");
        long seconds = Long.getLong("nearcache.torture.seconds", 45);
        RedisClient otherClient = RedisClient.create(server.uri());
        FaultProxy faultProxy = FaultProxy.to(server);
        boolean sameConnection = mode == TrackingMode.SAME_CONNECTION;
        if (sameConnection) {
            faultProxy.refuseTrackingRedirect(); // and the cache's AUTO mode must find out
        }
        // the invalidations' connection: the listener's, or in SAME_CONNECTION mode data connection 1's
        String invalidations = sameConnection ? Harness.data(1) : Harness.LISTENER;
        try (FaultProxy proxy = faultProxy;
             StatefulRedisConnection<String, String> other = otherClient.connect();
             NearCache<String, String> cache = tracking.apply(NearCache.builder().redisUri(proxy.uri())
                     .maximumSize(1000).commandTimeout(Duration.ofSeconds(1)).heartbeatInterval(INTERVAL)
                     .heartbeatTimeout(TIMEOUT).reconnectDebounce(Duration.ofMillis(200)).verifyRate(500)).build();
             TortureLoad load = new TortureLoad(cache, other.sync())) {
            assertEquals(mode, cache.stats().trackingMode());
            List<Consumer<FaultProxy>> faults = List.of(
                    p -> Harness.kill(server, invalidations),
                    p -> Harness.kill(server, Harness.data(ThreadLocalRandom.current().nextInt(2))),
                    p -> holdFor(Harness.link(p, server, invalidations)::stall, p, 1500),
                    p -> holdFor(Harness.link(p, server, Harness.data(0))::stall, p, 1500),
                    // half-open data connections (rule 9): both stall, new connections go through
                    p -> holdFor(() -> {
                        Harness.link(p, server, Harness.data(0)).stall();
                        Harness.link(p, server, Harness.data(1)).stall();
                    }, p, 1500),
                    // every link half-open at once: data, invalidation and write connections
                    p -> holdFor(() -> p.links().forEach(FaultProxy.Link::stall), p, 1500),
                    p -> holdFor(() -> Harness.link(p, server, invalidations).delay(Duration.ofMillis(300)), p,
                            2000),
                    FaultProxy::cut,
                    p -> server.flushAll(),
                    p -> server.command(Duration.ofSeconds(2), "CLIENT", "PAUSE", "400"),
                    p -> server.restart());
            long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
            int n = 0;
            // each mode starts at another fault: at CI's length one run applies most of the list, the modes together
            // all of it
            int first = tracking.ordinal() * 3;
            while (System.nanoTime() < deadline) {
                Load.pause(2000);
                Consumer<FaultProxy> fault = faults.get((first + n++) % faults.size());
                try {
                    fault.accept(proxy);
                } catch (RuntimeException | AssertionError e) {
                    log.info("fault {} could not be applied now: {}", n, e.toString());
                }
            }
            // a last phase without faults, where nothing flushes stale entries away: reads and writes meet on a few
            // hot keys and the data links lag a little, so invalidations often overtake the replies of reads they
            // concern (the race of rule 2)
            proxy.restore();
            await("healthy before the quiet phase").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy());
            for (int d = 0; d < 2; d++) {
                try {
                    Harness.link(proxy, server, Harness.data(d)).delay(Duration.ofMillis(5));
                } catch (AssertionError e) {
                    log.info("data connection {} is not up for the quiet phase: {}", d, e.getMessage());
                }
            }
            load.quiet();
            Load.pause(5000);
            load.stop();
            proxy.restore();
            await("connections healthy again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> cache.stats().invalidationConnectionHealthy() && other.sync().ping() != null);
            // the contract's grace: one heartbeat interval plus its timeout after writes stopped and all is healthy
            Thread.sleep(INTERVAL.plus(TIMEOUT).toMillis());

            List<String> stale = load.staleKeys();
            NearCacheStats stats = cache.stats();
            log.info("torture ({}): {} s, {} faults, {} reads ({} failed), {} writes, stats {}", tracking, seconds, n,
                    load.reads.get(), load.readErrors.get(), load.writes.get(), stats);
            assertEquals(List.of(), stale.subList(0, Math.min(10, stale.size())),
                    stale.size() + " of " + TortureLoad.KEYS + " keys differ from Redis");
            assertTrue(load.reads.get() > 1000, "the readers ran: " + load.reads.get());
            assertTrue(stats.hits() > 0 && stats.invalidations() > 0, stats.toString());
            assertTrue(stats.flushCount() > 0, stats.toString());
            // the coherence canary checked values all along, through every fault and write, and found none stale
            assertTrue(stats.verifyChecks() > 1000, "the canary ran: " + stats);
            assertEquals(0, stats.verifyMismatches(), stats.toString());
        } finally {
            otherClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static void holdFor(Runnable fault, FaultProxy proxy, long millis) {
        fault.run();
        Load.pause(millis);
        proxy.restore();
    }
}
