package dev.nearcache.loader.spi;

import io.lettuce.core.api.StatefulRedisConnection;

/**
 * One of the loader's data connections, as its {@link DataConnectionListener}s and {@link BatchObserver}s see it.
 *
 * <p>Thread-safe. The same instance stays with a connection across its reconnects; {@link #generation()} tells
 * the activations apart.
 */
public interface DataConnection<K, V> {

    /** The connection's position among the loader's connections, from 0. */
    int index();

    /**
     * How many times the connection has been activated: 1 after the first connect, one more after each reconnect.
     * A batch sent in one generation whose reply is read in another could not have been answered; comparing
     * generations tells a listener whether a connection was replaced between two events.
     */
    long generation();

    /**
     * The protocol the server agreed to on the current (or last) connection: RESP3 only then do its own
     * {@code CLIENT TRACKING ON} invalidations arrive on it, as push messages. Null before the first connect.
     */
    io.lettuce.core.protocol.ProtocolVersion protocolVersion();

    /** Whether the connection is connected now. */
    boolean isOpen();

    /**
     * Drops the connection's socket so that it reconnects (the loader's listeners see {@code deactivated}, then
     * {@code activated} on the new socket). For a connection presumed broken, such as one whose command timed out or
     * whose set-up command failed: a half-open TCP connection never closes by itself, and Lettuce reconnects only
     * when the socket closes. Does nothing while the connection is down or closed.
     */
    void reconnect();

    /**
     * The Lettuce connection, to send commands of one's own on it (such as {@code CLIENT TRACKING}). Commands sent
     * from {@link DataConnectionListener#activated(DataConnection)} are written before any command Lettuce replays
     * after a reconnect.
     */
    StatefulRedisConnection<K, V> commands();
}
