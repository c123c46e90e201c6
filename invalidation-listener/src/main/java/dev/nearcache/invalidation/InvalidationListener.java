package dev.nearcache.invalidation;

import io.lettuce.core.codec.StringCodec;
import java.util.OptionalLong;

/**
 * Owns the dedicated connection that Redis sends client-side-caching invalidations to: the target of the data
 * connections' {@code CLIENT TRACKING ON REDIRECT <id>}.
 *
 * <p>It never loses an invalidation silently. Whenever it may have missed one it says so: {@code lost} when the
 * connection closes or its heartbeat (a PING every {@code heartbeatInterval}) is not answered within
 * {@code heartbeatTimeout}, which also catches a half-open link that reports nothing; {@code flushed} when Redis
 * sends an invalidation without keys (FLUSHALL, FLUSHDB). It then reconnects by itself with backoff, never
 * starting attempts closer together than {@code reconnectDebounce} once one has failed or a connection has just
 * dropped, and reports {@code ready} with the new client id once per re-established connection.
 *
 * <p>Over RESP3 (the default) invalidations arrive as {@code invalidate} push messages. Over RESP2 the connection
 * subscribes to {@code __redis__:invalidate}, and every key of a multi-key message is decoded with the key codec.
 *
 * <p>Thread-safe. Handlers run on the listener's single event thread (see {@link InvalidationHandler}).
 *
 * @param <K> key type
 */
public interface InvalidationListener<K> extends AutoCloseable {

    /** A builder for a listener of UTF-8 string keys. */
    static InvalidationListenerBuilder<String> builder() {
        return new InvalidationListenerBuilder<>(StringCodec.UTF8);
    }

    /** The client id of the current connection, while it is ready; empty while it is down or reconnecting. */
    OptionalLong clientId();

    /**
     * Ends the current connection, as a loss ({@code lost} is delivered if it was ready), and connects again: for a
     * client that learned that the server behind the address changed (a Sentinel failover). Does nothing if closed.
     */
    void reconnect();

    /** Whether the connection is up and able to receive invalidations now. */
    boolean isReady();

    /**
     * A barrier behind the invalidations in flight: sends a PING on the current connection and completes with
     * {@code true} once every invalidation Redis wrote to that connection before it answered has been delivered to
     * the handlers (Redis answers in order, and events are delivered in order), so any write Redis had processed when
     * this was called has been reported by then. Completes with {@code false} if the listener is not ready, is closed
     * or loses the connection first (the loss itself is delivered as {@code lost}). Never completes exceptionally;
     * callers bound the wait.
     */
    java.util.concurrent.CompletableFuture<Boolean> barrier();

    /**
     * Adds a handler. If the listener is ready, the handler's first event is {@code ready} with the current id, so
     * it never misses the id in force when it was added.
     */
    void addHandler(InvalidationHandler<K> handler);

    /** Closes the connection and stops the event thread; no event is delivered afterwards. Idempotent. */
    @Override
    void close();
}
