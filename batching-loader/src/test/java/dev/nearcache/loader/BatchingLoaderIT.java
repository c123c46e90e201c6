package dev.nearcache.loader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.loader.spi.DataConnection;
import dev.nearcache.loader.spi.DataConnectionListener;
import dev.nearcache.testkit.FaultProxy;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class BatchingLoaderIT {
    private static final int KEYS = 20_000;

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.standalone();

    private static RedisClient writerClient;
    private static StatefulRedisConnection<String, String> writer;

    @BeforeAll
    static void seed() {
        writerClient = RedisClient.create(redis.server().uri());
        writer = writerClient.connect();
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            values.put("key:" + i, "value:" + i);
            if (values.size() == 1000) {
                writer.sync().mset(values);
                values.clear();
            }
        }
    }

    @AfterAll
    static void tearDown() {
        writer.close();
        writerClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    private static BatchingLoaderBuilder<String, String> builder() {
        return BatchingLoader.builder().redisUri(redis.server().uri());
    }

    /**
     * Keeps connection {@code index}'s I/O thread busy until the returned latch is counted down: keys requested
     * meanwhile queue for that thread's next write (the loader's writes run there).
     */
    private static CountDownLatch holdIoThread(BatchingLoader<?, ?> loader, int index) throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        ((HookedConnection<?, ?>) loader.connections().get(index)).eventLoop().execute(() -> {
            held.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(10, TimeUnit.SECONDS), "the I/O thread ran the hold");
        return release;
    }

    @Test
    void optInSendsClientCachingYesBeforeTrackedKeysOnlyAndAFailedOneIsReportedToTheObserver() {
        BatchRecorder observer = new BatchRecorder();
        // tracking is not on for these connections: CLIENT CACHING YES is refused, as on a fresh connection
        try (BatchingLoader<String, String> loader = builder().optIn(key -> key.startsWith("key:"))
                .observer(observer).build()) {
            Map<String, String> values = loader.getAll(List.of("key:3", "absent:1"));
            assertEquals("value:3", values.get("key:3"), "the callers still get the value");
            assertNull(values.get("absent:1"));
            List<BatchRecorder.Reply> replies = observer.replies;
            assertEquals(2, replies.size(), "each kind in an MGET of its own: " + observer.batches);
            BatchRecorder.Reply tracked = replies.stream().filter(r -> r.keys().equals(List.of("key:3"))).findFirst()
                    .orElseThrow();
            BatchRecorder.Reply untracked = replies.stream().filter(r -> r.keys().equals(List.of("absent:1")))
                    .findFirst().orElseThrow();
            assertNull(untracked.failure(), "the untracked kind was read and reported as is");
            assertNotNull(tracked.failure(), "the read whose CLIENT CACHING YES failed is reported as failed");
            assertTrue(tracked.failure().getMessage().contains("CACHING"), tracked.failure().getMessage());
        }
    }

    @Test
    void largeMixedBatchesMapEveryKeyToItsValue() {
        try (BatchingLoader<String, String> loader = builder().maxBatchSize(100).build()) {
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                keys.add("key:" + (i * 3));
                keys.add("absent:" + i);
            }
            Collections.shuffle(keys, new Random(42));
            Map<String, String> values = loader.getAll(keys);
            assertEquals(10_000, values.size());
            for (String key : keys) {
                if (key.startsWith("absent:")) {
                    assertTrue(values.containsKey(key));
                    assertNull(values.get(key), key);
                } else {
                    assertEquals("value:" + key.substring(4), values.get(key), key);
                }
            }
            assertEquals("value:7", loader.get("key:7"));
            assertNull(loader.get("absent:x"));
        }
    }

    @Test
    void binaryKeysAndValuesRoundTrip() {
        byte[] key = {0, '\r', '\n', (byte) 0xff, ' ', '*', '$'};
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        RedisClient client = RedisClient.create(redis.server().uri());
        try (StatefulRedisConnection<byte[], byte[]> bytes = client.connect(ByteArrayCodec.INSTANCE);
             BatchingLoader<byte[], byte[]> loader = builder().codec(ByteArrayCodec.INSTANCE).build()) {
            bytes.sync().set(key, value);
            assertArrayEquals(value, loader.get(key));
            assertArrayEquals(value, loader.get(Arrays.copyOf(key, key.length)), "equal content, other array");
            Map<byte[], byte[]> all = loader.getAll(List.of(key, Arrays.copyOf(key, key.length), new byte[] {1}));
            assertEquals(2, all.size(), "byte[] keys are distinct by content");
            assertArrayEquals(value, all.get(key));
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void duplicateKeysInOneBatchAreSentOnceAndAnsweredForAll() throws Exception {
        BatchRecorder recorder = new BatchRecorder();
        try (BatchingLoader<String, String> loader = builder().connections(1).observer(recorder).build()) {
            CountDownLatch release = holdIoThread(loader, 0);
            List<CompletableFuture<String>> dupes = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                dupes.add(loader.load("key:1"));
                dupes.add(loader.load("key:2"));
            }
            CompletableFuture<Map<String, String>> all = loader.loadAll(List.of("key:1", "key:2", "key:1"));
            assertEquals(2, loader.pendingKeys(), "two distinct keys wait");
            release.countDown();
            dupes.forEach(f -> assertTrue(f.join().startsWith("value:")));
            assertEquals(Map.of("key:1", "value:1", "key:2", "value:2"), all.join());
            assertEquals(List.of(2), recorder.sizes(), "one MGET of both keys for 103 requests");
        }
    }

    @Test
    void concurrentLoadsOfOneKeyShareOneRequest() {
        BatchRecorder recorder = new BatchRecorder();
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri())
                     .observer(recorder).build()) {
            proxy.delay(Duration.ofMillis(100));
            List<CompletableFuture<String>> futures = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                futures.add(loader.load("key:5"));
            }
            futures.forEach(f -> assertEquals("value:5", f.join()));
            assertEquals(List.of(1), recorder.sizes(), "a single MGET of one key");
        }
    }

    @Test
    void detachedKeysAreReadAgainInsteadOfJoiningARequestSentBeforeAWrite() {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri())
                     .connections(2).build()) {
            writer.sync().set("detach:k", "old");
            List<FaultProxy.Link> links = proxy.awaitLinks(2, Duration.ofSeconds(5));
            long answered = links.stream().mapToLong(FaultProxy.Link::bytesFromServer).sum();
            proxy.delay(Duration.ofMillis(300));
            CompletableFuture<String> before = loader.load("detach:k");
            await("Redis answered the first MGET (its reply is held back)").atMost(Duration.ofSeconds(5))
                    .until(() -> links.stream().mapToLong(FaultProxy.Link::bytesFromServer).sum() > answered);
            writer.sync().set("detach:k", "new");
            CompletableFuture<String> joined = loader.load("detach:k");
            loader.detach("detach:k");
            CompletableFuture<String> after = loader.load("detach:k");
            assertEquals("old", before.join());
            assertEquals("old", joined.join(), "joined before the detach: shares the first request");
            assertEquals("new", after.join(), "after the detach: a request of its own, sent after the write");
            assertTrue(links.get(0).isOpen());
        }
    }

    @Test
    void keysArrivingWhileTheIoThreadIsBusyShareItsNextWriteInFullBatches() throws Exception {
        BatchRecorder recorder = new BatchRecorder();
        List<List<String>> batches = recorder.batches;
        try (BatchingLoader<String, String> loader = builder().connections(1).maxBatchSize(128).observer(recorder)
                .build()) {
            assertEquals("value:0", loader.get("key:0"));
            assertEquals(List.of(List.of("key:0")), batches, "a lone key goes out at once, alone");
            CountDownLatch release = holdIoThread(loader, 0);
            List<CompletableFuture<String>> futures = new ArrayList<>();
            for (int i = 1; i <= 600; i++) {
                futures.add(loader.load("key:" + i));
            }
            release.countDown();
            for (int i = 1; i <= 600; i++) {
                assertEquals("value:" + i, futures.get(i - 1).join());
            }
            List<Integer> sizes = batches.stream().skip(1).map(List::size).toList();
            assertEquals(List.of(128, 128, 128, 128, 88), sizes, "full batches: four in the first write, the rest"
                    + " in the next");
            List<String> order = batches.stream().skip(1).flatMap(List::stream).toList();
            for (int i = 1; i <= 600; i++) {
                assertEquals("key:" + i, order.get(i - 1), "sent in arrival order");
            }
        }
    }

    @Test
    void aConnectionWritesTheNextBatchWithoutWaitingForTheReplyOfThePrevious() {
        BatchRecorder recorder = new BatchRecorder();
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri())
                     .connections(1).observer(recorder).build()) {
            FaultProxy.Link link = proxy.awaitLinks(1, Duration.ofSeconds(5)).get(0);
            link.stall(); // no reply can come back until restored
            CompletableFuture<String> first = loader.load("key:1");
            await("the first MGET was handed to the connection").atMost(Duration.ofSeconds(5))
                    .until(() -> recorder.batches.size() == 1);
            CompletableFuture<String> second = loader.load("key:2");
            await("the second MGET was handed to the connection while the first is unanswered")
                    .atMost(Duration.ofSeconds(5)).until(() -> recorder.batches.size() == 2);
            assertFalse(first.isDone(), "the first is still unanswered");
            link.restore();
            assertEquals("value:1", first.join());
            assertEquals("value:2", second.join());
            assertEquals(List.of(1, 1), recorder.sizes());
        }
    }

    @Test
    void tenThousandConcurrentCallersEachGetTheirOwnValue() throws Exception {
        int callers = 10_000;
        ExecutorService pool = Executors.newFixedThreadPool(64);
        try (BatchingLoader<String, String> loader = builder().build()) {
            CountDownLatch start = new CountDownLatch(1);
            List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            Random random = new Random(7);
            for (int c = 0; c < callers; c++) {
                int k = random.nextInt(KEYS * 2); // half of them absent
                results.add(pool.submit(() -> {
                    start.await();
                    String value = loader.get("key:" + k);
                    return k < KEYS ? ("value:" + k).equals(value) : value == null;
                }));
            }
            start.countDown();
            for (var result : results) {
                assertTrue(result.get(60, TimeUnit.SECONDS));
            }
            assertEquals(0, loader.pendingKeys());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLinkCutMidBatchFailsThatBatchAndLaterLoadsSucceed() {
        BatchRecorder recorder = new BatchRecorder();
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri())
                     .connections(1).observer(recorder).build()) {
            FaultProxy.Link link = proxy.awaitLinks(1, Duration.ofSeconds(5)).get(0);
            proxy.delay(Duration.ofSeconds(2)); // the reply cannot arrive before the cut
            long before = link.bytesFromClient();
            CompletableFuture<String> inFlight = loader.load("key:9");
            await("the MGET was written").atMost(Duration.ofSeconds(5)).until(() -> link.bytesFromClient() > before);
            proxy.cut();
            ExecutionException e = assertThrows(ExecutionException.class, () -> inFlight.get(10, TimeUnit.SECONDS));
            assertInstanceOf(RedisConnectionException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("lost with 1 key(s) in flight"),
                    e.getCause().getMessage());
            proxy.restore();
            await("later loads succeed").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> "value:9".equals(loader.get("key:9")));
        }
    }

    @Test
    void aStalledLinkTimesOutAndNeverHangsACaller() throws Exception {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri())
                     .connections(1).commandTimeout(Duration.ofMillis(300)).build()) {
            proxy.stall();
            CompletableFuture<String> sent = loader.load("key:1");
            List<CompletableFuture<String>> queued = new ArrayList<>();
            for (int i = 2; i < 50; i++) {
                queued.add(loader.load("key:" + i));
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> sent.get(10, TimeUnit.SECONDS));
            assertInstanceOf(RedisCommandTimeoutException.class, e.getCause());
            for (CompletableFuture<String> f : queued) {
                ExecutionException q = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertInstanceOf(RedisCommandTimeoutException.class, q.getCause());
            }
            // the timeout dropped the connection: a load now either meets the old socket as it closes (lost) or
            // waits for a reconnect that the stall holds back (timeout); either way it fails, and in bounded time
            RedisException later = assertThrows(RedisException.class, () -> loader.get("key:60"));
            assertTrue(later instanceof RedisCommandTimeoutException || later instanceof RedisConnectionException,
                    later.toString());
            proxy.restore();
            await("loads succeed after the stall").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> "value:61".equals(loader.get("key:61")));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "readTtls {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aConnectionThatStopsAnsweringIsReplacedWhileNewConnectionsWork(boolean readTtls) throws Exception {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri()).readTtls(readTtls)
                     .connections(2).commandTimeout(Duration.ofMillis(300)).build()) {
            assertEquals("value:1", loader.get("key:1"));
            int accepted = proxy.acceptedConnections();
            proxy.awaitLinks(2, Duration.ofSeconds(5)).forEach(FaultProxy.Link::stall); // half-open: never closes
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> loader.load("key:2").get(10, TimeUnit.SECONDS));
            assertInstanceOf(RedisCommandTimeoutException.class, e.getCause());
            // nothing is restored: only a new connection can answer
            await("loads succeed on new connections").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> "value:3".equals(loader.get("key:3")) && "value:4".equals(loader.get("key:4")));
            assertTrue(proxy.acceptedConnections() > accepted, "the stalled connection was replaced");
            for (int i = 5; i < 25; i++) {
                assertEquals("value:" + i, loader.get("key:" + i));
            }
        }
    }

    @Test
    void anUndecodableValueFailsOnlyItsOwnKeyAndKeepsTheConnection() throws Exception {
        writer.sync().set("dec:bad", "BAD value");
        RedisCodec<String, String> picky = new StringCodec(StandardCharsets.UTF_8) {
            @Override
            public String decodeValue(ByteBuffer bytes) {
                String value = super.decodeValue(bytes);
                if (value.startsWith("BAD")) {
                    throw new IllegalArgumentException("not a product");
                }
                return value;
            }
        };
        BatchRecorder recorder = new BatchRecorder();
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().codec(picky).redisUri(proxy.uri())
                     .connections(1).observer(recorder).build()) {
            DataConnection<String, String> connection = loader.connections().get(0);
            long generation = connection.generation();
            CountDownLatch release = holdIoThread(loader, 0);
            CompletableFuture<String> good = loader.load("key:2");
            CompletableFuture<String> bad = loader.load("dec:bad");
            CompletableFuture<String> alsoGood = loader.load("key:3");
            release.countDown();
            await("the batch and its retries were sent").atMost(Duration.ofSeconds(10))
                    .until(() -> recorder.batches.size() >= 4);
            assertEquals(List.of(3, 1, 1, 1), recorder.sizes(), "one MGET of the three keys, then each alone");
            assertEquals("value:2", good.get(10, TimeUnit.SECONDS));
            assertEquals("value:3", alsoGood.get(10, TimeUnit.SECONDS));
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("could not decode"), e.getCause().getMessage());
            assertEquals(generation, connection.generation(), "the connection was not dropped");
        }
    }

    @Test
    void ttlsAreReadBehindTheValues() {
        writer.sync().set("ttl:a", "a", io.lettuce.core.SetArgs.Builder.px(60_000));
        writer.sync().set("ttl:b", "b");
        BatchRecorder observer = new BatchRecorder();
        try (BatchingLoader<String, String> loader = builder().readTtls(true).observer(observer).build()) {
            Map<String, String> values = loader.getAll(List.of("ttl:a", "ttl:b", "ttl:c"));
            assertEquals("a", values.get("ttl:a"));
            assertEquals("b", values.get("ttl:b"));
            assertNull(values.get("ttl:c"));
            assertEquals(1, observer.replies.size());
            long[] ttls = observer.replies.get(0).ttls();
            assertEquals(3, ttls.length);
            assertTrue(ttls[0] > 0 && ttls[0] <= 60_000, "remaining PTTL of ttl:a: " + ttls[0]);
            assertEquals(-1, ttls[1], "ttl:b has no TTL");
            assertEquals(-2, ttls[2], "ttl:c does not exist");
        }
        try (BatchingLoader<String, String> loader = builder().observer(observer).build()) {
            loader.get("ttl:a");
            assertNull(observer.replies.get(1).ttls(), "no TTLs unless asked for");
        }
    }

    @Test
    void theTtlsOfABatchLargerThanOneScriptComeBackInKeyOrder() {
        int count = 2 * MgetBatchingLoader.TTL_SCRIPT_KEYS + 7; // three scripts behind one MGET
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add("ttls:" + i);
            if (i % 3 == 0) {
                writer.sync().set("ttls:" + i, "v" + i,
                        io.lettuce.core.SetArgs.Builder.px(1_000_000L + i * 100_000L));
            } else if (i % 3 == 1) {
                writer.sync().set("ttls:" + i, "v" + i);
            }
        }
        BatchRecorder observer = new BatchRecorder();
        try (BatchingLoader<String, String> loader = builder().readTtls(true).maxBatchSize(count).connections(1)
                .observer(observer).build()) {
            loader.getAll(keys);
            assertEquals(1, observer.replies.size(), "one MGET of " + count + " keys");
            long[] ttls = observer.replies.get(0).ttls();
            assertEquals(count, ttls.length);
            for (int i = 0; i < count; i++) {
                if (i % 3 == 0) {
                    long expected = 1_000_000L + i * 100_000L;
                    assertTrue(ttls[i] > expected - 60_000 && ttls[i] <= expected, "PTTL of ttls:" + i + ": "
                            + ttls[i] + ", set to " + expected);
                } else {
                    assertEquals(i % 3 == 1 ? -1 : -2, ttls[i], "PTTL of ttls:" + i);
                }
            }
        }
    }

    @Test
    void aFullQueueRejectsInsteadOfGrowing() {
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri())
                     .connections(1).maxPendingKeys(10).commandTimeout(Duration.ofSeconds(5)).build()) {
            proxy.stall();
            for (int i = 0; i < 10; i++) {
                loader.load("key:" + i); // in flight, unanswered
            }
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> loader.load("key:11").get(1, TimeUnit.SECONDS));
            assertInstanceOf(RejectedExecutionException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("10 keys are already waiting or in flight"
                    + " (maxPendingKeys)"), e.getCause().getMessage());
            assertThrows(RejectedExecutionException.class, () -> loader.getAll(List.of("key:12", "key:13")));
            CompletableFuture<String> joined = loader.load("key:5");
            proxy.restore();
            assertEquals("value:5", joined.join(), "a key already queued is joined, not rejected");
        }
    }

    @Test
    void closeFailsPendingLoadsClearlyAndReleasesConnections() {
        FaultProxy proxy = FaultProxy.to(redis.server());
        try (proxy) {
            BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri()).connections(2)
                    .build();
            proxy.awaitLinks(2, Duration.ofSeconds(5));
            proxy.stall();
            CompletableFuture<String> pending = loader.load("key:1");
            loader.close();
            ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("is closed"), e.getCause().getMessage());
            IllegalStateException after = assertThrows(IllegalStateException.class, () -> loader.get("key:1"));
            assertTrue(after.getMessage().contains("is closed"));
            proxy.restore();
            await("connections released").atMost(Duration.ofSeconds(10)).until(() -> proxy.links().isEmpty());
            loader.close(); // idempotent
        }
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        try (BatchingLoader<String, String> loader = builder().build()) {
            assertEquals("key must not be null",
                    assertThrows(NullPointerException.class, () -> loader.load(null)).getMessage());
            assertEquals("keys must not contain null", assertThrows(NullPointerException.class,
                    () -> loader.loadAll(Arrays.asList("a", null))).getMessage());
            assertEquals("keys must not be null",
                    assertThrows(NullPointerException.class, () -> loader.loadAll(null)).getMessage());
        }
    }

    @Test
    void anUnreachableServerFailsTheBuildNamingTheEndpoint() {
        int port;
        try (FaultProxy proxy = FaultProxy.to(redis.server())) {
            port = proxy.port();
        }
        RedisConnectionException e = assertThrows(RedisConnectionException.class,
                () -> BatchingLoader.builder().redisUri("redis://:secret@127.0.0.1:" + port)
                        .commandTimeout(Duration.ofMillis(500)).build());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertTrue(!e.getMessage().contains("secret"), e.getMessage());
    }

    @Test
    void theActivationHookRunsBeforeReplayedCommandsAndListenersSeeLossAndReturn() {
        List<String> events = new CopyOnWriteArrayList<>();
        DataConnectionListener<String, String> hook = new DataConnectionListener<>() {
            @Override
            public void activated(DataConnection<String, String> connection) {
                // written before anything Lettuce buffered while the connection was down
                connection.commands().async().set("hook:marker", "generation-" + connection.generation());
                events.add("activated " + connection.generation());
            }

            @Override
            public void deactivated(DataConnection<String, String> connection) {
                events.add("deactivated " + connection.generation());
            }
        };
        try (FaultProxy proxy = FaultProxy.to(redis.server());
             BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(proxy.uri())
                     .connections(1).commandTimeout(Duration.ofSeconds(10)).listener(hook).build()) {
            assertEquals(List.of("activated 1"), events);
            // a FIN, and a reconnect that hangs until restored: a reset or a refused reconnect would make Lettuce
            // fail buffered commands at once with that error instead of replaying them
            proxy.stallNewConnections();
            proxy.cut();
            await("loss seen").atMost(Duration.ofSeconds(5)).until(() -> events.contains("deactivated 1"));
            CompletableFuture<String> buffered = loader.load("hook:marker"); // waits in Lettuce's buffer
            proxy.restore();
            assertEquals("generation-2", buffered.join(), "the hook's SET reached Redis before the replayed MGET");
            assertEquals(List.of("activated 1", "deactivated 1", "activated 2"), events);
            assertEquals(2, loader.connections().get(0).generation());
        }
    }
}
