package dev.nearcache.core;

import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where the cache's reads and writes go: one node ({@link StandaloneRouting}) or the masters of a Redis Cluster
 * ({@link ClusterRouting}). Reads go through the node shards' batching loaders, so that what they return can be
 * stored under the coherence rules; writes go through a plain Lettuce connection. Thread-safe.
 */
interface Routing<K, V> extends AutoCloseable {

    /** Reads one key; the future fails with the cause (a Lettuce exception) if Redis cannot answer. */
    CompletableFuture<V> load(K key);

    /** Reads several distinct keys; the future fails if any of them cannot be read. */
    CompletableFuture<Map<K, V>> loadAll(Collection<? extends K> keys);

    /** Makes later reads of {@code key} send a request of their own (after a write or an invalidation). */
    void detach(K key);

    /**
     * The connection writes go through: the plain connection of one server, or Lettuce's cluster connection (which
     * follows redirections). Its commands throw Lettuce's exceptions.
     */
    RedisClusterCommands<K, V> writer();

    /**
     * A write of {@code key} on {@link #writer()} timed out: its connection is presumed broken (rule 9) and its socket
     * is dropped so that Lettuce reconnects it. Over a cluster, the connection to the master of the key's slot; with
     * no key (a SCAN of every master), every master's.
     */
    void writeTimedOut(K key);

    /**
     * Completes with true once, on every node, the invalidations of the writes Redis had processed when this was
     * called have been delivered ({@code InvalidationListener.barrier()}); false if any node's listener was not
     * ready or lost its connection first.
     */
    CompletableFuture<Boolean> invalidationBarrier();

    /** Every node's tracking table, combined ({@link ServerTracking#combine}); unknown parts are -1. */
    CompletableFuture<ServerTracking> serverTracking();

    /** Whether every node's invalidation connection is ready (so reads of every key may be cached). */
    boolean invalidationsReady();

    /** The tracking mode in use (never AUTO): the server's, or over a cluster the first master's. */
    TrackingMode trackingMode();

    /** Host and port of the server, or of the cluster's seeds; never credentials. */
    String endpoint();

    @Override
    void close();
}
