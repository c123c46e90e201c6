package dev.nearcache.loader;

import dev.nearcache.loader.spi.DataConnection;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.StatefulRedisConnectionImpl;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.json.JsonParser;
import io.lettuce.core.protocol.DefaultEndpoint;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A Lettuce connection that reports its activation and loss to the loader.
 *
 * <p>Why a subclass and not a {@code RedisConnectionStateListener}: Lettuce calls {@link #activated()} while the
 * endpoint is "in activation", after the handshake and before it flushes the commands it buffered while
 * disconnected; commands written from here go to the socket first. A connection-state listener fires after that
 * flush, too late to re-enable client tracking ahead of replayed reads (DESIGN.md rule 4, verified against
 * Lettuce's {@code DefaultEndpoint.notifyChannelActive}).
 */
final class HookedConnection<K, V> extends StatefulRedisConnectionImpl<K, V> implements DataConnection<K, V> {

    /** Receives the connection's events; implemented by the loader. */
    interface Events<K, V> {
        void activated(HookedConnection<K, V> connection);

        void deactivated(HookedConnection<K, V> connection);
    }

    private final int index;
    private final Events<K, V> events;
    private final DefaultEndpoint endpoint;
    private final AtomicLong generation = new AtomicLong();
    /** The I/O thread of the current or last channel, seen from {@link #activated()}, which runs on it. */
    private volatile EventExecutor eventLoop;

    HookedConnection(int index, Events<K, V> events, RedisChannelWriter writer,
                     DefaultEndpoint endpoint, RedisCodec<K, V> codec, Duration timeout,
                     Supplier<JsonParser> parser) {
        super(writer, endpoint, codec, timeout, parser);
        this.index = index;
        this.events = events;
        this.endpoint = endpoint;
    }

    /** The I/O thread its writes run on (null before the first connect). */
    EventExecutor eventLoop() {
        return eventLoop;
    }

    /**
     * Lettuce calls this from {@code DefaultEndpoint.notifyChannelActive}, on the new channel's I/O thread: that is
     * where the loader runs this connection's writes (smart batching). Read from Netty's thread-to-executor map, so
     * it needs no hook into how Lettuce builds its endpoint (which Lettuce 6 does not offer).
     */
    @Override
    public void activated() {
        EventExecutor current = ThreadExecutorMap.currentExecutor();
        if (current != null) {
            eventLoop = current;
        }
        super.activated();
        generation.incrementAndGet();
        events.activated(this);
    }

    @Override
    public void deactivated() {
        // Lettuce also reports the end of reconnect attempts that never completed their handshake; only the loss
        // of a connection that was active is an event
        if (isOpen()) {
            events.deactivated(this);
        }
        super.deactivated();
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public long generation() {
        return generation.get();
    }

    @Override
    public io.lettuce.core.protocol.ProtocolVersion protocolVersion() {
        return getConnectionState().getNegotiatedProtocolVersion();
    }

    @Override
    public void reconnect() {
        endpoint.disconnect(); // closes the channel; Lettuce's watchdog reconnects
    }

    @Override
    public StatefulRedisConnection<K, V> commands() {
        return this;
    }

    @Override
    public String toString() {
        return "DataConnection[" + index + " generation " + generation.get() + (isOpen() ? "" : " down") + "]";
    }
}
