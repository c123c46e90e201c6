package dev.nearcache.loader.spi;

import java.util.List;

/**
 * Sees every MGET just before it is written and when its reply arrives (a batch is one MGET, or one per hash slot
 * with the loader builder's {@code groupBySlot(true)}): the hooks a near cache needs to decide
 * whether the values it reads may be stored (a tracking epoch taken before the send, per-key tokens registered
 * before the send and checked at the reply).
 *
 * <p>Thread-safety: {@link #beforeSend} runs on the thread that sends the batch (a caller's, or a Netty I/O
 * thread when a batch is sent as the previous reply arrives); {@link #onReply} runs on the connection's Netty I/O
 * thread. Neither may block. Calls for different batches may be concurrent. An exception thrown from
 * {@code beforeSend} fails the batch; one from {@code onReply} is logged and the callers still get their values.
 *
 * @param <K> key type
 * @param <V> value type
 * @param <C> the context a batch carries from {@link #beforeSend} to {@link #onReply}
 */
public interface BatchObserver<K, V, C> {

    /**
     * Called before the batch's MGET is handed to the connection; nothing of the batch has been written yet.
     *
     * @param connection the connection the batch goes out on
     * @param keys       the batch's keys, distinct, in the order sent; do not modify
     * @return a context handed back to {@link #onReply} for this batch (may be null)
     */
    C beforeSend(DataConnection<K, V> connection, List<K> keys);

    /**
     * Called when the batch's reply arrived, or it failed, before any caller's future completes.
     *
     * @param context the value {@link #beforeSend} returned
     * @param keys    the batch's keys, as passed to {@code beforeSend}
     * @param values  the values in key order, null for absent keys; null if the batch failed
     * @param ttls    with the builder's {@code readTtls(true)}, each key's {@code PTTL} in key order, read
     *                right after the values on the same connection: the remaining time to live in milliseconds,
     *                {@code -1} for a key without one, {@code -2} for a key that no longer exists; null if TTLs are
     *                not read or the batch failed
     * @param failure why the batch failed, or null
     */
    void onReply(C context, List<K> keys, List<V> values, long[] ttls, Throwable failure);

    /**
     * Called instead of {@link #onReply} when the batch failed for a reason that may belong to one of its keys alone
     * (a key outside the user's ACL patterns, a value the codec cannot decode): each key is read again in a batch of
     * its own, each seen by {@link #beforeSend} and {@link #onReply} like any other, and the callers hear from those.
     * So this batch's keys did not fail yet: release what {@code beforeSend} took for them, but do not count them as
     * failed. The default calls {@code onReply} with the failure.
     *
     * @param context the value {@link #beforeSend} returned
     * @param keys    the batch's keys, as passed to {@code beforeSend}
     * @param failure why the batch failed
     */
    default void onRetry(C context, List<K> keys, Throwable failure) {
        onReply(context, keys, null, null, failure);
    }
}
