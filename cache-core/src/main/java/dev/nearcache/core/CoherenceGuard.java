package dev.nearcache.core;

import dev.nearcache.loader.spi.DataConnection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Decides whether a value read from Redis may enter the local cache: rules 1 (only a tracked read, same epoch) and 2
 * (a token per key in flight, compared by identity) of docs/DESIGN.md, argued there; in a cluster also rule 10's
 * owner check (a batch stores nothing unless its node still serves the slot, {@link Node}'s {@code serves}).
 * {@link LocalStore} calls it where rules 3 (flush) and 6 (own writes) act. Thread-safe.
 */
final class CoherenceGuard {
    /** A batch's permission to store: the epoch it was sent in, and its tokens, or none if it was not tracked. */
    static final class Ticket {
        final long epoch;
        final Object[] tokens;

        Ticket(long epoch, Object[] tokens) {
            this.epoch = epoch;
            this.tokens = tokens;
        }

        boolean tracked() {
            return tokens != null;
        }
    }

    /**
     * Rule 1's state for one Redis node: the client id of the node's invalidation connection (the redirect target,
     * or -1 while it is down) and, per data connection to the node, the tracking confirmed on it. Client ids are
     * per node, so in a cluster each master has its own; a standalone cache has one.
     */
    static final class Node {
        /**
         * Tracking confirmed on one data connection: for which generation of it and which redirect id. A flush does
         * not undo it (FLUSHALL or another connection's loss leave this connection's tracking on), a reconnect (new
         * generation) or a new redirect id does.
         */
        private record Confirmed(long generation, long redirectId) {
        }

        private volatile long redirectId = -1;
        private final AtomicReferenceArray<Confirmed> confirmed;
        private final Predicate<Object> serves;

        /**
         * @param serves whether the node serves a key now: always for a standalone server; in a cluster, whether
         *               the key's slot belongs to this node in the routing table and is not being migrated
         */
        Node(int connections, Predicate<Object> serves) {
            this.confirmed = new AtomicReferenceArray<>(connections);
            this.serves = serves;
        }

        long redirectId() {
            return redirectId;
        }

        /** The node's invalidation connection is ready under {@code id}, or down ({@code -1}). Callers flush too. */
        void redirectTo(long id) {
            redirectId = id;
        }

        /** A data connection was lost: its tracking is gone. Callers flush too. */
        void trackingLost(int connection) {
            confirmed.set(connection, null);
        }

        /** The {@code CLIENT TRACKING ON REDIRECT id} sent on this generation of the connection succeeded. */
        void trackingConfirmed(DataConnection<?, ?> connection, long generation, long id) {
            // only if the connection and the redirect target are still the ones the command was sent for
            if (connection.generation() == generation && redirectId == id) {
                confirmed.set(connection.index(), new Confirmed(generation, id));
            }
        }

        /** Whether reads on every one of {@code connections} are tracked now (for logs and health only). */
        boolean allTracked(List<? extends DataConnection<?, ?>> connections) {
            for (DataConnection<?, ?> connection : connections) {
                if (!tracked(connection)) {
                    return false;
                }
            }
            return true;
        }

        /** Rule 1: whether a read written now on {@code connection} is tracked, redirecting to our listener. */
        boolean tracked(DataConnection<?, ?> connection) {
            long id = redirectId;
            Confirmed c = confirmed.get(connection.index());
            return id >= 0 && c != null && c.generation == connection.generation() && c.redirectId == id
                    && connection.isOpen();
        }
    }

    private final AtomicLong epoch = new AtomicLong();
    private final ConcurrentHashMap<Object, Object> tokens = new ConcurrentHashMap<>();
    private final Function<Object, Object> idOf;

    CoherenceGuard(Function<Object, Object> idOf) {
        this.idOf = idOf;
    }

    long epoch() {
        return epoch.get();
    }

    /**
     * Rule 3: everything cached may be stale. Bumps the epoch and kills every token; the caller empties the cache (or,
     * with stale-if-error, marks it unverified). Returns the epoch that ended.
     */
    long flush() {
        long ended = epoch.getAndIncrement();
        tokens.clear();
        return ended;
    }

    /** Rules 1 and 2, at send time: the batch's ticket. Untracked batches get no tokens and will store nothing. */
    Ticket beforeSend(Node node, DataConnection<?, ?> connection, List<?> keys) {
        long now = epoch.get();
        // Rule 1: never cache what is not tracked, or what is tracked on a node that no longer gets the key's
        // writes. The owner is checked after the epoch is read: a routing change swaps its table before it
        // flushes, so a batch that still sees the old owner here was sent before the flush and stores nothing.
        // (In a cluster the keys of one MGET share a slot, so the first key speaks for all.)
        if (!node.tracked(connection) || !node.serves.test(keys.get(0))) {
            return new Ticket(now, null);
        }
        // Rule 2: a placeholder per in-flight key, registered before the read is written
        Object[] mine = new Object[keys.size()];
        for (int i = 0; i < mine.length; i++) {
            mine[i] = new Object();
            tokens.put(idOf.apply(keys.get(i)), mine[i]);
        }
        return new Ticket(now, mine);
    }

    /**
     * Called inside the cache's compute for key {@code id}: whether the batch's value for its {@code index}-th key
     * may be stored. Consumes the token either way.
     */
    boolean mayStore(Ticket ticket, int index, Object id) {
        return ticket.tracked() && tokens.remove(id, ticket.tokens[index]) && epoch.get() == ticket.epoch;
    }

    /** Releases a key's token without storing (failed batch, value not cacheable). */
    void release(Ticket ticket, int index, Object id) {
        if (ticket.tracked()) {
            tokens.remove(id, ticket.tokens[index]);
        }
    }

    /** Rule 2: an invalidation (or an own write, rule 6) kills the key's token; call inside the cache's compute. */
    void invalidate(Object id) {
        tokens.remove(id);
    }
}
