package dev.nearcache.invalidation;

import java.util.List;

/**
 * Receives what an {@link InvalidationListener} learns. A near cache evicts on {@link #invalidated}, and flushes
 * everything on {@link #flushed} and {@link #lost}: after either, invalidations may have been missed.
 *
 * <p>Calls to one handler are never concurrent and arrive in the order the listener learned of them, on the
 * listener's own event thread; with the builder's {@code invalidationsOnIoThread(true)}, {@link #invalidated} runs
 * on the connection's I/O thread instead, in order, possibly concurrently with the other methods. A handler should
 * return quickly; one that throws is logged and the others still get the event.
 *
 * @param <K> key type
 */
public interface InvalidationHandler<K> {

    /** Redis reports that these keys were modified, expired, evicted or deleted. */
    default void invalidated(List<K> keys) {
    }

    /**
     * Redis sent an invalidation without keys: {@code FLUSHALL} or {@code FLUSHDB} ran, and every tracked key is
     * gone.
     */
    default void flushed(String reason) {
    }

    /**
     * The connection was lost or its heartbeat timed out: invalidations may have been missed, and the redirect to
     * the old client id no longer works. The listener reconnects by itself and calls {@link #ready(long)} then.
     */
    default void lost(String reason) {
    }

    /**
     * The connection is (again) able to receive invalidations, under client id {@code clientId}: data connections
     * must now enable tracking with {@code CLIENT TRACKING ON REDIRECT clientId}. Called once per connection.
     */
    default void ready(long clientId) {
    }

    /**
     * {@link #ready(long)} with the {@code run_id} of the server the connection is on, if the listener was built with
     * {@code readServerRunId(true)} (else null). The listener calls this one; by default it calls
     * {@link #ready(long)}.
     */
    default void ready(long clientId, String serverRunId) {
        ready(clientId);
    }
}
