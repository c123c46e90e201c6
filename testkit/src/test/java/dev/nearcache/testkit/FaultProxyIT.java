package dev.nearcache.testkit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each fault as a real Lettuce client sees it. */
class FaultProxyIT {
    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(500);

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private FaultProxy proxy;
    private RedisClient client;
    private final AtomicInteger disconnects = new AtomicInteger();
    private final AtomicInteger connects = new AtomicInteger();

    @BeforeEach
    void setUp() {
        proxy = FaultProxy.to(redis.server());
        RedisURI uri = RedisURI.create(proxy.uri());
        uri.setTimeout(COMMAND_TIMEOUT);
        client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> connection, SocketAddress a) {
                connects.incrementAndGet();
            }

            @Override
            public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> connection) {
                disconnects.incrementAndGet();
            }
        });
    }

    @AfterEach
    void tearDown() {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        proxy.close();
    }

    @Test
    void stalledLinkMakesACommandTimeOutAndRestoreDeliversAgain() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            assertEquals("PONG", c.sync().ping());
            proxy.stall();
            assertThrows(RedisCommandTimeoutException.class, () -> c.sync().ping());
            assertEquals(0, disconnects.get(), "a stalled link stays open: the client sees no disconnect");
            proxy.restore();
            assertEquals("v", setAndGet(c, "k", "v"));
            assertEquals(1, proxy.acceptedConnections(), "no reconnect was needed");
        }
    }

    @Test
    void droppedPushesLoseEveryInvalidationWhileTheLinkAnswers() {
        RedisClient direct = RedisClient.create(redis.server().uri());
        try (StatefulRedisConnection<String, String> tracked = client.connect();
             StatefulRedisConnection<String, String> writer = direct.connect()) {
            AtomicInteger pushes = new AtomicInteger();
            tracked.addListener(message -> pushes.incrementAndGet());
            tracked.sync().clientTracking(io.lettuce.core.TrackingArgs.Builder.enabled()); // RESP3: on this link
            tracked.sync().get("watched");
            writer.sync().set("watched", "1");
            await("an invalidation arrives through the proxy").atMost(Duration.ofSeconds(5))
                    .until(() -> pushes.get() == 1);

            proxy.dropPushes();
            tracked.sync().get("watched");
            writer.sync().set("watched", "2");
            await("Redis sent it").atMost(Duration.ofSeconds(5))
                    .until(() -> proxy.links().get(0).droppedPushes() == 1);
            assertEquals("PONG", tracked.sync().ping(), "replies still pass");
            assertEquals("2", tracked.sync().get("watched"));
            assertEquals(1, pushes.get(), "the push was left out");

            proxy.restore();
            writer.sync().set("watched", "3");
            await("pushes pass again").atMost(Duration.ofSeconds(5)).until(() -> pushes.get() == 2);
        } finally {
            direct.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void refusedCommandsAreAnsweredWithTheErrorInTheirPlace() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            proxy.refuseTrackingRedirect();
            long id = c.sync().clientId();
            c.setAutoFlushCommands(false); // one pipeline: the error must come back between the other replies
            var before = c.async().set("refusal", "1");
            var refused = c.async().clientTracking(io.lettuce.core.TrackingArgs.Builder.enabled().redirect(id));
            var after = c.async().get("refusal");
            c.flushCommands();
            c.setAutoFlushCommands(true);
            assertEquals("OK", before.toCompletableFuture().join());
            RedisException e = assertThrows(RedisException.class, () -> c.sync().clientTracking(
                    io.lettuce.core.TrackingArgs.Builder.enabled().redirect(id)));
            assertTrue(e.getMessage().startsWith("ERR REDIRECT is not supported"), e.getMessage());
            assertTrue(refused.toCompletableFuture().isCompletedExceptionally());
            assertEquals("1", after.toCompletableFuture().join());
            assertEquals("OK", c.sync().clientTracking(io.lettuce.core.TrackingArgs.Builder.enabled()),
                    "tracking without REDIRECT passes");
            assertEquals(2, proxy.links().get(0).refusedCommands());
            proxy.restore();
            assertThrows(RedisException.class, () -> c.sync().clientTracking(
                    io.lettuce.core.TrackingArgs.Builder.enabled().redirect(id)), "restore() keeps the refusal");
            proxy.acceptAllCommands();
            c.sync().clientTracking(io.lettuce.core.TrackingArgs.Builder.enabled(false));
            assertEquals("OK", c.sync().clientTracking(io.lettuce.core.TrackingArgs.Builder.enabled().redirect(id)));
        }
    }

    @Test
    void cutLinkMakesTheClientReconnect() {
        assertReconnectsAfter(FaultProxy::cut);
    }

    @Test
    void resetLinkMakesTheClientReconnect() {
        assertReconnectsAfter(FaultProxy::reset);
    }

    private void assertReconnectsAfter(java.util.function.Consumer<FaultProxy> fault) {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            long idBefore = c.sync().clientId();
            fault.accept(proxy);
            await("client sees the disconnect").atMost(Duration.ofSeconds(5)).until(() -> disconnects.get() >= 1);
            await("client reconnects").atMost(Duration.ofSeconds(10)).until(() -> connects.get() >= 2);
            long idAfter = c.sync().clientId();
            assertNotEquals(idBefore, idAfter, "a new server-side connection");
            assertEquals(2, proxy.acceptedConnections());
        }
    }

    @Test
    void delayedLinkDelaysEachDirection() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.setTimeout(Duration.ofSeconds(5));
            Duration delay = Duration.ofMillis(200);
            proxy.delay(delay);
            long start = System.nanoTime();
            assertEquals("PONG", c.sync().ping());
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= 2 * delay.toNanos(), "round trip took only " + elapsed / 1_000_000 + " ms");
            proxy.restore();
            assertEquals("v", setAndGet(c, "k", "v"));
        }
    }

    @Test
    void faultsApplyToOneLinkAtATime() {
        try (StatefulRedisConnection<String, String> a = client.connect()) {
            FaultProxy.Link linkA = proxy.awaitLinks(1, Duration.ofSeconds(5)).get(0);
            try (StatefulRedisConnection<String, String> b = client.connect()) {
                List<FaultProxy.Link> links = proxy.awaitLinks(2, Duration.ofSeconds(5));
                assertEquals(2, links.size());
                linkA.stall();
                assertThrows(RedisCommandTimeoutException.class, () -> a.sync().ping());
                assertEquals("PONG", b.sync().ping(), "the other link is untouched");
                linkA.restore();
                assertEquals("PONG", a.sync().ping());

                long idB = b.sync().clientId();
                String clientList = (String) redis.server().command(Duration.ofSeconds(2), "CLIENT", "LIST");
                FaultProxy.Link linkB = links.get(1);
                assertTrue(clientList.lines().anyMatch(l -> l.contains("id=" + idB + " ")
                                && l.contains("addr=127.0.0.1:" + linkB.upstreamLocalPort() + " ")),
                        "upstreamLocalPort names the link in CLIENT LIST: " + clientList);
                linkB.cut();
                await("b reconnects").atMost(Duration.ofSeconds(10)).until(() -> connects.get() >= 3);
                assertNotEquals(idB, b.sync().clientId());
                assertTrue(linkA.isOpen(), "cutting one link leaves the other open");
            }
        }
    }

    @Test
    void disconnectedServerIsUnreachableUntilRestored() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            proxy.disconnect();
            await("client sees the disconnect").atMost(Duration.ofSeconds(5)).until(() -> disconnects.get() >= 1);
            // times out, or fails with the reset of a reconnect attempt that the proxy refused
            assertThrows(RedisException.class, () -> c.sync().ping());
            await("reconnect attempts are refused").atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.acceptedConnections() >= 2);
            assertEquals(1, connects.get(), "no reconnect can succeed while disconnected");
            proxy.restore();
            await("client reconnects after restore").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> "PONG".equals(c.sync().ping()));
        }
    }

    @Test
    void serverRestartBehindTheProxyIsAReconnect() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            assertEquals("v", setAndGet(c, "k", "v"));
            redis.server().restart();
            await("client reconnects to the restarted server").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> c.sync().get("k") == null);
            assertTrue(disconnects.get() >= 1);
        }
    }

    private static String setAndGet(StatefulRedisConnection<String, String> c, String key, String value) {
        c.sync().set(key, value);
        return c.sync().get(key);
    }
}
