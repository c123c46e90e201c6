package dev.nearcache.loader.spi;

/**
 * Told when a data connection becomes active and when it is lost.
 *
 * <p>Both methods run on the connection's Netty I/O thread, inline with Lettuce's own handling, and must not
 * block. {@link #activated(DataConnection)} runs before Lettuce replays the commands it buffered while the
 * connection was down, so a command sent from it (for example {@code CLIENT TRACKING ON REDIRECT <id>}) reaches
 * the server before any replayed read. An exception thrown by a listener is logged and does not stop the others.
 */
public interface DataConnectionListener<K, V> {

    /** The connection is connected: on the first connect and after every reconnect. */
    default void activated(DataConnection<K, V> connection) {
    }

    /**
     * The connection was lost. The batch it had in flight, if any, has been or is being failed; the connection
     * reconnects by itself (and server-side state such as client tracking is gone).
     */
    default void deactivated(DataConnection<K, V> connection) {
    }
}
