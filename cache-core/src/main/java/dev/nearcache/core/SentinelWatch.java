package dev.nearcache.core;

import dev.nearcache.internal.RedisUris;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to every sentinel of a {@code redis-sentinel://} URI for {@code +switch-master} of the cache's master, and
 * calls {@code switched} when one announces it: the moment the sentinels promote a replica, while the old master may
 * still answer (it keeps accepting reads, and writes of clients that have not switched, until the sentinels turn it
 * into a replica, seconds later). Each sentinel's connection reconnects and subscribes again by itself (Lettuce); a
 * sentinel that cannot be reached at start is logged and left out, since any one of them announces the switch.
 * Thread-safe; {@code switched} runs on a Lettuce I/O thread and must not block.
 */
final class SentinelWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SentinelWatch.class);
    static final String CHANNEL = "+switch-master";

    private final RedisClient client;
    private final List<StatefulRedisPubSubConnection<String, String>> connections = new ArrayList<>();

    /**
     * @param switched called with the new master's {@code host:port} on each announcement (every sentinel announces
     *                 a switch: callers see it up to once per sentinel)
     */
    SentinelWatch(RedisURI uri, ClientResources resources, NearCacheSettings<?, ?> settings,
                  java.util.function.Consumer<String> switched) {
        String master = uri.getSentinelMasterId();
        this.client = RedisClient.create(resources);
        client.setOptions(settings.clientOptions(ClientOptions.builder()).build());
        for (RedisURI sentinel : uri.getSentinels()) {
            RedisURI node = RedisUris.copyOf(sentinel).withClientName(settings.clientName("sentinel-watch"))
                    .withTimeout(settings.handshakeTimeout()).build();
            try {
                StatefulRedisPubSubConnection<String, String> connection = client.connectPubSub(StringCodec.UTF8,
                        node);
                connection.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(String channel, String message) {
                        // "<master name> <old ip> <old port> <new ip> <new port>"
                        String[] parts = message.split(" ");
                        if (CHANNEL.equals(channel) && parts.length == 5 && parts[0].equals(master)) {
                            switched.accept(parts[3] + ":" + parts[4]);
                        }
                    }
                });
                connection.sync().subscribe(CHANNEL);
                connections.add(connection);
            } catch (RuntimeException e) {
                log.warn("could not watch sentinel {}:{} for failovers of {} ({}); the others are watched",
                        sentinel.getHost(), sentinel.getPort(), master, e.getMessage());
            }
        }
        if (connections.isEmpty()) {
            log.warn("no sentinel of {} could be watched: a failover is seen only when the old master's connections"
                    + " drop", master);
        }
    }

    @Override
    public void close() {
        connections.forEach(StatefulRedisPubSubConnection::close);
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
