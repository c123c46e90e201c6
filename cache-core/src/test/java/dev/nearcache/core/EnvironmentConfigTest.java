package dev.nearcache.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentConfigTest {

    private static NearCacheBuilder<String, String> apply(Map<String, String> env) {
        return NearCache.builder().environment(env);
    }

    private static String failure(Map<String, String> env) {
        return assertThrows(NearCacheConfigurationException.class, () -> apply(env)).getMessage();
    }

    @Test
    void redisUrlCarriesUserPasswordDatabaseAndTls() {
        RedisURI uri = apply(Map.of("REDIS_URL", "rediss://app:s3cret@cache.internal:6380/3")).redisUris.get(0);
        assertEquals("cache.internal", uri.getHost());
        assertEquals(6380, uri.getPort());
        RedisCredentials credentials = uri.getCredentialsProvider().resolveCredentials().block();
        assertEquals("app", credentials.getUsername());
        assertEquals("s3cret", new String(credentials.getPassword()));
        assertEquals(3, uri.getDatabase());
        assertTrue(uri.isSsl());
    }

    @Test
    void separateVariablesBuildTheSameUri() {
        RedisURI uri = apply(Map.of("REDIS_HOST", "10.0.0.5", "REDIS_PORT", "6390", "REDIS_USERNAME", "app",
                "REDIS_PASSWORD", "pw", "REDIS_DB", "2", "REDIS_TLS", "true")).redisUris.get(0);
        assertEquals("10.0.0.5", uri.getHost());
        assertEquals(6390, uri.getPort());
        assertEquals("app", uri.getCredentialsProvider().resolveCredentials().block().getUsername());
        assertEquals(2, uri.getDatabase());
        assertTrue(uri.isSsl());
    }

    @Test
    void kubernetesServiceLinkInRedisPortIsAcceptedNextToRedisHost() {
        // a Service named "redis" makes Kubernetes inject REDIS_PORT=tcp://<cluster ip>:<port> into every pod
        RedisURI uri = apply(Map.of("REDIS_HOST", "redis.prod.svc", "REDIS_PORT", "tcp://10.0.0.1:6390"))
                .redisUris.get(0);
        assertEquals("redis.prod.svc", uri.getHost(), "REDIS_HOST names the server");
        assertEquals(6390, uri.getPort(), "the link's port is the Service's");
        // alone, or next to cluster nodes, it is Kubernetes', not the user's: not an error
        assertEquals(7000, apply(Map.of("REDIS_CLUSTER_NODES", "h:7000", "REDIS_PORT", "tcp://10.0.0.1:6379"))
                .redisUris.get(0).getPort());
        assertEquals("REDIS_PORT must be a port number between 1 and 65535 (or tcp://host:port), got 'tcp://x'",
                failure(Map.of("REDIS_HOST", "h", "REDIS_PORT", "tcp://x")));
    }

    @Test
    void cacheSettingsAreRead() {
        NearCacheBuilder<String, String> b = apply(Map.ofEntries(Map.entry("REDIS_URL", "redis://localhost"),
                Map.entry("NEARCACHE_MAXIMUM_WEIGHT", "64mb"), Map.entry("NEARCACHE_LOCAL_TTL", "5m"),
                Map.entry("NEARCACHE_MAX_VALUE_BYTES", "512kb"), Map.entry("NEARCACHE_BATCH_SIZE", "256"),
                Map.entry("NEARCACHE_CONNECTIONS", "4"), Map.entry("NEARCACHE_COMMAND_TIMEOUT", "750ms"),
                Map.entry("NEARCACHE_HEARTBEAT_INTERVAL", "PT2S"), Map.entry("NEARCACHE_HEARTBEAT_TIMEOUT", "5s"),
                Map.entry("NEARCACHE_RECONNECT_DEBOUNCE", "1s"), Map.entry("NEARCACHE_NEGATIVE_CACHING", "false"),
                Map.entry("NEARCACHE_READ_THROUGH_TTL", "1h")));
        assertEquals(64L * 1024 * 1024, b.maximumWeight);
        assertEquals(Duration.ofMinutes(5), b.localTtl);
        assertEquals(512 * 1024, b.maxValueBytes);
        assertEquals(256, b.batchSize);
        assertEquals(4, b.connections);
        assertEquals(Duration.ofMillis(750), b.commandTimeout);
        assertEquals(Duration.ofSeconds(2), b.heartbeatInterval);
        assertEquals(Duration.ofSeconds(5), b.heartbeatTimeout);
        assertEquals(Duration.ofSeconds(1), b.reconnectDebounce);
        assertFalse(b.negativeCaching);
        assertEquals(Duration.ofHours(1), b.readThroughTtl);
        assertEquals(100L, apply(Map.of("NEARCACHE_MAXIMUM_SIZE", "100")).maximumSize);
        assertEquals(Duration.ofSeconds(3), apply(Map.of("NEARCACHE_CONNECT_TIMEOUT", "3s")).connectTimeout);
        assertEquals("orders", apply(Map.of("NEARCACHE_CLIENT_NAME", "orders")).clientName);
        assertTrue(apply(Map.of("NEARCACHE_START_WITHOUT_REDIS", "true")).startWithoutRedis);
        assertTrue(b.serverTtl, "the server TTL bounds entries unless turned off");
        assertFalse(apply(Map.of("NEARCACHE_SERVER_TTL", "false")).serverTtl);
    }

    @Test
    void malformedValuesNameTheVariableAndTheExpectedForm() {
        assertEquals("NEARCACHE_MAXIMUM_SIZE must be a whole number of entries, e.g. 10000, got 'lots'",
                failure(Map.of("NEARCACHE_MAXIMUM_SIZE", "lots")));
        assertEquals("NEARCACHE_LOCAL_TTL must be a duration such as 500ms, 2s, 5m, 1h or PT2S, got '5 minutes'",
                failure(Map.of("NEARCACHE_LOCAL_TTL", "5 minutes")));
        assertEquals("NEARCACHE_MAXIMUM_WEIGHT must be a size in bytes such as 1048576, 512kb, 64mb or 1gb, got"
                + " '64 megs'", failure(Map.of("NEARCACHE_MAXIMUM_WEIGHT", "64 megs")));
        assertEquals("NEARCACHE_NEGATIVE_CACHING must be true or false, got 'maybe'",
                failure(Map.of("NEARCACHE_NEGATIVE_CACHING", "maybe")));
        assertEquals("NEARCACHE_CONNECTIONS: connections must be between 1 and 64, got 0",
                failure(Map.of("NEARCACHE_CONNECTIONS", "0")));
        assertEquals(0, apply(Map.of("NEARCACHE_VERIFY_RATE", "0")).verifyRate, "0 turns the canary off");
        assertEquals(7, apply(Map.of("NEARCACHE_VERIFY_FLUSH_THRESHOLD", "7")).verifyFlushThreshold);
        assertEquals(Duration.ofSeconds(30), apply(Map.of("NEARCACHE_STALE_IF_ERROR", "30s")).staleIfError);
        assertEquals(List.of("user:", "product:"),
                apply(Map.of("NEARCACHE_CACHED_PREFIXES", "user:, product:")).cachedPrefixes);
        assertEquals(TrackingMode.SAME_CONNECTION,
                apply(Map.of("NEARCACHE_TRACKING_MODE", "same-connection")).trackingMode);
        assertEquals(TrackingMode.REDIRECT, apply(Map.of("NEARCACHE_TRACKING_MODE", "REDIRECT")).trackingMode);
        assertEquals("NEARCACHE_TRACKING_MODE must be one of redirect, same-connection or auto, got 'bcast'",
                failure(Map.of("NEARCACHE_TRACKING_MODE", "bcast")));
        assertTrue(apply(Map.of("NEARCACHE_BROADCAST", "true")).broadcast);
        assertEquals("NEARCACHE_VERIFY_RATE: verifyRate must be between 0 and 10000 keys a second, got 20000",
                failure(Map.of("NEARCACHE_VERIFY_RATE", "20000")));
        assertEquals("NEARCACHE_SERVER_TTL must be true or false, got 'yes please'",
                failure(Map.of("NEARCACHE_SERVER_TTL", "yes please")));
        assertEquals("NEARCACHE_COMMAND_TIMEOUT: commandTimeout must be between 10 ms and 10 minutes, got PT0.009S",
                failure(Map.of("NEARCACHE_COMMAND_TIMEOUT", "9ms")));
        assertEquals("NEARCACHE_CONNECT_TIMEOUT: connectTimeout must be between 100 ms and 5 minutes, got PT0.05S",
                failure(Map.of("NEARCACHE_CONNECT_TIMEOUT", "50ms")));
        assertEquals("NEARCACHE_CLIENT_NAME: clientName must be 1 to 40 letters, digits or -_.: (Redis forbids spaces"
                + " in a client name), but was 'order service'", failure(Map.of("NEARCACHE_CLIENT_NAME", "order service")));
        assertEquals("NEARCACHE_HEARTBEAT_INTERVAL: heartbeatInterval must be between 10 ms and 1 minute, got PT0.005S",
                failure(Map.of("NEARCACHE_HEARTBEAT_INTERVAL", "5ms")));
        assertEquals("NEARCACHE_RECONNECT_DEBOUNCE: reconnectDebounce must be between 0 and 1 minute, got PT2M",
                failure(Map.of("NEARCACHE_RECONNECT_DEBOUNCE", "2m")));
        assertEquals("REDIS_PORT must be a port number between 1 and 65535, got 70000",
                failure(Map.of("REDIS_HOST", "h", "REDIS_PORT", "70000")));
        assertEquals("REDIS_TLS must be true or false, got 'sometimes'",
                failure(Map.of("REDIS_HOST", "h", "REDIS_TLS", "sometimes")));
        assertEquals("REDIS_PORT is set but REDIS_HOST is not: set REDIS_HOST (or REDIS_URL=redis://host:port)",
                failure(Map.of("REDIS_PORT", "6379")));
    }

    @Test
    void aMalformedUrlNeverEchoesItsPassword() {
        String message = failure(Map.of("REDIS_URL", "http://user:topsecret@host:6379"));
        assertTrue(message.startsWith("REDIS_URL must look like redis://"), message);
        assertFalse(message.contains("topsecret"), message);
        String noHost = failure(Map.of("REDIS_URL", "redis://:topsecret@"));
        assertFalse(noHost.contains("topsecret"), noHost);
    }

    @Test
    void noErrorPathOfUrlParsingEchoesAnyPartOfTheCredentials() {
        String marker = "Zq9Marker";
        List<String> urls = List.of(marker + "@127.0.0.1:6379", "user:" + marker + "@127.0.0.1:6379",
                "http://u:" + marker + "@h:1", "redis://:" + marker + "#x@h:1", "redis://:" + marker + "?x@h:1",
                "redis://:" + marker + "/x@h:1", "redis://:" + marker + "@", "redis://:" + marker + "@:1",
                "redis://:" + marker + "@h:abc", "redis://:" + marker + "@h:99999", "redis://:" + marker + "%zz@h",
                "redis://u:" + marker + "@h@x:1", "redis-sentinel://:" + marker + "@h:26379",
                "redis-sentinel://:" + marker + "@h:abc#m", "redis-sentinel://:" + marker + "@h:1,#m");
        for (String url : urls) {
            for (String variable : new String[] {"REDIS_URL", "REDIS_CLUSTER_NODES"}) {
                String message = failure(Map.of(variable, url));
                assertFalse(message.contains(marker), variable + "=" + url + " echoed: " + message);
            }
            String fromBuilder = assertThrows(NearCacheConfigurationException.class,
                    () -> NearCache.builder().redisUri(url)).getMessage();
            assertFalse(fromBuilder.contains(marker), url + " echoed: " + fromBuilder);
        }
        assertTrue(failure(Map.of("REDIS_URL", "redis://:pa#ss@h:1")).contains("must be percent-encoded"));
        assertTrue(failure(Map.of("REDIS_URL", "redis://h:abc")).endsWith("its port is not a number from 1 to 65535"));
    }

    @Test
    void percentEncodedPasswordsWork() {
        RedisURI uri = apply(Map.of("REDIS_URL", "redis://app:pa%23s%40s%2Fw%25d@h:1")).redisUris.get(0);
        assertEquals("pa#s@s/w%d", new String(uri.getCredentialsProvider().resolveCredentials().block().getPassword()));
    }

    @Test
    void variablesNextToRedisUrlAreAppliedOrRefusedNeverIgnored() {
        RedisURI tls = apply(Map.of("REDIS_URL", "redis://h:1", "REDIS_TLS", "true")).redisUris.get(0);
        assertTrue(tls.isSsl(), "REDIS_TLS=true turns TLS on for a redis:// URL");
        RedisURI withPassword = apply(Map.of("REDIS_URL", "redis://h:1", "REDIS_USERNAME", "app",
                "REDIS_PASSWORD", "pw")).redisUris.get(0);
        var credentials = withPassword.getCredentialsProvider().resolveCredentials().block();
        assertEquals("app", credentials.getUsername());
        assertEquals("pw", new String(credentials.getPassword()));
        assertEquals("REDIS_TLS is false, which contradicts the rediss:// scheme of REDIS_URL",
                failure(Map.of("REDIS_URL", "rediss://h:1", "REDIS_TLS", "false")));
        assertEquals("REDIS_PASSWORD is set next to a REDIS_URL that holds credentials: give them in one place",
                failure(Map.of("REDIS_URL", "redis://:a@h:1", "REDIS_PASSWORD", "b")));
        assertEquals("REDIS_DB is set next to REDIS_URL: give the database in REDIS_URL",
                failure(Map.of("REDIS_URL", "redis://h:1", "REDIS_DB", "2")));
        assertEquals("REDIS_PORT is set next to REDIS_URL: give the port in REDIS_URL",
                failure(Map.of("REDIS_URL", "redis://h:1", "REDIS_PORT", "6380")));
        // the service link Kubernetes injects for a Service named "redis" is not ours
        assertEquals(1, apply(Map.of("REDIS_URL", "redis://h:1", "REDIS_PORT", "tcp://10.0.0.1:6379"))
                .redisUris.get(0).getPort());
    }

    @Test
    void numbersSizesAndDurationsOutOfRangeNameTheVariable() {
        assertEquals("NEARCACHE_BATCH_SIZE must be a whole number of keys, e.g. 512, got '4294967297' (too large)",
                failure(Map.of("NEARCACHE_BATCH_SIZE", "4294967297")));
        assertEquals("NEARCACHE_MAXIMUM_SIZE must be a whole number of entries, e.g. 10000, got"
                + " '99999999999999999999'", failure(Map.of("NEARCACHE_MAXIMUM_SIZE", "99999999999999999999")));
        assertEquals("NEARCACHE_LOCAL_TTL is too long a duration: '999999999999999999d'",
                failure(Map.of("NEARCACHE_LOCAL_TTL", "999999999999999999d")));
        assertEquals("NEARCACHE_LOCAL_TTL is too long a duration: '99999999999999999999s'",
                failure(Map.of("NEARCACHE_LOCAL_TTL", "99999999999999999999s")));
        assertEquals("NEARCACHE_MAXIMUM_WEIGHT is too large a size: '9999999999gb'",
                failure(Map.of("NEARCACHE_MAXIMUM_WEIGHT", "9999999999gb")));
    }

    @Test
    void sentinelFromTheEnvironmentAndFromAUri() {
        RedisURI uri = apply(Map.of("REDIS_SENTINEL_NODES", "s0:26380, s1",
                "REDIS_SENTINEL_MASTER", "mymaster", "REDIS_PASSWORD", "secret", "REDIS_SENTINEL_PASSWORD", "spw",
                "REDIS_DB", "2")).redisUris.get(0);
        assertEquals("mymaster", uri.getSentinelMasterId());
        assertEquals(List.of("s0:26380", "s1:26379"), uri.getSentinels().stream()
                .map(n -> n.getHost() + ":" + n.getPort()).toList());
        assertEquals(2, uri.getDatabase());
        assertEquals("master mymaster (through Sentinel s0:26380,s1:26379)", dev.nearcache.internal.RedisUris.describe(uri));
        assertEquals("REDIS_SENTINEL_MASTER must name the master the sentinels monitor (as in 'sentinel monitor"
                + " <name> ...'), e.g. mymaster; it is not set", failure(Map.of("REDIS_SENTINEL_NODES", "s0")));
        assertEquals("REDIS_SENTINEL_MASTER is set but REDIS_SENTINEL_NODES is not: set"
                + " REDIS_SENTINEL_NODES=host:port,host:port (the sentinels)",
                failure(Map.of("REDIS_SENTINEL_MASTER", "mymaster")));
        assertTrue(failure(Map.of("REDIS_SENTINEL_NODES", "s0", "REDIS_SENTINEL_MASTER", "m", "REDIS_URL",
                "redis://h")).startsWith("REDIS_SENTINEL_NODES and REDIS_URL are both set"));
        assertTrue(failure(Map.of("REDIS_SENTINEL_NODES", "s0:99999", "REDIS_SENTINEL_MASTER", "m"))
                .endsWith("entry 1 has no port between 1 and 65535"));
        for (String db : List.of("-1", "16000")) { // checked as for a server, not left to Lettuce's bare message
            assertEquals("REDIS_DB must be a database number from 0, got " + db, failure(Map.of(
                    "REDIS_SENTINEL_NODES", "s0", "REDIS_SENTINEL_MASTER", "m", "REDIS_DB", db)));
        }

        RedisURI parsed = NearCache.builder().redisUri("redis-sentinel://:pw@h0:1,h1:2/3#m1")
                .redisUris.get(0);
        assertEquals("m1", parsed.getSentinelMasterId());
        assertEquals(2, parsed.getSentinels().size());
        assertEquals(3, parsed.getDatabase());
        String noMaster = assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUri("redis-sentinel://:secret@h0:1,h1:2")).getMessage();
        assertTrue(noMaster.endsWith("it names no master (#name at the end)") && !noMaster.contains("secret"),
                noMaster);
        assertTrue(assertThrows(NearCacheConfigurationException.class, () -> NearCache.builder()
                .redisUri("redis-sentinel://h0:1,,h1#m")).getMessage().contains("a sentinel entry is empty"));
        assertTrue(assertThrows(NearCacheConfigurationException.class, () -> NearCache.builder()
                .redisUri("redis-sentinel://h0:1#m").cluster(true).build()).getMessage()
                .startsWith("a redis-sentinel:// URI names one master"));
    }

    @Test
    void broadcastNeedsPrefixesThatDoNotOverlap() {
        NearCacheBuilder<String, String> b = NearCache.builder().redisUri("redis://localhost:1").broadcast(true);
        assertTrue(assertThrows(NearCacheConfigurationException.class, b::build).getMessage()
                .startsWith("broadcast(true) (NEARCACHE_BROADCAST, nearcache.broadcast) needs cachedPrefixes"));
        b.cachedPrefixes("user:", "user:admin:");
        assertEquals("with broadcast(true), no cached prefix may begin another (Redis refuses overlapping prefixes):"
                + " 'user:' begins 'user:admin:'", assertThrows(NearCacheConfigurationException.class, b::build)
                .getMessage());
    }

    @Test
    void buildWithoutAServerSaysWhatToSet() {
        assertEquals("no Redis server given: call redisUri(...) or set REDIS_URL (or REDIS_HOST,"
                + " REDIS_CLUSTER_NODES, or REDIS_SENTINEL_NODES)",
                assertThrows(NearCacheConfigurationException.class, () -> NearCache.builder().build()).getMessage());
    }

    @Test
    void builderArgumentsAreValidated() {
        assertEquals("maximumSize and maximumWeight cannot both be set", assertThrows(
                NearCacheConfigurationException.class,
                () -> NearCache.builder().maximumSize(10).maximumWeight(10)).getMessage());
        assertEquals("localTtl must be between 1 ms and 365 days, got PT0S", assertThrows(
                NearCacheConfigurationException.class, () -> NearCache.builder().localTtl(Duration.ZERO))
                .getMessage());
    }

    @Test
    void clusterNodesNameTheSeedsAndTurnClusterModeOn() {
        NearCacheBuilder<String, String> b = apply(Map.of("REDIS_CLUSTER_NODES", "redis-0:7000, 10.0.0.2:7001,[::1]:7002",
                "REDIS_PASSWORD", "pw", "REDIS_TLS", "true", "NEARCACHE_TOPOLOGY_REFRESH_PERIOD", "250ms"));
        assertTrue(b.cluster);
        assertEquals(3, b.redisUris.size());
        assertEquals("redis-0", b.redisUris.get(0).getHost());
        assertEquals(7001, b.redisUris.get(1).getPort());
        assertEquals("::1", b.redisUris.get(2).getHost());
        assertEquals("pw", new String(b.redisUris.get(1).getCredentialsProvider().resolveCredentials().block()
                .getPassword()));
        assertTrue(b.redisUris.get(2).isSsl());
        assertEquals(Duration.ofMillis(250), b.topologyRefreshPeriod);
        assertEquals("cluster[redis-0:7000,10.0.0.2:7001,::1:7002]", b.endpoint());
    }

    @Test
    void malformedClusterSettingsAreNamed() {
        assertEquals("REDIS_CLUSTER_NODES must be a comma-separated list of host:port (or redis:// URIs), e.g."
                + " redis-0:6379,redis-1:6379; entry 2 has no port between 1 and 65535",
                failure(Map.of("REDIS_CLUSTER_NODES", "a:1,b:http")));
        assertTrue(failure(Map.of("REDIS_CLUSTER_NODES", "a:1,,b:2")).contains("entry 2 is empty"));
        assertTrue(failure(Map.of("REDIS_CLUSTER_NODES", "just-a-host")).contains("entry 1 is not host:port"));
        assertEquals("REDIS_CLUSTER_NODES and REDIS_URL are both set: set REDIS_CLUSTER_NODES for a Redis Cluster, or"
                + " the other for one server",
                failure(Map.of("REDIS_CLUSTER_NODES", "a:1", "REDIS_URL", "redis://b:2")));
        assertTrue(failure(Map.of("REDIS_CLUSTER_NODES", "a:1", "REDIS_DB", "2")).startsWith("REDIS_DB is set with"
                + " REDIS_CLUSTER_NODES"));
        assertTrue(failure(Map.of("REDIS_CLUSTER_NODES", "a:1", "NEARCACHE_TOPOLOGY_REFRESH_PERIOD", "soon"))
                .startsWith("NEARCACHE_TOPOLOGY_REFRESH_PERIOD must be a duration"));
        String withPassword = failure(Map.of("REDIS_CLUSTER_NODES", "redis://:topsecret@a:1,ftp://b"));
        assertTrue(withPassword.startsWith("REDIS_CLUSTER_NODES entry 2 must look like redis://"), withPassword);
        assertFalse(withPassword.contains("topsecret"), withPassword);
    }

    @Test
    void clusterBuilderSettingsAreValidated() {
        assertEquals("2 Redis URIs given for a standalone server: call cluster(true) if they are nodes of a Redis"
                + " Cluster, else give one", assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUris("redis://a:1", "redis://b:2").build()).getMessage());
        assertEquals("a Redis Cluster has only database 0, but the URI of a:1 names database 3", assertThrows(
                NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUris("redis://a:1/3").cluster(true).build()).getMessage());
        assertEquals("redisUris[1] must look like redis://[[user]:password@]host[:port][/database] or rediss://..."
                + " (or redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/database]#master); it does"
                + " not start with redis://, rediss:// or redis-sentinel://", assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUris("redis://a:1", "http://b")).getMessage());
        assertEquals("redisUris must name at least one node", assertThrows(NearCacheConfigurationException.class,
                () -> NearCache.builder().redisUris()).getMessage());
        assertEquals("topologyRefreshPeriod must be between 1 ms and 1 hour, got PT2H", assertThrows(
                NearCacheConfigurationException.class,
                () -> NearCache.builder().topologyRefreshPeriod(Duration.ofHours(2))).getMessage());
    }

    /**
     * A new builder setting is four edits: the builder, NearCacheSettings, its line in EnvironmentConfig, its
     * Spring property (the starter's test checks that one). This fails when the environment line is missing.
     */
    @Test
    void everyBuilderSettingHasItsEnvironmentVariable() {
        // read by hand with the connection (they depend on one another), or objects that no text can describe
        java.util.Set<String> elsewhere = java.util.Set.of("redisUri", "redisUris", "cluster", "tlsCaFile",
                "tlsClientCertificate", "tlsVerifyPeer", "tlsManagers", "codec", "metrics", "clientResources",
                "environment");
        List<String> missing = new java.util.ArrayList<>();
        for (java.lang.reflect.Method m : NearCacheBuilder.class.getDeclaredMethods()) {
            if (!java.lang.reflect.Modifier.isPublic(m.getModifiers()) || m.getReturnType() != NearCacheBuilder.class
                    || elsewhere.contains(m.getName())) {
                continue;
            }
            String variable = "NEARCACHE_" + m.getName().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase();
            if (!EnvironmentConfig.settingVariables().contains(variable)) {
                missing.add(m.getName() + " -> " + variable);
            }
        }
        assertEquals(List.of(), missing, "builder settings without their environment variable");
    }
}
