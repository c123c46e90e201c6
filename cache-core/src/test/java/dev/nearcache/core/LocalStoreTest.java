package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.loader.spi.DataConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The local store and its coherence guard alone, without Redis: each rule's interleaving driven by hand (send,
 * invalidate, flush, reply, store), and random interleavings checked against a model of Redis's tracking. Each test
 * fails when its rule is taken out of {@link CoherenceGuard} or {@link LocalStore}.
 */
class LocalStoreTest {

    /** A data connection as the guard sees it: an index, a generation, open or not. */
    static final class FakeConnection implements DataConnection<String, String> {
        long generation = 1;
        boolean open = true;

        @Override
        public int index() {
            return 0;
        }

        @Override
        public long generation() {
            return generation;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public io.lettuce.core.protocol.ProtocolVersion protocolVersion() {
            return io.lettuce.core.protocol.ProtocolVersion.RESP3;
        }

        @Override
        public void reconnect() {
        }

        @Override
        public StatefulRedisConnection<String, String> commands() {
            throw new UnsupportedOperationException("no Redis here");
        }
    }

    private final FakeConnection connection = new FakeConnection();
    private final CoherenceGuard.Node node = new CoherenceGuard.Node(1, key -> true);
    private final LocalStore<String, String> store = store(false);

    private static LocalStore<String, String> store(boolean serverTtl) {
        NearCacheBuilder<String, String> b = NearCache.builder().redisUri("redis://localhost:1").maximumSize(100)
                .serverTtl(serverTtl);
        return new LocalStore<>(b.settings());
    }

    /** Tracking confirmed on the connection, redirecting to invalidation connection 7. */
    private void tracked() {
        node.redirectTo(7);
        node.trackingConfirmed(connection, connection.generation, 7);
    }

    private LocalStore.Sent send(String... keys) {
        return store.beforeSend(node, connection, List.of(keys));
    }

    private void reply(LocalStore.Sent sent, List<String> keys, List<String> values) {
        store.onReply(sent, keys, values, null, null);
    }

    @Test
    void rule1_aReadSentBeforeTrackingWasConfirmedIsNotStored() {
        node.redirectTo(7);
        LocalStore.Sent sent = send("k");
        node.trackingConfirmed(connection, connection.generation, 7);
        reply(sent, List.of("k"), List.of("v"));
        assertSame(LocalStore.MISS, store.get("k"));
        reply(send("k"), List.of("k"), List.of("v"));
        assertEquals("v", store.get("k"), "once confirmed, reads are stored");
    }

    @Test
    void rule1_aReconnectedConnectionOrANewRedirectNeedsTrackingConfirmedAgain() {
        tracked();
        connection.generation++; // reconnected: its tracking is gone server-side
        reply(send("a"), List.of("a"), List.of("v"));
        assertSame(LocalStore.MISS, store.get("a"));
        node.trackingConfirmed(connection, connection.generation, 7);
        node.redirectTo(8); // a new invalidation connection
        reply(send("b"), List.of("b"), List.of("v"));
        assertSame(LocalStore.MISS, store.get("b"));
    }

    @Test
    void rule2_anInvalidationThatOvertakesTheReplyKillsItsPlaceholder() {
        tracked();
        LocalStore.Sent sent = send("k");
        store.invalidated(List.of("k")); // the write happened after Redis read the old value
        reply(sent, List.of("k"), List.of("old"));
        assertSame(LocalStore.MISS, store.get("k"));
    }

    @Test
    void rule2_tokensAreComparedByIdentity() {
        tracked();
        LocalStore.Sent first = send("k");
        store.invalidated(List.of("k"));
        LocalStore.Sent second = send("k"); // a new read of the key registers a new token
        reply(first, List.of("k"), List.of("old"));
        assertSame(LocalStore.MISS, store.get("k"), "the first read's token died with the invalidation");
        reply(second, List.of("k"), List.of("new"));
        assertEquals("new", store.get("k"));
    }

    @Test
    void rule3_aFlushEmptiesTheStoreAndKillsEveryReadInFlight() {
        tracked();
        reply(send("a"), List.of("a"), List.of("v"));
        LocalStore.Sent inFlight = send("b");
        store.flush(FlushReason.FLUSH_COMMAND);
        assertSame(LocalStore.MISS, store.get("a"));
        reply(inFlight, List.of("b"), List.of("v"));
        assertSame(LocalStore.MISS, store.get("b"), "a read sent before the flush is not stored");
        assertEquals(1, store.stats(true, TrackingMode.REDIRECT).flushes().get("flush-command"));
    }

    @Test
    void rule6_anOwnWriteDuringARead() {
        tracked();
        LocalStore.Sent sent = send("k");
        store.evict("k"); // the facade's own write
        reply(sent, List.of("k"), List.of("old"));
        assertSame(LocalStore.MISS, store.get("k"));
    }

