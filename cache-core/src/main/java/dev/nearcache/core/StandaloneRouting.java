package dev.nearcache.core;

import dev.nearcache.internal.Connections;
import dev.nearcache.internal.RedisUris;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One Redis server (or the master Redis Sentinel names): one {@link NodeShard} for reads, one connection
 * ({@code nearcache-writer}) for writes.
 */
final class StandaloneRouting<K, V> implements Routing<K, V> {
    private final String endpoint;
    private final NodeShard<K, V> shard;
    private final RedisClient writeClient;
    private final StatefulRedisConnection<K, V> writer;

    StandaloneRouting(LocalStore<K, V> store, NearCacheSettings<K, V> settings, ClientResources resources) {
        RedisURI uri = settings.redisUris().get(0);
        this.endpoint = RedisUris.describe(uri);
        NodeShard<K, V> builtShard = null;
        RedisClient builtClient = null;
        try {
            builtShard = new NodeShard<>(store, settings, uri, resources, false, new NodeShard.Routes() {
                @Override
                public boolean serves(NodeShard<?, ?> shard, Object key) {
                    return true;
                }

                @Override
                public void connectionLost(NodeShard<?, ?> shard) {
                }

                @Override
                public void masterSwitched(NodeShard<?, ?> shard) {
                    if (writer != null) { // (null while the shard is still being built)
                        writeTimedOut(null); // the write connection reconnects to the new master too
                    }
                }
            });
            builtClient = RedisClient.create(resources, RedisUris.copyOf(uri)
                    .withClientName(settings.clientName("writer")).withTimeout(settings.handshakeTimeout()).build());
            builtClient.setOptions(settings.clientOptions(ClientOptions.builder())
                    .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout())).build());
            this.writer = builtClient.connect(settings.codec());
        } catch (RuntimeException e) {
            if (builtShard != null) {
                builtShard.close();
            }
            if (builtClient != null) {
                builtClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            throw e;
        }
        this.shard = builtShard;
        this.writeClient = builtClient;
    }

    @Override
    public CompletableFuture<V> load(K key) {
        return shard.load(key);
    }

    @Override
    public CompletableFuture<Map<K, V>> loadAll(Collection<? extends K> keys) {
        return shard.loader().loadAll(keys);
    }

    @Override
    public void detach(K key) {
        shard.detach(key);
    }

    @Override
    public RedisClusterCommands<K, V> writer() {
        return writer.sync();
    }

    @Override
    public void writeTimedOut(K key) {
        Connections.dropSocket(writer);
    }

    @Override
    public CompletableFuture<ServerTracking> serverTracking() {
        return shard.serverTracking();
    }

    @Override
    public CompletableFuture<Boolean> invalidationBarrier() {
        return shard.invalidationBarrier();
    }

    @Override
    public boolean invalidationsReady() {
        return shard.invalidationsReady();
    }

    @Override
    public TrackingMode trackingMode() {
        return shard.mode();
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        shard.close();
        writer.close();
        writeClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
