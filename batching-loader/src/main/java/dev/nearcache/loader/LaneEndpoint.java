package dev.nearcache.loader;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.protocol.DefaultEndpoint;
import io.lettuce.core.resource.ClientResources;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;

/**
 * Lettuce's endpoint of a data connection, telling which I/O thread serves its channel: the loader runs its writes
 * there, so that the keys which arrive while that thread is busy go out together in its next write (smart batching).
 */
final class LaneEndpoint extends DefaultEndpoint {
    LaneEndpoint(ClientOptions options, ClientResources resources) {
        super(options, resources);
    }

    /** The I/O thread of the current or last channel; null before the first connect and while disconnected. */
    EventExecutor eventLoop() {
        Channel current = channel;
        return current == null ? null : current.eventLoop();
    }
}
