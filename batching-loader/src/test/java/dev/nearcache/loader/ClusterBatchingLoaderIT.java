package dev.nearcache.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nearcache.testkit.ClusterNode;
import dev.nearcache.testkit.RedisCluster;
import dev.nearcache.testkit.RedisExtension;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The loader against one node of a real Redis Cluster: one MGET per hash slot, and redirections per slot. */
class ClusterBatchingLoaderIT {

    @RegisterExtension
    static final RedisExtension redis = RedisExtension.cluster(2, 0);

    /** Keys named {@code prefix<i>} whose slots {@code node} serves (or does not, with {@code served} false). */
    private static List<String> keys(ClusterNode node, String prefix, int count, boolean served) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < count; i++) {
            String key = prefix + i;
            if (node.serves(SlotHash.getSlot(key)) == served) {
                keys.add(key);
            }
        }
        return keys;
    }

    @Test
    void splitsEachBatchBySlotAndFailsOnlyTheKeysOfSlotsTheNodeDoesNotServe() {
        RedisCluster cluster = redis.cluster();
        ClusterNode node = cluster.masters().get(0);
        List<String> here = keys(node, "here:", 50, true);
        List<String> elsewhere = keys(node, "elsewhere:", 5, false);
        for (String key : here) {
            node.server().orElseThrow().command(Duration.ofSeconds(2), "SET", key, "v-" + key);
        }
        BatchRecorder recorder = new BatchRecorder();
        try (BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(node.uri()).connections(1)
                .groupBySlot(true).observer(recorder).build()) {
            Map<String, String> expected = new LinkedHashMap<>();
            for (String key : here) {
                expected.put(key, "v-" + key);
            }
            assertEquals(expected, loader.getAll(here));
            for (List<String> mget : recorder.batches) {
                Set<Integer> slots = new HashSet<>();
                mget.forEach(k -> slots.add(SlotHash.getSlot(k)));
                assertEquals(1, slots.size(), "one slot per MGET: " + mget);
            }

            // a batch mixing served and foreign slots: the foreign keys fail with the node's MOVED, the rest load
            List<CompletableFuture<String>> served = new ArrayList<>();
            List<CompletableFuture<String>> foreign = new ArrayList<>();
            here.subList(0, 10).forEach(k -> served.add(loader.load(k)));
            elsewhere.forEach(k -> foreign.add(loader.load(k)));
            for (int i = 0; i < served.size(); i++) {
                assertEquals("v-" + here.get(i), served.get(i).join());
            }
            for (CompletableFuture<String> future : foreign) {
                CompletionException e = assertThrows(CompletionException.class, future::join);
                assertInstanceOf(RedisCommandExecutionException.class, e.getCause());
                assertTrue(e.getCause().getMessage().startsWith("MOVED "), e.getCause().getMessage());
            }
        }
    }

    @Test
    void withoutGroupingAMultiSlotBatchFailsWithCrossslot() {
        ClusterNode node = redis.cluster().masters().get(0);
        List<String> here = keys(node, "cross:", 20, true);
        try (BatchingLoader<String, String> loader = BatchingLoader.builder().redisUri(node.uri()).connections(1)
                .build()) {
            CompletionException e = assertThrows(CompletionException.class, () -> loader.loadAll(here).join());
            assertTrue(e.getCause().getMessage().startsWith("CROSSSLOT"), e.getCause().getMessage());
        }
    }
}
