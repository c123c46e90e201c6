package dev.nearcache.spring;

import dev.nearcache.core.TrackingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The near cache's settings under {@code nearcache.*}: one property for each {@code NEARCACHE_*} variable of the plain
 * library (so {@code NEARCACHE_MAXIMUM_SIZE=50000} works through Boot's relaxed binding too), plus the Spring cache
 * views'. Unset values keep the library's defaults. The Redis connection comes from {@code spring.data.redis.*}.
 */
@ConfigurationProperties("nearcache")
public class NearCacheProperties {
    /** Whether the starter creates its NearCache, CacheManager, health indicator and metrics at all. */
    private boolean enabled = true;
    /** Most entries kept locally (default 10000); not with maximum-weight. */
    private Long maximumSize;
    /** Most bytes (keys + values) kept locally, e.g. 64MB, instead of a count of entries; not with maximum-size. */
    private DataSize maximumWeight;
    /** Drop a local entry this long after it was read, e.g. 5m (default: never; Redis's TTLs still apply). */
    private Duration localTtl;
    /** Larger values are returned but not kept locally (default 1MB). */
    private DataSize maxValueBytes;
    /** Keep "no such key" locally (default true). */
    private Boolean negativeCaching;
    /** Keep a value no longer than its key's TTL in Redis, read with each value (default true). */
    private Boolean serverTtl;
    /**
     * Start even when Redis cannot be reached (default false: start-up fails): until the cache connects, tried again
     * in the background, @Cacheable methods run every time and nothing is cached; evictions fail.
     */
    private Boolean startWithoutRedis;
    /** Fail reads and writes at once while disconnected instead of waiting up to the command timeout (default false). */
    private Boolean failFastWhenDisconnected;
    /** Most keys per MGET (default 512). */
    private Integer batchSize;
    /** Data connections, per master in a cluster (default 2). */
    private Integer connections;
    /** How long a Redis command may take before it fails and its connection is replaced (default 2s). */
    private Duration commandTimeout;
    /**
     * How long opening a connection may take (default spring.data.redis.connect-timeout, else five command timeouts
     * within 1s to 10s).
     */
    private Duration connectTimeout;
    /** Shown before each connection's role in CLIENT LIST, e.g. orders:nearcache-data-0 (default spring.data.redis.client-name). */
    private String clientName;
    /** PING interval on the invalidation connection (default 1s). */
    private Duration heartbeatInterval;
    /** A later PONG counts as a lost connection (default two intervals). */
    private Duration heartbeatTimeout;
    /** Least time between reconnect attempts after a failure (default 1500ms). */
    private Duration reconnectDebounce;
    /** TTL of values written by a read-through without a cache TTL of its own (default none). */
    private Duration readThroughTtl;
    /** Cluster only: how often the slot map is looked at again (default 1s). */
    private Duration topologyRefreshPeriod;
    /** Cached values the coherence canary compares with Redis each second (default 10; 0 turns it off). */
    private Integer verifyRate;
    /** Mismatches the canary finds before it flushes everything (default 3). */
    private Integer verifyFlushThreshold;
    /** Only keys with these prefixes are tracked and kept (OPTIN tracking), e.g. products::,users:: (default: all). */
    private List<String> cachedPrefixes = new ArrayList<>();
    /** Serve a value known coherent within this window when Redis cannot answer, e.g. 30s (default: off). */
    private Duration staleIfError;
    /**
     * Where Redis sends invalidations: redirect (a dedicated connection), same-connection (each data connection,
     * RESP3; for servers without REDIRECT) or auto (redirect where the server accepts it; the default).
     */
    private TrackingMode trackingMode;
    /** BCAST tracking of the cached prefixes: no per-key state in Redis, every write under a prefix invalidates. */
    private Boolean broadcast;
    /** TLS options beyond spring.data.redis.ssl.enabled. */
    private final Tls tls = new Tls();
    /** Whether the starter's CacheManager is created (it backs off anyway when the application defines one). */
    private boolean cacheManager = true;
    /** Whether caches store null values as Spring's NullValue marker (default true, as RedisCacheManager). */
    private boolean allowNullValues = true;
    /** Caches created at start-up (others are created on first use), so their metrics are bound from the start. */
    private List<String> cacheNames = new ArrayList<>();
    /**
     * Put before every cache's keys ("app1:" makes products::42 the Redis key app1:products::42), so services that
     * share a Redis and a cache name keep apart; default spring.cache.redis.key-prefix, else none.
     */
    private String keyPrefix;
    /**
     * Packages whose classes the default JSON serializer may create from what it reads in Redis, besides the
     * application's own (those of its @SpringBootApplication class) and java.lang, java.util, java.time, java.math.
     */
    private List<String> trustedPackages = new ArrayList<>();
    /** Per-cache settings, by cache name: nearcache.cache.products.ttl=10m. */
    private Map<String, Cache> cache = new LinkedHashMap<>();
    /** Metrics settings. */
    private final Metrics metrics = new Metrics();

    /** TLS files and verification, as REDIS_TLS_* of the plain library. */
    public static class Tls {
        /** PEM file of the CAs to trust instead of the JVM's trust store. */
        private Path caFile;
        /** Client certificate chain (PEM) for mutual TLS; with key-file. */
        private Path certFile;
        /** Unencrypted PKCS#8 private key (PEM) for mutual TLS; with cert-file. */
        private Path keyFile;
        /** Verify the server's certificate and host name (default true; false is logged as a warning). */
        private Boolean verifyPeer;

        public Path getCaFile() {
            return caFile;
        }

        public void setCaFile(Path caFile) {
            this.caFile = caFile;
        }

        public Path getCertFile() {
            return certFile;
        }

        public void setCertFile(Path certFile) {
            this.certFile = certFile;
        }

        public Path getKeyFile() {
            return keyFile;
        }

        public void setKeyFile(Path keyFile) {
            this.keyFile = keyFile;
        }

        public Boolean getVerifyPeer() {
            return verifyPeer;
        }

        public void setVerifyPeer(Boolean verifyPeer) {
            this.verifyPeer = verifyPeer;
        }
    }

    /** One Spring cache's settings. */
    public static class Cache {
        /** Time to live in Redis of the entries this cache writes (default: none, or read-through-ttl). */
        private Duration ttl;

        public Duration getTtl() {
            return ttl;
        }

        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }
    }

    /** Micrometer settings. */
    public static class Metrics {
        /** The cache tag of the nearcache.* meters. */
        private String name = "nearcache";
        /** Whether batch size and latency publish percentile histograms. */
        private boolean percentileHistograms = true;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public boolean isPercentileHistograms() {
            return percentileHistograms;
        }

        public void setPercentileHistograms(boolean percentileHistograms) {
            this.percentileHistograms = percentileHistograms;
        }
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Long getMaximumSize() {
        return maximumSize;
    }

    public void setMaximumSize(Long maximumSize) {
        this.maximumSize = maximumSize;
    }

    public DataSize getMaximumWeight() {
        return maximumWeight;
    }

    public void setMaximumWeight(DataSize maximumWeight) {
        this.maximumWeight = maximumWeight;
    }

    public Duration getLocalTtl() {
        return localTtl;
    }

    public void setLocalTtl(Duration localTtl) {
        this.localTtl = localTtl;
    }

    public DataSize getMaxValueBytes() {
        return maxValueBytes;
    }

    public void setMaxValueBytes(DataSize maxValueBytes) {
        this.maxValueBytes = maxValueBytes;
    }

    public Boolean getNegativeCaching() {
        return negativeCaching;
    }

    public void setNegativeCaching(Boolean negativeCaching) {
        this.negativeCaching = negativeCaching;
    }

    public Boolean getServerTtl() {
        return serverTtl;
    }

    public void setServerTtl(Boolean serverTtl) {
        this.serverTtl = serverTtl;
    }

    public Boolean getStartWithoutRedis() {
        return startWithoutRedis;
    }

    public void setStartWithoutRedis(Boolean startWithoutRedis) {
        this.startWithoutRedis = startWithoutRedis;
    }

    public Boolean getFailFastWhenDisconnected() {
        return failFastWhenDisconnected;
    }

    public void setFailFastWhenDisconnected(Boolean failFastWhenDisconnected) {
        this.failFastWhenDisconnected = failFastWhenDisconnected;
    }

    public Integer getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(Integer batchSize) {
        this.batchSize = batchSize;
    }

    public Integer getConnections() {
        return connections;
    }

    public void setConnections(Integer connections) {
        this.connections = connections;
    }

    public Duration getCommandTimeout() {
        return commandTimeout;
    }

    public void setCommandTimeout(Duration commandTimeout) {
        this.commandTimeout = commandTimeout;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public String getClientName() {
        return clientName;
    }

    public void setClientName(String clientName) {
        this.clientName = clientName;
    }

    public Duration getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(Duration heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public Duration getHeartbeatTimeout() {
        return heartbeatTimeout;
    }

    public void setHeartbeatTimeout(Duration heartbeatTimeout) {
        this.heartbeatTimeout = heartbeatTimeout;
    }

    public Duration getReconnectDebounce() {
        return reconnectDebounce;
    }

    public void setReconnectDebounce(Duration reconnectDebounce) {
        this.reconnectDebounce = reconnectDebounce;
    }

    public Duration getReadThroughTtl() {
        return readThroughTtl;
    }

    public void setReadThroughTtl(Duration readThroughTtl) {
        this.readThroughTtl = readThroughTtl;
    }

    public Duration getTopologyRefreshPeriod() {
        return topologyRefreshPeriod;
    }

    public void setTopologyRefreshPeriod(Duration topologyRefreshPeriod) {
        this.topologyRefreshPeriod = topologyRefreshPeriod;
    }

    public List<String> getCachedPrefixes() {
        return cachedPrefixes;
    }

    public void setCachedPrefixes(List<String> cachedPrefixes) {
        this.cachedPrefixes = cachedPrefixes;
    }

    public TrackingMode getTrackingMode() {
        return trackingMode;
    }

    public void setTrackingMode(TrackingMode trackingMode) {
        this.trackingMode = trackingMode;
    }

    public Boolean getBroadcast() {
        return broadcast;
    }

    public void setBroadcast(Boolean broadcast) {
        this.broadcast = broadcast;
    }

    public Duration getStaleIfError() {
        return staleIfError;
    }

    public void setStaleIfError(Duration staleIfError) {
        this.staleIfError = staleIfError;
    }

    public Integer getVerifyRate() {
        return verifyRate;
    }

    public void setVerifyRate(Integer verifyRate) {
        this.verifyRate = verifyRate;
    }

    public Integer getVerifyFlushThreshold() {
        return verifyFlushThreshold;
    }

    public void setVerifyFlushThreshold(Integer verifyFlushThreshold) {
        this.verifyFlushThreshold = verifyFlushThreshold;
    }

    public Tls getTls() {
        return tls;
    }

    public boolean isCacheManager() {
        return cacheManager;
    }

    public void setCacheManager(boolean cacheManager) {
        this.cacheManager = cacheManager;
    }

    public boolean isAllowNullValues() {
        return allowNullValues;
    }

    public void setAllowNullValues(boolean allowNullValues) {
        this.allowNullValues = allowNullValues;
    }

    public String getKeyPrefix() {
        return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    public List<String> getCacheNames() {
        return cacheNames;
    }

    public void setCacheNames(List<String> cacheNames) {
        this.cacheNames = cacheNames;
    }

    public List<String> getTrustedPackages() {
        return trustedPackages;
    }

    public void setTrustedPackages(List<String> trustedPackages) {
        this.trustedPackages = trustedPackages;
    }

    public Map<String, Cache> getCache() {
        return cache;
    }

    public void setCache(Map<String, Cache> cache) {
        this.cache = cache;
    }

    public Metrics getMetrics() {
        return metrics;
    }
}