    @Test
    void rule7_boundedByCount() {
        tracked();
        for (int i = 0; i < 1000; i++) {
            reply(send("k" + i), List.of("k" + i), List.of("v"));
        }
        store.settle(); // eviction runs on the common pool for a caller's thread: wait for it
        long held = 0;
        for (int i = 0; i < 1000; i++) {
            held += store.get("k" + i) != LocalStore.MISS ? 1 : 0;
        }
        assertTrue(held <= 100, held + " entries held with a maximum of 100");
    }

    @Test
    void rule8_aValueLivesNoLongerThanItsServerTtlAndOtherTypesAreNotCached() throws InterruptedException {
        LocalStore<String, String> withTtl = store(true);
        tracked();
        List<String> keys = List.of("short", "forever", "absent", "hash", "gone");
        LocalStore.Sent sent = withTtl.beforeSend(node, connection, keys);
        withTtl.onReply(sent, keys, java.util.Arrays.asList("s", "f", null, null, "g"),
                new long[] {30, -1, -2, -1, -2}, null);
        assertEquals("s", withTtl.get("short"));
        assertEquals("f", withTtl.get("forever"));
        assertNull(withTtl.get("absent"), "an absent key is cached as absent");
        assertSame(LocalStore.MISS, withTtl.get("hash"), "a key that exists but MGET read nil is another type");
        assertSame(LocalStore.MISS, withTtl.get("gone"), "expired between the MGET and its PTTL");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (withTtl.get("short") != LocalStore.MISS && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertSame(LocalStore.MISS, withTtl.get("short"), "past its 30 ms TTL");
        assertEquals("f", withTtl.get("forever"));
        LocalStore.Sent noTtls = withTtl.beforeSend(node, connection, List.of("x"));
        withTtl.onReply(noTtls, List.of("x"), List.of("v"), null, null);
        assertSame(LocalStore.MISS, withTtl.get("x"), "with the server TTL on, a reply without TTLs is not stored");
    }

    /**
     * Random interleavings of reads, writes by another client, invalidations and replies (delivered in any order,
     * as they travel on different sockets) and flushes, against a model of Redis: a read is tracked when Redis
     * executes it; a write to a tracked key sends one invalidation and untracks it. Once everything is delivered,
     * every value held locally must equal the model's.
     */
    @Test
    void randomInterleavingsNeverLeaveAStaleValue() {
        tracked();
        Random random = new Random(42);
        for (int run = 0; run < 500; run++) {
            LocalStore<String, String> s = store(false);
            Map<String, String> redis = new HashMap<>();
            Set<String> trackedKeys = new HashSet<>();
            List<Object[]> sentNotExecuted = new ArrayList<>(); // {context, key}
            List<Object[]> executedNotReplied = new ArrayList<>(); // {context, key, value}
            ArrayDeque<String> invalidations = new ArrayDeque<>();
            String[] keys = {"a", "b", "c"};
            for (int step = 0; step < 60; step++) {
                String key = keys[random.nextInt(keys.length)];
                switch (random.nextInt(6)) {
                    case 0 -> sentNotExecuted.add(new Object[] {s.beforeSend(node, connection, List.of(key)), key});
                    case 1 -> { // Redis executes a read: the key is tracked from now on
                        if (!sentNotExecuted.isEmpty()) {
                            Object[] read = sentNotExecuted.remove(random.nextInt(sentNotExecuted.size()));
                            trackedKeys.add((String) read[1]);
                            executedNotReplied.add(new Object[] {read[0], read[1], redis.get((String) read[1])});
                        }
                    }
                    case 2 -> { // another client writes
                        redis.put(key, "v" + step);
                        if (trackedKeys.remove(key)) {
                            invalidations.add(key);
                        }
                    }
                    case 3 -> {
                        if (!invalidations.isEmpty()) {
                            s.invalidated(List.of(invalidations.poll()));
                        }
                    }
                    case 4 -> {
                        if (!executedNotReplied.isEmpty()) {
                            Object[] r = executedNotReplied.remove(random.nextInt(executedNotReplied.size()));
                            s.onReply((LocalStore.Sent) r[0], List.of((String) r[1]), java.util.Collections.singletonList((String) r[2]),
                                    null, null);
                        }
                    }
                    default -> {
                        if (random.nextInt(10) == 0) {
                            s.flush(FlushReason.FLUSH_COMMAND);
                        }
                    }
                }
            }
            for (Object[] read : sentNotExecuted) {
                trackedKeys.add((String) read[1]);
                executedNotReplied.add(new Object[] {read[0], read[1], redis.get((String) read[1])});
            }
            while (!invalidations.isEmpty()) {
                s.invalidated(List.of(invalidations.poll()));
            }
            for (Object[] r : executedNotReplied) {
                s.onReply((LocalStore.Sent) r[0], List.of((String) r[1]), java.util.Collections.singletonList((String) r[2]), null, null);
            }
            for (String key : keys) {
                Object local = s.get(key);
                if (local != LocalStore.MISS) {
                    assertEquals(redis.get(key), local, "run " + run + ": key " + key + " is stale");
                }
            }
        }
    }
}
