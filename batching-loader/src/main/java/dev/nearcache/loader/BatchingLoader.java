package dev.nearcache.loader;

import dev.nearcache.loader.spi.DataConnection;
import dev.nearcache.loader.spi.DataConnectionListener;
import io.lettuce.core.codec.StringCodec;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reads keys from Redis, coalescing concurrent requests from all threads into MGETs.
 *
 * <p><b>Batching.</b> Writes run on a data connection's I/O thread. A key requested while no write is due goes out
 * at once; keys requested while that thread is busy (writing, reading replies) wait for its next write and go out
 * together, up to {@link BatchingLoaderBuilder#maxBatchSize(int)} per MGET ("smart batching"). Writes do not wait
 * for replies: a connection has any number of MGETs in flight, pipelined, and each write goes to the connection
 * with the fewest keys in flight. There is no timer: at low load a lone key is sent at once, and under load batches
 * grow by themselves.
 *
 * <p><b>Single flight.</b> Concurrent loads of one key share one request and one result, until the reply arrives
 * or {@link #detach(Object)} is called for the key.
 *
 * <p><b>Failures.</b> A failed MGET fails the future of every key in its batch with the cause, except a failure
 * that one key can cause alone (a key outside the user's ACL key patterns, {@code NOPERM}; a value the codec cannot
 * decode): then each key is read again on its own, and only the bad key's futures fail. A batch whose reply does not
 * arrive within the command timeout fails with {@link io.lettuce.core.RedisCommandTimeoutException}, and its
 * connection, presumed broken, is dropped and reconnects; a batch whose connection is lost fails with
 * {@link io.lettuce.core.RedisConnectionException}; no future waits longer than the command timeout once its batch
 * is sent. When more keys wait than
 * {@link BatchingLoaderBuilder#maxPendingKeys(int)} allows (waiting or in flight), new loads fail at once with
 * {@link java.util.concurrent.RejectedExecutionException}. After {@link #close()} every pending and new load fails
 * with {@link IllegalStateException}.
 *
 * <p><b>Threads.</b> All methods are thread-safe. Futures complete on a Netty I/O thread: dependent stages must
 * not block there (use the {@code *Async} variants to move work elsewhere).
 *
 * @param <K> key type
 * @param <V> value type
 */
public interface BatchingLoader<K, V> extends AutoCloseable {

    /**
     * The script that {@link BatchingLoaderBuilder#readTtls(boolean)} runs behind each MGET: it returns the
     * {@code PTTL} of every key it is given, in order, the first key declared ({@code KEYS[1]}) and the others as
     * arguments ({@code ARGV}); a batch of more than 128 keys runs it once per 128 (see
     * {@code MgetBatchingLoader.TTL_SCRIPT_KEYS}). A script instead of a {@code PTTL} per key, which measured 3 to 4
     * times the client CPU per key. A script without flags runs on Redis 6.2 and 7.x alike and, reading only, is never refused for
     * memory. It needs not be atomic with the MGET before it: that MGET made every key tracked, so a change in between
     * is invalidated like any other.
     *
     * <p>Only one key is declared because before Redis 7.2 a tracking client's script remembers every declared key
     * again for each {@code redis.call} it makes: N declared keys cost Redis N&sup2; (measured on 7.0: 512 keys
     * 11.5 ms, during which Redis serves no one), one declared key and N arguments cost N (512 keys 0.37 ms). The
     * first key still routes the script (a batch's keys share one hash slot on a cluster) and is checked against the
     * user's key patterns by {@code EVAL} itself; every other key is checked by its {@code PTTL}.
     */
    String PTTL_SCRIPT = "local t = {redis.call('PTTL', KEYS[1])} "
            + "for i = 1, #ARGV do t[i + 1] = redis.call('PTTL', ARGV[i]) end return t";

    /** A builder for a loader of UTF-8 string keys and values; {@link BatchingLoaderBuilder#codec} changes that. */
    static BatchingLoaderBuilder<String, String> builder() {
        return new BatchingLoaderBuilder<>(StringCodec.UTF8);
    }

    /**
     * Loads one key.
     *
     * @return a future of the value, or of null if the key does not exist
     * @throws NullPointerException if {@code key} is null
     */
    CompletableFuture<V> load(K key);

    /**
     * Loads several keys, in as few batches as the maximum batch size allows. Duplicates are loaded once.
     *
     * @return a future of a map from every distinct requested key to its value, or to null if it does not exist;
     *         it fails if any key's batch fails
     * @throws NullPointerException if {@code keys} or any key in it is null
     */
    CompletableFuture<Map<K, V>> loadAll(Collection<? extends K> keys);

    /**
     * Loads one key and waits for it.
     *
     * @return the value, or null if the key does not exist
     * @throws io.lettuce.core.RedisException (or a subclass) if the batch failed or timed out
     */
    V get(K key);

    /**
     * Loads several keys and waits for them.
     *
     * @return a map from every distinct key to its value or null
     * @throws io.lettuce.core.RedisException (or a subclass) if a batch failed or timed out
     */
    Map<K, V> getAll(Collection<? extends K> keys);

    /**
     * Makes later loads of {@code key} send a request of their own instead of joining one already written to
     * Redis. Call it when the key was written or invalidated: a read sent before the write could return the old
     * value. A load still queued (not yet sent) keeps collecting callers, since it will read after the write.
     */
    void detach(K key);

    /** The data connections, in index order. */
    java.util.List<DataConnection<K, V>> connections();

    /** The number of keys waiting to be sent now. */
    int pendingKeys();

    /**
     * Fails every pending load with {@link IllegalStateException}, closes the data connections and, unless client
     * resources were given to the builder, releases Lettuce's threads. Idempotent.
     */
    @Override
    void close();
}
