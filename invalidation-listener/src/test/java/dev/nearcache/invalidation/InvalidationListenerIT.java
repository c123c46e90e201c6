package dev.nearcache.invalidation;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.RegisterExtension;

class InvalidationListenerIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisClient otherClient;
    private static StatefulRedisConnection<String, String> writer;

    @BeforeAll
    static void connectWriter() {
        otherClient = RedisClient.create(redis.server().uri());
        writer = otherClient.connect();
    }

    @AfterAll
    static void closeWriter() {
        writer.close();
        otherClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    /** Records every event, timestamped, in order. */
    static final class Recorder implements InvalidationHandler<String> {
        record Event(String kind, Object detail, long nanos) {
        }

        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final List<Event> all = java.util.Collections.synchronizedList(new ArrayList<>());

        private void add(String kind, Object detail) {
            Event e = new Event(kind, detail, System.nanoTime());
            all.add(e);
            events.add(e);
        }

        @Override
        public void invalidated(List<String> keys) {
            add("invalidated", List.copyOf(keys));
        }

        @Override
        public void flushed(String reason) {
            add("flushed", reason);
        }

        @Override
        public void lost(String reason) {
            add("lost", reason);
        }

        @Override
        public void ready(long clientId) {
            add("ready", clientId);
        }

        Event next(String kind) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            try {
                while (System.nanoTime() < deadline) {
                    Event e = events.poll(100, TimeUnit.MILLISECONDS);
                    if (e != null && e.kind.equals(kind)) {
                        return e;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new AssertionError("no '" + kind + "' event within 10 s; saw " + all);
        }

        long count(String kind) {
            synchronized (all) {
                return all.stream().filter(e -> e.kind.equals(kind)).count();
            }
        }
    }

    private static InvalidationListenerBuilder<String> builder(String uri, ProtocolVersion protocol) {
        return InvalidationListener.builder().redisUri(uri).protocol(protocol);
    }

    /** A data connection whose reads are tracked with invalidations redirected to {@code id}. */
    private static StatefulRedisConnection<String, String> trackingConnection(RedisClient client, long id,
                                                                              boolean bcast, String prefix) {
        StatefulRedisConnection<String, String> data = client.connect();
        TrackingArgs args = TrackingArgs.Builder.enabled().redirect(id);
        if (bcast) {
            args = args.bcast().prefixes(prefix);
        }
        data.sync().clientTracking(args);
        return data;
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    @SuppressWarnings("try") // the broadcast connection only has to be open: its tracking sends the invalidations
    void singleKeyAndBroadcastMultiKeyInvalidationsArriveComplete(ProtocolVersion protocol) {
        Recorder recorder = new Recorder();
        RedisClient dataClient = RedisClient.create(redis.server().uri());
        try (InvalidationListener<String> listener = builder(redis.server().uri(), protocol).handler(recorder)
                .build()) {
            long id = (Long) recorder.next("ready").detail();
            assertEquals(id, listener.clientId().orElseThrow());
            try (StatefulRedisConnection<String, String> data = trackingConnection(dataClient, id, false, null);
                 StatefulRedisConnection<String, String> bcast = trackingConnection(dataClient, id, true,
                         "multi:" + protocol + ":")) {
                String key = "single:" + protocol;
                writer.sync().set(key, "1");
                data.sync().get(key);
                writer.sync().set(key, "2");
                assertEquals(List.of(key), recorder.next("invalidated").detail());

                String p = "multi:" + protocol + ":";
                writer.sync().mset(java.util.Map.of(p + "a", "1", p + "b", "2", p + "c", "3"));
                Set<String> seen = new java.util.HashSet<>();
                boolean multiKeyMessage = false;
                while (seen.size() < 3) {
                    @SuppressWarnings("unchecked")
                    List<String> keys = (List<String>) recorder.next("invalidated").detail();
                    multiKeyMessage |= keys.size() > 1;
                    seen.addAll(keys);
                }
                assertEquals(Set.of(p + "a", p + "b", p + "c"), seen);
                assertTrue(multiKeyMessage, "BCAST sent the MSET's keys in one message, decoded whole");
            }
        } finally {
            dataClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    @SuppressWarnings("try") // closed inside the block on purpose: a barrier after close completes with false
    void aBarrierCompletesOnlyAfterTheInvalidationsOfEarlierWrites(ProtocolVersion protocol) throws Exception {
        Recorder recorder = new Recorder();
        RedisClient dataClient = RedisClient.create(redis.server().uri());
        try (InvalidationListener<String> listener = builder(redis.server().uri(), protocol).handler(recorder)
                .build()) {
            long id = (Long) recorder.next("ready").detail();
            try (StatefulRedisConnection<String, String> data = trackingConnection(dataClient, id, false, null)) {
                for (int i = 0; i < 200; i++) {
                    String key = "barrier:" + protocol + ":" + i;
                    data.sync().get(key);
                    writer.sync().set(key, "v"); // Redis has sent the invalidation when SET returns
                    assertTrue(listener.barrier().get(5, java.util.concurrent.TimeUnit.SECONDS));
                    long delivered;
                    synchronized (recorder.all) {
                        delivered = recorder.all.stream().filter(e -> e.kind().equals("invalidated")
                                && ((List<?>) e.detail()).contains(key)).count();
                    }
                    assertEquals(1, delivered, "the invalidation of " + key + " was delivered before the barrier");
                }
            }
            listener.close();
            assertFalse(listener.barrier().get(1, java.util.concurrent.TimeUnit.SECONDS), "closed: false");
        } finally {
            dataClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void flushAllAndFlushDbAreReportedAsFlushes(ProtocolVersion protocol) {
        Recorder recorder = new Recorder();
        RedisClient dataClient = RedisClient.create(redis.server().uri());
        try (InvalidationListener<String> listener = builder(redis.server().uri(), protocol).handler(recorder)
                .build()) {
            long id = (Long) recorder.next("ready").detail();
            try (StatefulRedisConnection<String, String> data = trackingConnection(dataClient, id, false, null)) {
                data.sync().get("flush:k");
                writer.sync().flushall();
                assertTrue(((String) recorder.next("flushed").detail()).contains("FLUSHALL"));
                data.sync().get("flush:k");
                writer.sync().flushdb();
                assertNotNull(recorder.next("flushed"));
                assertTrue(listener.isReady());
            }
        } finally {
            dataClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void clientKillGivesLostThenReadyWithANewId(ProtocolVersion protocol) {
        Recorder recorder = new Recorder();
        try (InvalidationListener<String> listener = builder(redis.server().uri(), protocol).handler(recorder)
                .build()) {
            long id = (Long) recorder.next("ready").detail();
            writer.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(id));
            assertNotNull(recorder.next("lost"));
            assertFalse(listener.clientId().isPresent() && listener.clientId().getAsLong() == id);
            long newId = (Long) recorder.next("ready").detail();
            assertNotEquals(id, newId);
            assertEquals(newId, listener.clientId().orElseThrow());
        }
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void invalidationsOnIoThreadAreDeliveredWhereTheyAreDecoded(ProtocolVersion protocol) throws Exception {
        java.util.concurrent.BlockingQueue<String> threads = new java.util.concurrent.LinkedBlockingQueue<>();
        InvalidationHandler<String> handler = new InvalidationHandler<>() {
            @Override
            public void invalidated(List<String> keys) {
                threads.add(Thread.currentThread().getName() + " " + keys);
            }
        };
        RedisClient dataClient = RedisClient.create(redis.server().uri());
        try (InvalidationListener<String> listener = builder(redis.server().uri(), protocol)
                .invalidationsOnIoThread(true).handler(handler).build();
             StatefulRedisConnection<String, String> data = trackingConnection(dataClient,
                     listener.clientId().orElseThrow(), false, null)) {
            data.sync().get("io:1");
            writer.sync().set("io:1", "x");
            String delivered = threads.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(delivered != null && delivered.endsWith(" [io:1]")
                    && !delivered.startsWith("nearcache-invalidation-"), "on the I/O thread: " + delivered);
        } finally {
            dataClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void connectionIsNamedAndProtectedFromEviction() {
        try (InvalidationListener<String> listener = builder(redis.server().uri(), ProtocolVersion.RESP3)
                .clientName("my-service-invalidations").build()) {
            long id = listener.clientId().orElseThrow();
            String line = writer.sync().clientList().lines().filter(l -> l.startsWith("id=" + id + " "))
                    .findFirst().orElseThrow();
            assertTrue(line.contains(" name=my-service-invalidations "), line);
            if (!redis.server().version().startsWith("6.")) {
                // sent after the connection is ready (CLIENT ID, seen above as its last command): wait for it
                org.awaitility.Awaitility.await("CLIENT NO-EVICT ON where the server has it")
                        .atMost(Duration.ofSeconds(5)).until(() -> writer.sync().clientList().lines()
                                .filter(l -> l.startsWith("id=" + id + " ")).findFirst().orElse("")
                                .replaceAll(".* flags=(\\S*) .*", "$1").contains("e"));
            }
        }
    }

    @Test
    void aStalledLinkIsLostWithinIntervalPlusTimeoutAndComesBack() {
        Duration interval = Duration.ofMillis(200);
        Duration timeout = Duration.ofMillis(400);
        Recorder recorder = new Recorder();
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             InvalidationListener<String> listener = builder(proxy.uri(), ProtocolVersion.RESP3)
                     .heartbeatInterval(interval).heartbeatTimeout(timeout).reconnectDebounce(Duration.ofMillis(100))
                     .handler(recorder).build()) {
            recorder.next("ready");
            long stalledAt = System.nanoTime();
            proxy.stall();
            Recorder.Event lost = recorder.next("lost");
            long detectedMillis = (lost.nanos() - stalledAt) / 1_000_000;
            // the contract: at most one interval plus the timeout; 250 ms allowed for scheduling on a busy machine
            assertTrue(detectedMillis <= interval.plus(timeout).toMillis() + 250,
                    "half-open link detected after " + detectedMillis + " ms");
            assertTrue(((String) lost.detail()).contains("heartbeat"), (String) lost.detail());
            proxy.restore();
            recorder.next("ready");
            assertTrue(listener.isReady());
        }
    }

    @Test
    void aServerRestartGivesLostThenReadyOnceItIsBack() {
        Recorder recorder = new Recorder();
        try (InvalidationListener<String> listener = builder(redis.server().uri(), ProtocolVersion.RESP3)
                .reconnectDebounce(Duration.ofMillis(100)).maxReconnectBackoff(Duration.ofMillis(200))
                .handler(recorder).build()) {
            recorder.next("ready");
            redis.server().stop();
            recorder.next("lost");
            assertFalse(listener.isReady());
            redis.server().start();
            recorder.next("ready");
            assertTrue(listener.isReady());
            assertEquals(1, recorder.count("lost"));
            assertEquals(2, recorder.count("ready"));
        } finally {
            writer.sync().ping(); // the shared writer reconnects to the restarted server
        }
    }

    @Test
    void aLinkThatFlapsTwentyTimesRespectsTheDebounce() {
        Duration debounce = Duration.ofMillis(200);
        Recorder recorder = new Recorder();
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             InvalidationListener<String> listener = builder(proxy.uri(), ProtocolVersion.RESP3)
                     .reconnectDebounce(debounce).maxReconnectBackoff(Duration.ofMillis(300))
                     .handler(recorder).build()) {
            recorder.next("ready");
            for (int flap = 0; flap < 20; flap++) {
                proxy.awaitLinks(1, Duration.ofSeconds(5));
                proxy.cut();
                recorder.next("lost");
                recorder.next("ready");
            }
            assertEquals(20, recorder.count("lost"));
            assertEquals(21, recorder.count("ready"));
            List<Long> readyTimes;
            synchronized (recorder.all) {
                readyTimes = recorder.all.stream().filter(e -> e.kind().equals("ready")).map(Recorder.Event::nanos)
                        .toList();
            }
            // attempts start at least one debounce apart, so twenty reconnects span at least twenty debounces. Each
            // ready event also carries its handshake's time, which varies by over 150 ms on a loaded machine, so
            // one gap between them says little (29 ms seen); their sum does: without the debounce a cut link is back
            // within a few ms, twenty times in well under a second
            long spanMillis = (readyTimes.get(readyTimes.size() - 1) - readyTimes.get(0)) / 1_000_000;
            assertTrue(spanMillis >= 20 * (debounce.toMillis() - 20), "20 reconnects within " + spanMillis
                    + " ms; the debounce is " + debounce.toMillis() + " ms");
            assertTrue(listener.isReady());
        }
    }

    @Test
    void aHundredKillCyclesLeakNoThreadAndNoConnection() {
        Recorder recorder = new Recorder();
        try (InvalidationListener<String> listener = builder(redis.server().uri(), ProtocolVersion.RESP3)
                .clientName("leak-check").reconnectDebounce(Duration.ZERO)
                .maxReconnectBackoff(Duration.ofMillis(100)).handler(recorder).build()) {
            long id = (Long) recorder.next("ready").detail();
            for (int warmUp = 0; warmUp < 3; warmUp++) {
                id = killAndAwaitNewId(recorder, id);
            }
            Set<String> threadsBefore = threadNames();
            for (int cycle = 0; cycle < 100; cycle++) {
                id = killAndAwaitNewId(recorder, id);
            }
            await("no thread left over").pollInSameThread().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Set<String> extra = threadNames();
                extra.removeAll(threadsBefore);
                assertEquals(Set.of(), extra, "threads started by the kill cycles and still alive");
            });
            long named = writer.sync().clientList().lines().filter(l -> l.contains(" name=leak-check ")).count();
            assertEquals(1, named, "exactly one invalidation connection is open");
            assertTrue(listener.isReady());
        }
        await("the connection is closed").atMost(Duration.ofSeconds(5)).until(() ->
                writer.sync().clientList().lines().noneMatch(l -> l.contains(" name=leak-check ")));
    }

    private static Set<String> threadNames() {
        Set<String> names = new java.util.TreeSet<>();
        Thread.getAllStackTraces().keySet().forEach(t -> names.add(t.getName()));
        return names;
    }

    private static long killAndAwaitNewId(Recorder recorder, long id) {
        writer.sync().clientKill(io.lettuce.core.KillArgs.Builder.id(id));
        recorder.next("lost");
        long newId = (Long) recorder.next("ready").detail();
        assertNotEquals(id, newId);
        return newId;
    }

    @Test
    void aThrowingHandlerDoesNotStopTheOthers() {
        Recorder recorder = new Recorder();
        InvalidationHandler<String> throwing = new InvalidationHandler<>() {
            @Override
            public void ready(long clientId) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void flushed(String reason) {
                throw new IllegalStateException("boom");
            }
        };
        RedisClient dataClient = RedisClient.create(redis.server().uri());
        try (InvalidationListener<String> listener = builder(redis.server().uri(), ProtocolVersion.RESP3)
                .handler(throwing).handler(recorder).build();
             StatefulRedisConnection<String, String> data = trackingConnection(dataClient,
                     listener.clientId().orElseThrow(), false, null)) {
            recorder.next("ready");
            data.sync().get("throwing:k");
            writer.sync().flushall();
            recorder.next("flushed");
            Recorder late = new Recorder();
            listener.addHandler(late);
            assertEquals(listener.clientId().orElseThrow(), late.next("ready").detail(),
                    "a handler added later first hears the id in force");
        } finally {
            dataClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void anUnreachableServerFailsTheBuildNamingTheEndpoint() {
        int port;
        try (FaultProxy proxy = FaultProxy.to(redis.server())) {
            port = proxy.port();
        }
        RedisConnectionException e = assertThrows(RedisConnectionException.class,
                () -> InvalidationListener.builder().redisUri("redis://:secret@127.0.0.1:" + port)
                        .connectTimeout(Duration.ofMillis(500)).build());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertFalse(e.getMessage().contains("secret"), e.getMessage());
    }

}
