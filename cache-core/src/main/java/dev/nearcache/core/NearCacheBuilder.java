package dev.nearcache.core;

import dev.nearcache.internal.Limits;
import dev.nearcache.internal.RedisUris;
import dev.nearcache.invalidation.InvalidationListenerBuilder;
import dev.nearcache.loader.BatchingLoaderBuilder;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.resource.ClientResources;
import io.micrometer.core.instrument.MeterRegistry;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import io.lettuce.core.codec.RedisCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configures and builds a {@link NearCache}. Every setter validates its argument at once and throws
 * {@link NearCacheConfigurationException} (or {@link NullPointerException} for null) naming it. Not thread-safe;
 * the cache it builds is.
 *
 * <pre>{@code
 * NearCache<String, String> cache = NearCache.builder()
 *         .redisUri("redis://localhost:6379")
 *         .maximumSize(10_000)
 *         .build();
 *
 * NearCache<String, String> overACluster = NearCache.builder()
 *         .redisUris("redis://10.0.0.1:7000", "redis://10.0.0.2:7000")
 *         .cluster(true)
 *         .build();
 * }</pre>
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class NearCacheBuilder<K, V> {
    static final long DEFAULT_MAXIMUM_SIZE = 10_000;
    /** Cached values the coherence canary compares with Redis each second, by default. */
    static final int DEFAULT_VERIFY_RATE = 10;
    /** Mismatches the canary finds before it flushes everything, by default. */
    static final int DEFAULT_VERIFY_FLUSH_THRESHOLD = 3;
    /**
     * The shortest command timeout: below it the tracking registration of a connection would time out, and so
     * replace the connection, on an ordinary scheduling hiccup.
     */
    static final Duration MIN_COMMAND_TIMEOUT = Duration.ofMillis(10);

    RedisCodec<K, V> codec;
    /** Default time between looks at a cluster's topology. */
    static final Duration DEFAULT_TOPOLOGY_REFRESH_PERIOD = Duration.ofSeconds(1);

    List<RedisURI> redisUris = List.of();
    boolean cluster;
    Duration topologyRefreshPeriod = DEFAULT_TOPOLOGY_REFRESH_PERIOD;
    long maximumSize = -1;
    long maximumWeight = -1;
    Duration localTtl;
    int maxValueBytes = 1024 * 1024;
    boolean negativeCaching = true;
    boolean serverTtl = true;
    boolean failFastWhenDisconnected;
    Path tlsCaFile;
    Path tlsCertFile;
    Path tlsKeyFile;
    TrustManagerFactory tlsTrustManagers;
    KeyManagerFactory tlsKeyManagers;
    boolean tlsVerifyPeer = true;
    private final List<Map.Entry<MeterRegistry, String>> meterRegistries = new ArrayList<>();
    int batchSize = Limits.DEFAULT_MAX_BATCH_SIZE;
    int connections = Limits.DEFAULT_CONNECTIONS;
    Duration commandTimeout = Limits.DEFAULT_COMMAND_TIMEOUT;
    Duration connectTimeout;
    String clientName;
    boolean startWithoutRedis;
    Duration heartbeatInterval = Limits.DEFAULT_HEARTBEAT_INTERVAL;
    Duration heartbeatTimeout;
    Duration reconnectDebounce = Limits.DEFAULT_RECONNECT_DEBOUNCE;
    Duration readThroughTtl;
    ClientResources clientResources;
    int verifyRate = DEFAULT_VERIFY_RATE;
    Duration staleIfError;
    List<String> cachedPrefixes = List.of();
    TrackingMode trackingMode = TrackingMode.AUTO;
    boolean broadcast;
    int verifyFlushThreshold = DEFAULT_VERIFY_FLUSH_THRESHOLD;

    NearCacheBuilder(RedisCodec<K, V> codec) {
        this.codec = codec;
    }

    /**
     * The server: {@code redis://[[user]:password@]host[:port][/database]}, or {@code rediss://} for TLS. With
     * {@link #cluster(boolean) cluster(true)}, a node of the cluster to discover the others from. Or a master
     * watched by Redis Sentinel: {@code redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/database]
     * #masterName}, the sentinels' addresses (default port 26379), the credentials being the master's; the cache
     * then follows the master through failovers (see docs/topologies.md, Redis Sentinel).
     *
     * @throws NearCacheConfigurationException if it is not such a URI (the message never contains the password)
     */
    public NearCacheBuilder<K, V> redisUri(String uri) {
        Objects.requireNonNull(uri, "redisUri must not be null");
        return redisUri(RedisUriParser.parse("redisUri", uri));
    }

    /** The server, as a Lettuce {@link RedisURI}. */
    public NearCacheBuilder<K, V> redisUri(RedisURI uri) {
        this.redisUris = List.of(Objects.requireNonNull(uri, "redisUri must not be null"));
        return this;
    }

    /**
     * Several nodes of a Redis Cluster to discover it from (any reachable one suffices), each like
     * {@link #redisUri(String)}; needs {@link #cluster(boolean) cluster(true)}.
     *
     * @throws NearCacheConfigurationException naming the position of a URI that is not valid, or if none is given
     */
    public NearCacheBuilder<K, V> redisUris(String... uris) {
        Objects.requireNonNull(uris, "redisUris must not be null");
        if (uris.length == 0) {
            throw new NearCacheConfigurationException("redisUris must name at least one node");
        }
        List<RedisURI> parsed = new ArrayList<>(uris.length);
        for (int i = 0; i < uris.length; i++) {
            Objects.requireNonNull(uris[i], "redisUris[" + i + "] must not be null");
            parsed.add(RedisUriParser.parse("redisUris[" + i + "]", uris[i]));
        }
        this.redisUris = List.copyOf(parsed);
        return this;
    }

    /**
     * Several nodes of a Redis Cluster, as Lettuce {@link RedisURI}s; needs {@link #cluster(boolean) cluster(true)}.
     *
     * @throws NearCacheConfigurationException if none is given
     */
    public NearCacheBuilder<K, V> redisUris(List<RedisURI> uris) {
        Objects.requireNonNull(uris, "redisUris must not be null");
        if (uris.isEmpty()) {
            throw new NearCacheConfigurationException("redisUris must name at least one node");
        }
        this.redisUris = List.copyOf(uris); // also refuses null elements
        return this;
    }

    /**
     * Whether the URIs name nodes of a Redis Cluster (default false). Then the cache discovers the masters, keeps
     * one invalidation connection and {@link #connections(int)} data connections per master, sends each key's read
     * to the master serving its slot, and follows resharding and failover (flushing the local cache whenever a
     * slot changes master).
     */
    public NearCacheBuilder<K, V> cluster(boolean enabled) {
        this.cluster = enabled;
        return this;
    }

    /**
     * Cluster only: how often the topology is looked at again (1 ms to 1 hour; default 1 s). It bounds how long a
     * key whose slot moved to another master may be served stale: Redis tells no client that a slot moved.
     * Lettuce also refreshes on {@code MOVED}/{@code ASK} redirections and reconnects.
     */
    public NearCacheBuilder<K, V> topologyRefreshPeriod(Duration period) {
        this.topologyRefreshPeriod = positive("topologyRefreshPeriod", period, Duration.ofHours(1));
        return this;
    }

    /**
     * The codec of keys and values: Lettuce's {@code StringCodec.UTF8} (the default), {@code ByteArrayCodec},
     * {@link JsonCodec} (UTF-8 string keys, JSON values: {@code .codec(new JsonCodec<>(mapper, Product.class))}), or
     * any other {@link RedisCodec}; {@code RedisCodec.of(keyCodec, valueCodec)} pairs a key codec with a value
     * codec of another type. Returns this builder, typed for the codec, with the settings made so far (as
     * Caffeine's {@code weigher} does): go on with the returned reference, not the one before.
     */
    @SuppressWarnings("unchecked")
    public <K1, V1> NearCacheBuilder<K1, V1> codec(RedisCodec<K1, V1> codec) {
        Objects.requireNonNull(codec, "codec must not be null");
        NearCacheBuilder<K1, V1> self = (NearCacheBuilder<K1, V1>) this;
        self.codec = codec;
        return self;
    }

    /**
     * At most this many entries are kept locally (default 10,000 unless a maximum weight is set).
     *
     * @throws NearCacheConfigurationException if negative, or if {@link #maximumWeight} was set: the cache is bounded
     *     by a count of entries or by their bytes, not both
     */
    public NearCacheBuilder<K, V> maximumSize(long entries) {
        if (entries < 0) {
            throw new NearCacheConfigurationException("maximumSize must not be negative, got " + entries);
        }
        if (maximumWeight >= 0) {
            throw new NearCacheConfigurationException("maximumSize and maximumWeight cannot both be set");
        }
        this.maximumSize = entries;
        return this;
    }

    /**
     * At most this many bytes (encoded keys plus values) are kept locally, instead of a count of entries.
     *
     * @throws NearCacheConfigurationException if negative, or if {@link #maximumSize} was set: one bound or the other
     */
    public NearCacheBuilder<K, V> maximumWeight(long bytes) {
        if (bytes < 0) {
            throw new NearCacheConfigurationException("maximumWeight must not be negative, got " + bytes);
        }
        if (maximumSize >= 0) {
            throw new NearCacheConfigurationException("maximumSize and maximumWeight cannot both be set");
        }
        this.maximumWeight = bytes;
        return this;
    }

    /**
     * A local entry is dropped this long after it was read, whatever Redis says (rule 7's backstop). Entries of
     * keys with a TTL in Redis expire with it anyway ({@link #serverTtl(boolean)}). Default: none.
     */
    public NearCacheBuilder<K, V> localTtl(Duration ttl) {
        this.localTtl = positive("localTtl", ttl, Duration.ofDays(365));
        return this;
    }

    /** Values whose encoded size exceeds this are returned but not kept locally (1 byte to 512 MiB; default 1 MiB). */
    public NearCacheBuilder<K, V> maxValueBytes(int bytes) {
        if (bytes < 1 || bytes > 512 * 1024 * 1024) {
            throw new NearCacheConfigurationException("maxValueBytes must be between 1 and 536870912, got " + bytes);
        }
        this.maxValueBytes = bytes;
        return this;
    }

    /**
     * Whether keys that Redis does not have are cached as absent (default true; safe, since Redis tracks keys an
     * MGET names even when they do not exist, and reports their creation).
     */
    public NearCacheBuilder<K, V> negativeCaching(boolean enabled) {
        this.negativeCaching = enabled;
        return this;
    }

    /**
     * Whether a value read from Redis is kept locally no longer than the key's remaining time to live (default
     * true). Redis reports an expired key only when it deletes it (when something reads it, or when its sampling
     * expire cycle finds it), which with many keys around can be minutes after the TTL; so each batch reads every
     * key's {@code PTTL} right behind its MGET, on the same connection, and a local entry expires that long after
     * the read was sent. Turn it off only for a keyspace without TTLs: it costs one script per 128 keys read behind
     * each MGET (batching-loader/README.md gives the figure); hits cost the same either way.
     */
    public NearCacheBuilder<K, V> serverTtl(boolean enabled) {
        this.serverTtl = enabled;
        return this;
    }

    /**
     * Whether reads and writes fail at once while their connection to Redis is down (default false: they wait for
     * the reconnect, at most the command timeout, so a short outage costs latency rather than errors). With it a
     * service fails fast while Redis is known to be unreachable, and can fall back at once.
     */
    public NearCacheBuilder<K, V> failFastWhenDisconnected(boolean enabled) {
        this.failFastWhenDisconnected = enabled;
        return this;
    }

    /**
     * TLS: trust the certificate authorities of this PEM file instead of the JVM's trust store (for {@code rediss://}
     * servers with a private CA).
     *
     * @throws NearCacheConfigurationException if the file cannot be read
     */
    public NearCacheBuilder<K, V> tlsCaFile(Path pemFile) {
        this.tlsCaFile = readable("tlsCaFile", pemFile);
        return this;
    }

    /**
     * TLS: present this client certificate (PEM chain) and its private key (PEM, PKCS#8, unencrypted) to servers
     * that require one ({@code tls-auth-clients yes}): mutual TLS.
     *
     * @throws NearCacheConfigurationException if either file cannot be read
     */
    public NearCacheBuilder<K, V> tlsClientCertificate(Path certificateChainPem, Path privateKeyPem) {
        this.tlsCertFile = readable("tlsClientCertificate certificate", certificateChainPem);
        this.tlsKeyFile = readable("tlsClientCertificate private key", privateKeyPem);
        return this;
    }

    /**
     * TLS: trust and present what these JDK factories hold (e.g. a Spring Boot SSL bundle's managers) instead of the
     * JVM's trust store; either may be null. Not together with {@link #tlsCaFile} or {@link #tlsClientCertificate}.
     *
     * @throws NearCacheConfigurationException if both are null, or TLS files are set too
     */
    public NearCacheBuilder<K, V> tlsManagers(TrustManagerFactory trustManagers, KeyManagerFactory keyManagers) {
        if (trustManagers == null && keyManagers == null) {
            throw new NearCacheConfigurationException("tlsManagers needs a TrustManagerFactory, a KeyManagerFactory"
                    + " or both");
        }
        this.tlsTrustManagers = trustManagers;
        this.tlsKeyManagers = keyManagers;
        return this;
    }

    /**
     * TLS: whether the server's certificate and host name are verified (default true). Turning it off keeps the
     * connection encrypted but lets anyone on the path impersonate Redis; it is logged as a warning at every start.
     * A URI that turns verification down ({@code ?verifyPeer=NONE} or {@code CA}) is refused unless this is false.
     */
    public NearCacheBuilder<K, V> tlsVerifyPeer(boolean verify) {
        this.tlsVerifyPeer = verify;
        return this;
    }

    /**
     * Binds the cache's metrics ({@link NearCacheMetrics}) to {@code registry} when it is built, tagged
     * {@code cache=<name>}. May be called for several registries. The same as binding a {@link NearCacheMetrics}
     * after the build, without a window in which batches go unrecorded.
     */
    public NearCacheBuilder<K, V> metrics(MeterRegistry registry, String name) {
        Objects.requireNonNull(registry, "registry must not be null");
        Objects.requireNonNull(name, "metrics name must not be null");
        if (name.isBlank()) {
            throw new NearCacheConfigurationException("metrics name must not be blank");
        }
        meterRegistries.add(Map.entry(registry, name));
        return this;
    }

    /** The most keys per MGET (1 to 100,000; default 512, chosen by measurement; see the batching loader). */
    public NearCacheBuilder<K, V> batchSize(int keys) {
        if (keys < 1 || keys > 100_000) {
            throw new NearCacheConfigurationException("batchSize must be between 1 and 100000, got " + keys);
        }
        this.batchSize = keys;
        return this;
    }

    /**
     * How many cached values the coherence canary compares with Redis each second (0 to 10,000; default 10; 0 turns
     * it off): it sweeps through the local entries, reads them from Redis in one MGET a second, and counts and evicts
     * any that differ with no write in flight to explain it (a missed invalidation). Cost: that MGET, plus a PING per
     * master when a value differed. Every entry is checked once per {@code size / rate} seconds.
     */
    public NearCacheBuilder<K, V> verifyRate(int keysPerSecond) {
        if (keysPerSecond < 0 || keysPerSecond > 10_000) {
            throw new NearCacheConfigurationException("verifyRate must be between 0 and 10000 keys a second, got "
                    + keysPerSecond);
        }
        this.verifyRate = keysPerSecond;
        return this;
    }

    /**
     * Stale-if-error (off by default): when Redis cannot answer a read (a timeout, a refused or lost connection, a
     * cluster slot without a master) and this cache holds a value for the key that was known coherent no longer
     * than {@code window} ago, return it instead of failing, and count it ({@code nearcache.stale.served}). A read
     * that Redis answers with an error (NOPERM, a value the codec cannot decode) still fails. For that, a flush
     * marks entries as unverified instead of dropping them: they are never served as fresh again (a read of one goes
     * to Redis first), only as this fallback; the memory bounds still apply. The price: during an outage, callers
     * may get values up to {@code window} older than what Redis would have said (counted from when the cache saw its
     * coherence end, which is one heartbeat interval plus its timeout at most after it did). A value Redis has
     * answered differently since is never a fallback. 1 ms to 1 day.
     */
    public NearCacheBuilder<K, V> staleIfError(Duration window) {
        this.staleIfError = positive("staleIfError", window, Duration.ofDays(1));
        return this;
    }

    /**
     * Opt-in caching: only keys that begin with one of {@code prefixes} (compared on the encoded key) are tracked and
     * kept locally; the others are read from Redis every time, untracked. The data connections track with
     * {@code CLIENT TRACKING ON REDIRECT id OPTIN}, and each MGET of cached keys is preceded, on the same connection
     * and in the same write, by {@code CLIENT CACHING YES}; so Redis's tracking table holds only keys this cache can
     * keep. An ACL user needs {@code +client|caching}. Default: every key.
     *
     * @throws NearCacheConfigurationException if none is given, or one is empty
     */
    public NearCacheBuilder<K, V> cachedPrefixes(String... prefixes) {
        Objects.requireNonNull(prefixes, "cachedPrefixes must not be null");
        if (prefixes.length == 0) {
            throw new NearCacheConfigurationException("cachedPrefixes must name at least one prefix");
        }
        for (int i = 0; i < prefixes.length; i++) {
            if (prefixes[i] == null || prefixes[i].isEmpty()) {
                throw new NearCacheConfigurationException("cachedPrefixes[" + i + "] is empty: an empty prefix would"
                        + " match every key (leave cachedPrefixes unset for that)");
            }
        }
        this.cachedPrefixes = List.of(prefixes);
        return this;
    }

    /**
     * Where Redis sends the invalidations of the cache's reads (default {@link TrackingMode#AUTO}): to a dedicated
     * connection ({@link TrackingMode#REDIRECT}), or to each data connection for its own reads
     * ({@link TrackingMode#SAME_CONNECTION}, RESP3), as servers without REDIRECT require. {@code AUTO} uses REDIRECT
     * where the server accepts it. With {@code REDIRECT}, a server that refuses it fails {@link #build()}, naming its
     * answer; with {@code SAME_CONNECTION}, a server without RESP3 does.
     */
    public NearCacheBuilder<K, V> trackingMode(TrackingMode mode) {
        this.trackingMode = Objects.requireNonNull(mode, "trackingMode must not be null");
        return this;
    }

    /**
     * Broadcast tracking for the {@link #cachedPrefixes cached prefixes} (default false): the data connections
     * register {@code CLIENT TRACKING ON ... BCAST PREFIX p ...}, so Redis keeps no per-key state for this cache at
     * all (its tracking table stays empty) and instead sends an invalidation for every write to any key under a
     * prefix, whether this cache holds the key or not. For small, very hot keyspaces whose keys are read far more
     * often than written; for a large keyspace, each instance receives (and drops) every write's invalidation.
     * Needs {@code cachedPrefixes}, none of which may begin another (Redis refuses overlapping prefixes).
     */
    public NearCacheBuilder<K, V> broadcast(boolean enabled) {
        this.broadcast = enabled;
        return this;
    }

    /**
     * After how many mismatches found by the coherence canary (since its last such flush) the whole local cache is
     * flushed ({@code flushes{reason=verify-mismatch}}): 1 to 1,000,000, default 3. Each mismatch evicts its own
     * key in any case.
     */
    public NearCacheBuilder<K, V> verifyFlushThreshold(int mismatches) {
        if (mismatches < 1 || mismatches > 1_000_000) {
            throw new NearCacheConfigurationException("verifyFlushThreshold must be between 1 and 1000000, got "
                    + mismatches);
        }
        this.verifyFlushThreshold = mismatches;
        return this;
    }

    /** The number of data connections (1 to 64; default 2, chosen by measurement; see the batching loader). */
    public NearCacheBuilder<K, V> connections(int count) {
        if (count < 1 || count > 64) {
            throw new NearCacheConfigurationException("connections must be between 1 and 64, got " + count);
        }
        this.connections = count;
        return this;
    }

    /**
     * How long a Redis command may take before the call fails (10 ms to 10 minutes; default 2 s). A data connection
     * whose read or tracking registration times out is presumed broken and replaced (a half-open TCP connection
     * never closes by itself). Connecting may take five times as long, at least 1 s and at most 10 s, unless
     * {@link #connectTimeout(Duration)} says otherwise.
     */
    public NearCacheBuilder<K, V> commandTimeout(Duration timeout) {
        this.commandTimeout = within("commandTimeout", timeout, MIN_COMMAND_TIMEOUT,
                Limits.MAX_COMMAND_TIMEOUT);
        return this;
    }

    /**
     * How long opening a TCP (and TLS) connection may take, for every connection of the cache (100 ms to 5 minutes;
     * default five command timeouts, at least 1 s and at most 10 s). The handshake that follows (HELLO, AUTH, CLIENT
     * SETNAME) is bounded by a command timeout, at least 1 s, and never longer than this (rule 9).
     */
    public NearCacheBuilder<K, V> connectTimeout(Duration timeout) {
        this.connectTimeout = within("connectTimeout", timeout, Limits.MIN_CONNECT_TIMEOUT,
                Limits.MAX_CONNECT_TIMEOUT);
        return this;
    }

    /**
     * The application's name for the cache's connections in {@code CLIENT LIST}: each shows it before its role, e.g.
     * {@code orders:nearcache-data-0}, {@code orders:nearcache-invalidation}, {@code orders:nearcache-writer} (1 to 40
     * letters, digits or {@code -_.:}; by default the roles alone: {@code nearcache-data-0}, ...).
     */
    public NearCacheBuilder<K, V> clientName(String name) {
        Objects.requireNonNull(name, "clientName must not be null");
        if (!Limits.isClientName(name, 40)) {
            throw new NearCacheConfigurationException("clientName must be 1 to 40 letters, digits or -_.: (Redis"
                    + " forbids spaces in a client name), but was '" + name + "'");
        }
        this.clientName = name;
        return this;
    }

    /**
     * Whether {@link #build()} returns a cache even when Redis cannot be reached (default false: it throws). Such a
     * cache connects in the background (after 1 s, then twice as long each time, up to every 30 s) and caches
     * nothing until it has: a read-through ({@link NearCache#get(Object, java.util.function.Function)}) calls its
     * loader meanwhile, without writing to Redis; other reads and all writes throw
     * {@link NearCacheNotConnectedException}. A refused permission or a bad setting still fails the build.
     */
    public NearCacheBuilder<K, V> startWithoutRedis(boolean enabled) {
        this.startWithoutRedis = enabled;
        return this;
    }

    /** Time between heartbeat PINGs on the invalidation connection (10 ms to 1 minute; default 1 s). */
    public NearCacheBuilder<K, V> heartbeatInterval(Duration interval) {
        this.heartbeatInterval = within("heartbeatInterval", interval, Limits.MIN_HEARTBEAT,
                Limits.MAX_HEARTBEAT_INTERVAL);
        return this;
    }

    /**
     * How late a PONG may be before the invalidation connection counts as lost (10 ms to 5 minutes; default two
     * intervals).
     */
    public NearCacheBuilder<K, V> heartbeatTimeout(Duration timeout) {
        this.heartbeatTimeout = within("heartbeatTimeout", timeout, Limits.MIN_HEARTBEAT,
                Limits.MAX_HEARTBEAT_TIMEOUT);
        return this;
    }

    /**
     * The least time between reconnect attempts of the invalidation connection after a failure (0 to 1 minute;
     * default 1.5 s).
     */
    public NearCacheBuilder<K, V> reconnectDebounce(Duration debounce) {
        this.reconnectDebounce = within("reconnectDebounce", debounce, Duration.ZERO,
                Limits.MAX_RECONNECT_DEBOUNCE);
        return this;
    }

    /** The TTL of values that {@link NearCache#get(Object, java.util.function.Function)} writes (default: none). */
    public NearCacheBuilder<K, V> readThroughTtl(Duration ttl) {
        this.readThroughTtl = positive("readThroughTtl", ttl, Duration.ofDays(3650));
        return this;
    }

    /**
     * Lettuce's shared resources (event loops, timer, DNS resolver) to run the cache's connections on, such as the
     * application's own {@code ClientResources} bean; the cache then never shuts them down, their owner does, after
     * closing the cache. By default the cache creates its own and shuts them down on {@link NearCache#close()}.
     */
    public NearCacheBuilder<K, V> clientResources(ClientResources resources) {
        this.clientResources = Objects.requireNonNull(resources, "clientResources must not be null");
        return this;
    }

    /**
     * Applies the settings found in {@code environment} (normally {@code System.getenv()}); see
     * docs/configuration.md. Variables that are absent leave the setting as it is.
     *
     * @throws NearCacheConfigurationException naming the first malformed variable and the form it expects
     */
    public NearCacheBuilder<K, V> environment(Map<String, String> environment) {
        Objects.requireNonNull(environment, "environment must not be null");
        EnvironmentConfig.apply(environment, this);
        return this;
    }

    /**
     * Connects (two data connections and an invalidation connection by default; per master in a cluster), waits
     * until invalidations can be received, and returns the cache.
     *
     * @throws NearCacheConfigurationException if no server was given, several without {@code cluster(true)}, or a
     *         cluster URI names a database other than 0
     * @throws NearCacheException naming the endpoint if Redis cannot be reached within the command timeout
     */
    public NearCache<K, V> build() {
        if (redisUris.isEmpty()) {
            throw new NearCacheConfigurationException("no Redis server given: call redisUri(...) or set REDIS_URL"
                    + " (or REDIS_HOST, REDIS_CLUSTER_NODES, or REDIS_SENTINEL_NODES)");
        }
        if (redisUris.stream().anyMatch(RedisUris::isSentinel) && (cluster || redisUris.size() > 1)) {
            throw new NearCacheConfigurationException("a redis-sentinel:// URI names one master and all its sentinels:"
                    + " give it alone, without cluster(true)");
        }
        if (redisUris.size() > 1 && !cluster) {
            throw new NearCacheConfigurationException(redisUris.size() + " Redis URIs given for a standalone server:"
                    + " call cluster(true) if they are nodes of a Redis Cluster, else give one");
        }
        if (cluster) {
            for (RedisURI uri : redisUris) {
                if (uri.getDatabase() != 0) {
                    throw new NearCacheConfigurationException("a Redis Cluster has only database 0, but the URI of "
                            + RedisUris.describe(uri) + " names database " + uri.getDatabase());
                }
            }
        }
        if (broadcast) {
            if (cachedPrefixes.isEmpty()) {
                throw new NearCacheConfigurationException("broadcast(true) (NEARCACHE_BROADCAST,"
                        + " nearcache.broadcast) needs cachedPrefixes: broadcast tracking invalidates by prefix (call"
                        + " cachedPrefixes(...), or set NEARCACHE_CACHED_PREFIXES or nearcache.cached-prefixes)");
            }
            for (int i = 0; i < cachedPrefixes.size(); i++) {
                for (int j = 0; j < cachedPrefixes.size(); j++) {
                    String a = cachedPrefixes.get(i);
                    String b = cachedPrefixes.get(j);
                    if (i != j && b.startsWith(a)) {
                        throw new NearCacheConfigurationException("with broadcast(true), no cached prefix may begin"
                                + " another (Redis refuses overlapping prefixes): '" + a + "' begins '" + b + "'");
                    }
                }
            }
        }
        NearCacheSettings<K, V> settings = settings();
        NearCache<K, V> cache;
        try {
            cache = new TrackingNearCache<>(settings);
        } catch (NearCacheException e) { // a refused permission is a NearCacheConfigurationException: it still fails
            if (!startWithoutRedis) {
                throw e;
            }
            cache = new ConnectingNearCache<>(() -> new TrackingNearCache<>(settings), settings.endpoint(),
                    settings.trackingMode(), e);
        }
        for (Map.Entry<MeterRegistry, String> registry : meterRegistries) {
            cache.metrics(registry.getValue()).bindTo(registry.getKey());
        }
        return cache;
    }

    /** Validates what depends on several settings and freezes them all, with the derived values. */
    NearCacheSettings<K, V> settings() {
        return new NearCacheSettings<>(this, checkTls(), sslOptions(), endpoint());
    }

    /**
     * TLS settings are applied or refused, never ignored: files without a TLS connection are refused, and so is a
     * URI that turns peer verification down while {@link #tlsVerifyPeer(boolean)} is on. Returns the URIs to use:
     * with verification off, each with {@code verifyPeer=NONE}, and a warning is logged.
     */
    private List<RedisURI> checkTls() {
        boolean anyTls = redisUris.stream().anyMatch(RedisURI::isSsl);
        boolean managers = tlsTrustManagers != null || tlsKeyManagers != null;
        if (!anyTls && (tlsCaFile != null || tlsCertFile != null || managers || !tlsVerifyPeer)) {
            throw new NearCacheConfigurationException((tlsCaFile != null ? "tlsCaFile" : tlsCertFile != null
                    ? "tlsClientCertificate" : managers ? "tlsManagers" : "tlsVerifyPeer(false)")
                    + " is set, but the connection does not use"
                    + " TLS: use a rediss:// URI (or REDIS_TLS=true)");
        }
        for (RedisURI uri : redisUris) {
            if (uri.isSsl() && tlsVerifyPeer && uri.getVerifyMode() != SslVerifyMode.FULL) {
                throw new NearCacheConfigurationException("the URI of " + RedisUris.describe(uri)
                        + " turns TLS peer verification down (verifyPeer=" + uri.getVerifyMode() + "): to mean it,"
                        + " also call tlsVerifyPeer(false) (or set REDIS_TLS_VERIFY_PEER=false)");
            }
        }
        if (tlsVerifyPeer) {
            return redisUris;
        }
        LoggerFactory.getLogger(NearCache.class).warn("TLS peer verification is OFF for {}: the connection is"
                + " encrypted, but anyone on the network path can impersonate the Redis server", endpoint());
        return redisUris.stream().map(u -> RedisUris.copyOf(u).withVerifyPeer(SslVerifyMode.NONE).build()).toList();
    }

    /** The TLS options from the CA file and client certificate, or null for Lettuce's defaults (the JVM's trust). */
    private SslOptions sslOptions() {
        boolean managers = tlsTrustManagers != null || tlsKeyManagers != null;
        if (managers && (tlsCaFile != null || tlsCertFile != null)) {
            throw new NearCacheConfigurationException("tlsManagers and the TLS files (tlsCaFile,"
                    + " tlsClientCertificate) both say what to trust and present: set one or the other");
        }
        if (managers) {
            SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
            if (tlsTrustManagers != null) {
                ssl.trustManager(tlsTrustManagers);
            }
            if (tlsKeyManagers != null) {
                ssl.keyManager(tlsKeyManagers);
            }
            return ssl.build();
        }
        if (tlsCaFile == null && tlsCertFile == null) {
            return null;
        }
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        if (tlsCaFile != null) {
            ssl.trustManager(tlsCaFile.toFile());
        }
        if (tlsCertFile != null) {
            ssl.keyManager(tlsCertFile.toFile(), tlsKeyFile.toFile(), null);
        }
        return ssl.build();
    }

    private static Path readable(String name, Path file) {
        Objects.requireNonNull(file, name + " must not be null");
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new NearCacheConfigurationException(name + " must be a readable file, got " + file);
        }
        return file;
    }

    /** host:port, or {@code cluster[host:port,...]}; never credentials. */
    String endpoint() {
        return NearCacheSettings.endpointOf(redisUris, cluster);
    }

    private static Duration positive(String name, Duration value, Duration max) {
        return within(name, value, Duration.ofMillis(1), max);
    }

    /**
     * The one range check of every duration setting. The bounds of settings handed to the batching loader or the
     * invalidation listener are theirs (or narrower), so that whatever is accepted here also builds there.
     */
    private static Duration within(String name, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new NearCacheConfigurationException(name + " must be between " + readable(min) + " and "
                    + readable(max) + ", got " + value);
        }
        return value;
    }

    /** 0, 10 ms, 2 s, 5 minutes, 365 days. */
    static String readable(Duration d) {
        long ms = d.toMillis();
        if (ms >= 86_400_000 && ms % 86_400_000 == 0) {
            return ms / 86_400_000 + " days";
        }
        if (ms >= 3_600_000 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + (ms == 3_600_000 ? " hour" : " hours");
        }
        if (ms >= 60_000 && ms % 60_000 == 0) {
            return ms / 60_000 + (ms == 60_000 ? " minute" : " minutes");
        }
        return ms == 0 ? "0" : ms >= 1000 && ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
