package dev.nearcache.core;

import dev.nearcache.loader.BatchingLoaderBuilder;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.List;

/**
 * Every setting of one cache, validated once by {@link NearCacheBuilder#build()} and frozen: the runtime classes take
 * this, never the builder, and values derived from several settings (the connect timeout, the client options every
 * connection shares) are computed here and nowhere else. Immutable, so thread-safe.
 *
 * @param redisUris      the servers, TLS verification already applied ({@code verifyPeer=NONE} only when meant)
 * @param maximumSize    entries kept locally, or -1 when bounded by {@code maximumWeight}
 * @param maximumWeight  bytes kept locally, or -1 when bounded by {@code maximumSize}
 * @param localTtl       the local entries' time to live, or null
 * @param connectTimeout how long connecting may take (given, or five command timeouts within 1 s to 10 s)
 * @param clientName     what every connection's name begins with ({@code nearcache} or {@code <app>:nearcache})
 * @param heartbeatTimeout the effective timeout (two intervals unless set)
 * @param readThroughTtl the TTL of read-through writes, or null
 * @param sslOptions     the TLS options (CA, client certificate), or null for Lettuce's defaults
 * @param endpoint       host:port or {@code cluster[host:port,...]}, for messages; never credentials
 * @param clientResources Lettuce resources owned by the application, or null for the cache's own
 * @param verifyRate     values the coherence canary checks a second (0: off)
 * @param verifyFlushThreshold mismatches after which the canary flushes everything
 * @param staleIfError   how long after losing coherence a value may still answer a read Redis cannot, or null
 * @param cachedPrefixes the only key prefixes tracked and kept (OPTIN tracking), or empty for every key
 * @param trackingMode   where invalidations are sent (AUTO: decided per node on connecting)
 * @param broadcast      BCAST tracking of the cached prefixes instead of OPTIN
 */
record NearCacheSettings<K, V>(RedisCodec<K, V> codec, List<RedisURI> redisUris, boolean cluster,
                               Duration topologyRefreshPeriod, long maximumSize, long maximumWeight,
                               Duration localTtl, int maxValueBytes, boolean negativeCaching, boolean serverTtl,
                               boolean failFastWhenDisconnected, int batchSize, int connections,
                               Duration commandTimeout, Duration connectTimeout, String clientName,
                               Duration heartbeatInterval, Duration heartbeatTimeout,
                               Duration reconnectDebounce, Duration readThroughTtl, SslOptions sslOptions,
                               String endpoint, ClientResources clientResources, int verifyRate,
                               int verifyFlushThreshold, Duration staleIfError, List<String> cachedPrefixes,
                               TrackingMode trackingMode, boolean broadcast) {

    NearCacheSettings {
        redisUris = List.copyOf(redisUris);
        cachedPrefixes = List.copyOf(cachedPrefixes);
    }

    /** Which keys are tracked and kept (opt-in caching), or null when every key is. */
    KeyPrefixes<K> cachedKeys() {
        return cachedPrefixes.isEmpty() ? null : new KeyPrefixes<>(codec, cachedPrefixes);
    }

    /** Whether the server is a master found through Redis Sentinel. */
    boolean sentinel() {
        return !cluster && RedisUris.isSentinel(redisUris.get(0));
    }

    /** Whether the local cache is bounded by bytes (a weigher) rather than by a count of entries. */
    boolean weighed() {
        return maximumWeight >= 0;
    }

    /** The name of a connection with this role in {@code CLIENT LIST}, e.g. {@code orders:nearcache-writer}. */
    String clientName(String role) {
        return clientName + "-" + role;
    }

    /** How long a connection's handshake may take: a command timeout, at least 1 s (rule 9). */
    Duration handshakeTimeout() {
        return BatchingLoaderBuilder.handshakeTimeout(commandTimeout, connectTimeout());
    }

    /** How long one look at a cluster node's topology may take. */
    Duration topologyCheckTimeout() {
        return commandTimeout.multipliedBy(2);
    }

    /** The options every client shares: socket options, TLS, behaviour while disconnected. */
    <B extends ClientOptions.Builder> B clientOptions(B options) {
        options.socketOptions(SocketSettings.options(connectTimeout())).disconnectedBehavior(
                failFastWhenDisconnected ? ClientOptions.DisconnectedBehavior.REJECT_COMMANDS
                        : ClientOptions.DisconnectedBehavior.DEFAULT);
        if (sslOptions != null) {
            options.sslOptions(sslOptions);
        }
        return options;
    }

    /** host:port, {@code cluster[host:port,...]} or {@code master <name> (through Sentinel ...)}; never credentials. */
    static String endpointOf(List<RedisURI> uris, boolean cluster) {
        StringBuilder b = new StringBuilder(cluster ? "cluster[" : "");
        for (int i = 0; i < uris.size(); i++) {
            b.append(i > 0 ? "," : "").append(RedisUris.describe(uris.get(i)));
        }
        return b.append(cluster ? "]" : "").toString();
    }
}
