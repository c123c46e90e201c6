package dev.nearcache.loader;

import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StatefulRedisConnectionImpl;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.protocol.DefaultEndpoint;
import io.lettuce.core.protocol.PushHandler;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;

/**
 * A {@link RedisClient} whose data connections are {@link HookedConnection}s. Overrides only
 * {@code newStatefulRedisConnection}, which Lettuce 6.x and 7.x both offer.
 */
final class HookedRedisClient extends RedisClient {
    private int nextIndex;
    private HookedConnection.Events<?, ?> nextEvents;

    HookedRedisClient(ClientResources resources, RedisURI uri) {
        super(resources, uri);
    }

    /** Connects data connection {@code index}; its first activation reaches {@code events} before this returns. */
    @SuppressWarnings("unchecked")
    synchronized <K, V> HookedConnection<K, V> connectData(int index, RedisCodec<K, V> codec,
                                                           HookedConnection.Events<K, V> events, RedisURI uri) {
        nextIndex = index;
        nextEvents = events;
        try {
            return (HookedConnection<K, V>) connect(codec, uri);
        } finally {
            nextEvents = null;
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <K, V> StatefulRedisConnectionImpl<K, V> newStatefulRedisConnection(RedisChannelWriter writer,
            PushHandler pushHandler, RedisCodec<K, V> codec, Duration timeout) {
        if (nextEvents == null) {
            return super.newStatefulRedisConnection(writer, pushHandler, codec, timeout);
        }
        return new HookedConnection<>(nextIndex, (HookedConnection.Events<K, V>) nextEvents, writer,
                (DefaultEndpoint) pushHandler, codec, timeout, getOptions().getJsonParser());
    }
}
