package dev.nearcache.core;

import dev.nearcache.internal.Limits;
import dev.nearcache.internal.Connections;
import dev.nearcache.internal.RedisUris;
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
 * connection shares) are computed here and nowhere else. Made from the builder itself (a new setting is a field
 * here, assigned from the builder's, and its accessor). Immutable, so thread-safe.
 */
final class NearCacheSettings<K, V> {
    private final RedisCodec<K, V> codec;
    private final List<RedisURI> redisUris;
    private final boolean cluster;
    private final Duration topologyRefreshPeriod;
    private final long maximumSize;
    private final long maximumWeight;
    private final Duration localTtl;
    private final int maxValueBytes;
    private final boolean negativeCaching;
    private final boolean serverTtl;
    private final boolean failFastWhenDisconnected;
    private final int batchSize;
    private final int connections;
    private final Duration commandTimeout;
    private final Duration connectTimeout;
    private final String clientName;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private final Duration reconnectDebounce;
    private final Duration readThroughTtl;
    private final SslOptions sslOptions;
    private final String endpoint;
    private final ClientResources clientResources;
    private final int verifyRate;
    private final int verifyFlushThreshold;
    private final Duration staleIfError;
    private final List<String> cachedPrefixes;
    private final TrackingMode trackingMode;
    private final boolean broadcast;

    NearCacheSettings(NearCacheBuilder<K, V> b, List<RedisURI> redisUris, SslOptions sslOptions, String endpoint) {
        this.codec = b.codec;
        this.redisUris = List.copyOf(redisUris);
        this.cluster = b.cluster;
        this.topologyRefreshPeriod = b.topologyRefreshPeriod;
        this.maximumSize = b.maximumWeight >= 0 ? -1
                : b.maximumSize >= 0 ? b.maximumSize : NearCacheBuilder.DEFAULT_MAXIMUM_SIZE;
        this.maximumWeight = b.maximumWeight;
        this.localTtl = b.localTtl;
        this.maxValueBytes = b.maxValueBytes;
        this.negativeCaching = b.negativeCaching;
        this.serverTtl = b.serverTtl;
        this.failFastWhenDisconnected = b.failFastWhenDisconnected;
        this.batchSize = b.batchSize;
        this.connections = b.connections;
        this.commandTimeout = b.commandTimeout;
        this.connectTimeout = b.connectTimeout != null ? b.connectTimeout
                : Limits.defaultConnectTimeout(b.commandTimeout);
        this.clientName = b.clientName == null ? "nearcache" : b.clientName + ":nearcache";
        this.heartbeatInterval = b.heartbeatInterval;
        this.heartbeatTimeout = b.heartbeatTimeout != null ? b.heartbeatTimeout : b.heartbeatInterval.multipliedBy(2);
        this.reconnectDebounce = b.reconnectDebounce;
        this.readThroughTtl = b.readThroughTtl;
        this.sslOptions = sslOptions;
        this.endpoint = endpoint;
        this.clientResources = b.clientResources;
        this.verifyRate = b.verifyRate;
        this.verifyFlushThreshold = b.verifyFlushThreshold;
        this.staleIfError = b.staleIfError;
        this.cachedPrefixes = List.copyOf(b.cachedPrefixes);
        this.trackingMode = b.trackingMode;
        this.broadcast = b.broadcast;
    }

    RedisCodec<K, V> codec() {
        return codec;
    }

    /** The servers, TLS verification already applied ({@code verifyPeer=NONE} only when meant). */
    List<RedisURI> redisUris() {
        return redisUris;
    }

    boolean cluster() {
        return cluster;
    }

    Duration topologyRefreshPeriod() {
        return topologyRefreshPeriod;
    }

    /** Entries kept locally, or -1 when bounded by {@code maximumWeight}. */
    long maximumSize() {
        return maximumSize;
    }

    /** Bytes kept locally, or -1 when bounded by {@code maximumSize}. */
    long maximumWeight() {
        return maximumWeight;
    }

    /** The local entries' time to live, or null. */
    Duration localTtl() {
        return localTtl;
    }

    int maxValueBytes() {
        return maxValueBytes;
    }

    boolean negativeCaching() {
        return negativeCaching;
    }

    boolean serverTtl() {
        return serverTtl;
    }

    boolean failFastWhenDisconnected() {
        return failFastWhenDisconnected;
    }

    int batchSize() {
        return batchSize;
    }

    int connections() {
        return connections;
    }

    Duration commandTimeout() {
        return commandTimeout;
    }

    /** How long connecting may take (given, or five command timeouts within 1 s to 10 s). */
    Duration connectTimeout() {
        return connectTimeout;
    }

    /** What every connection's name begins with ({@code nearcache} or {@code <app>:nearcache}). */
    String clientName() {
        return clientName;
    }

    Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** The effective timeout (two intervals unless set). */
    Duration heartbeatTimeout() {
        return heartbeatTimeout;
    }

    Duration reconnectDebounce() {
        return reconnectDebounce;
    }

    /** The TTL of read-through writes, or null. */
    Duration readThroughTtl() {
        return readThroughTtl;
    }

    /** The TLS options (CA, client certificate), or null for Lettuce's defaults. */
    SslOptions sslOptions() {
        return sslOptions;
    }

    /** Host:port or {@code cluster[host:port,...]}, for messages; never credentials. */
    String endpoint() {
        return endpoint;
    }

    /** Lettuce resources owned by the application, or null for the cache's own. */
    ClientResources clientResources() {
        return clientResources;
    }

    /** Values the coherence canary checks a second (0: off). */
    int verifyRate() {
        return verifyRate;
    }

    /** Mismatches after which the canary flushes everything. */
    int verifyFlushThreshold() {
        return verifyFlushThreshold;
    }

    /** How long after losing coherence a value may still answer a read Redis cannot, or null. */
    Duration staleIfError() {
        return staleIfError;
    }

    /** The only key prefixes tracked and kept (OPTIN tracking), or empty for every key. */
    List<String> cachedPrefixes() {
        return cachedPrefixes;
    }

    /** Where invalidations are sent (AUTO: decided per node on connecting). */
    TrackingMode trackingMode() {
        return trackingMode;
    }

    /** BCAST tracking of the cached prefixes instead of OPTIN. */
    boolean broadcast() {
        return broadcast;
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
        return Limits.handshakeTimeout(commandTimeout, connectTimeout());
    }

    /** How long one look at a cluster node's topology may take. */
    Duration topologyCheckTimeout() {
        return commandTimeout.multipliedBy(2);
    }

    /** The options every client shares: socket options, TLS, behaviour while disconnected. */
    <B extends ClientOptions.Builder> B clientOptions(B options) {
        return Connections.options(options, SocketSettings.options(connectTimeout), sslOptions,
                failFastWhenDisconnected);
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
