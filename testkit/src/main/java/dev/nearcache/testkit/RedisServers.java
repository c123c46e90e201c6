package dev.nearcache.testkit;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Starts real Redis servers and clusters for tests.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServers.start()) {
 *     RedisClient client = RedisClient.create(redis.uri());
 *     ...
 * }
 * }</pre>
 *
 * <p>Where the server comes from, first match wins: {@link RedisSource#EXTERNAL} when {@code REDIS_URL} is set
 * (plain servers only); {@link RedisSource#BINARY} from {@code REDIS_SERVER_BINARY} or {@code redis-server} on
 * the {@code PATH}; {@link RedisSource#EMBEDDED}, the binary inside the embedded-redis jar; and
 * {@link RedisSource#CONTAINER} when Testcontainers is on the class path and a Docker engine answers.
 * {@code REDIS_TESTKIT_SOURCE} (environment variable or system property: external, binary, embedded, container)
 * or {@link Builder#source(RedisSource)} forces one. Each start logs the Redis version and the source.
 *
 * <p>Thread-safe. Methods throw {@link IllegalStateException} when no server can be started, with the reasons
 * each source was passed over, and {@link IllegalArgumentException} naming a malformed variable.
 */
public final class RedisServers {
    /** URL of an external server to use instead of starting one: {@code redis://[[user]:password@]host:port[/db]}. */
    public static final String REDIS_URL = "REDIS_URL";
    /** Path of the redis-server binary to run. */
    public static final String REDIS_SERVER_BINARY = "REDIS_SERVER_BINARY";
    /** Forces a {@link RedisSource} by name. */
    public static final String REDIS_TESTKIT_SOURCE = "REDIS_TESTKIT_SOURCE";
    /** Docker image for {@link RedisSource#CONTAINER}; default {@code redis:7.4}. */
    public static final String REDIS_TESTKIT_IMAGE = "REDIS_TESTKIT_IMAGE";

    private RedisServers() {
    }

    /** Starts (or, with {@code REDIS_URL}, connects to) a standalone server with the default settings. */
    public static RedisServer start() {
        return builder().start();
    }

    /** Starts a cluster of {@code masters} masters with {@code replicasPerMaster} replicas each. */
    public static RedisCluster startCluster(int masters, int replicasPerMaster) {
        return builder().startCluster(masters, replicasPerMaster);
    }

    /** Starts a master with {@code replicas} replicas, watched by {@code sentinels} Redis Sentinels. */
    public static RedisSentinel startSentinel(int replicas, int sentinels) {
        return builder().startSentinel(replicas, sentinels);
    }

    /**
     * Closes {@code resource} when the JVM exits, before the kit stops the servers it started (which it does then
     * for every server nobody closed): for a client of those servers, such as a near cache in a program that
     * runs on an embedded Redis, so it closes while they still answer instead of logging their loss. Closing
     * must be idempotent, since the program may close the resource itself too; errors are ignored.
     *
     * @param resource closed first at exit
     */
    public static void closeBeforeServersOnExit(AutoCloseable resource) {
        Reaper.register(java.util.Objects.requireNonNull(resource, "resource"));
    }

    /** A builder for servers with a chosen source or extra configuration. */
    public static Builder builder() {
        return new Builder();
    }

    /** Reads a setting from the system properties first, then the environment. */
    static String setting(String name) {
        String value = System.getProperty(name);
        return value != null ? value : System.getenv(name);
    }

    /** Configures and starts servers. Not thread-safe; the servers it starts are. */
    public static final class Builder {
        private RedisSource source;
        private final Map<String, String> config = new LinkedHashMap<>();
        private Duration clusterNodeTimeout = Duration.ofSeconds(2);
        private Function<String, String> settings = RedisServers::setting;

        private Builder() {
        }

        /** Uses exactly this source, failing if it is not available, instead of the first available one. */
        public Builder source(RedisSource source) {
            this.source = Objects.requireNonNull(source, "source must not be null");
            return this;
        }

        /**
         * Adds a {@code redis.conf} directive, e.g. {@code config("maxmemory", "10mb")}. A server with extra
         * configuration is always started locally, never taken from {@code REDIS_URL}.
         */
        public Builder config(String name, String value) {
            Objects.requireNonNull(name, "config name must not be null");
            Objects.requireNonNull(value, "config value must not be null");
            if (name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("config name must be one word, got '" + name + "'");
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("config value of " + name + " must be on one line");
            }
            config.put(name, value);
            return this;
        }

        /**
         * Serves TLS too, on a port of its own ({@link RedisServer#tlsPort()}), with this certificate and key (PEM),
         * trusting clients whose certificates this CA signed; {@code authClients} is {@code yes}, {@code no} or
         * {@code optional} ({@code tls-auth-clients}). The plain port stays open for the kit's own commands. A cluster
         * then also speaks TLS on its bus and between replicas, and reports its TLS ports to TLS clients. Needs a
         * redis-server built with TLS (Debian's 7.0 and the embedded 6.2 binary are): starting fails otherwise.
         */
        public Builder tls(java.nio.file.Path certificate, java.nio.file.Path key, java.nio.file.Path ca,
                           String authClients) {
            config("tls-port", "auto");
            config("tls-cert-file", "\"" + certificate + "\"");
            config("tls-key-file", "\"" + key + "\"");
            config("tls-ca-cert-file", "\"" + ca + "\"");
            config("tls-auth-clients", authClients);
            return this;
        }

        /** {@code cluster-node-timeout} for clusters: how soon a failed master is replaced (default 2 s). */
        public Builder clusterNodeTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "clusterNodeTimeout must not be null");
            if (timeout.toMillis() < 100) {
                throw new IllegalArgumentException("clusterNodeTimeout must be at least 100 ms, got " + timeout);
            }
            this.clusterNodeTimeout = timeout;
            return this;
        }

        /** Reads settings from this function instead of system properties and the environment (for tests). */
        Builder settings(Function<String, String> settings) {
            this.settings = settings;
            return this;
        }

        /** Starts the server and waits until it answers PING. */
        public RedisServer start() {
            SourceResolver.Choice choice = new SourceResolver(settings).resolve(source, config.isEmpty());
            switch (choice.source()) {
                case EXTERNAL:
                    return new ExternalRedisServer(choice.detail());
                case CONTAINER:
                    if (!config.isEmpty()) {
                        throw new IllegalStateException("extra configuration " + config.keySet()
                                + " needs a redis-server binary; only Docker is available");
                    }
                    return new ContainerRedisServer(choice.detail());
                default:
                    return startLocal(choice, config);
            }
        }

        /**
         * Starts {@code masters * (1 + replicasPerMaster)} servers on free ports, forms a cluster with the slots
         * split evenly over the masters, and waits until every node reports {@code cluster_state:ok} and every
         * replica is in sync. Always local: {@code REDIS_URL} is ignored.
         */
        public RedisCluster startCluster(int masters, int replicasPerMaster) {
            if (masters < 1 || masters > 100) {
                throw new IllegalArgumentException("masters must be between 1 and 100, got " + masters);
            }
            if (replicasPerMaster < 0 || replicasPerMaster > 5) {
                throw new IllegalArgumentException("replicasPerMaster must be between 0 and 5, got "
                        + replicasPerMaster);
            }
            SourceResolver.Choice choice = new SourceResolver(settings).resolve(source, false);
            if (choice.source() == RedisSource.CONTAINER) {
                throw new IllegalStateException("a Redis Cluster needs a redis-server binary; only Docker is"
                        + " available. Install redis-server or set " + REDIS_SERVER_BINARY);
            }
            Map<String, String> nodeConfig = new LinkedHashMap<>(config);
            nodeConfig.put("cluster-enabled", "yes");
            nodeConfig.put("cluster-config-file", "nodes.conf");
            nodeConfig.put("cluster-node-timeout", Long.toString(clusterNodeTimeout.toMillis()));
            // a replica may always take over, however long its link was down: failover tests stay deterministic
            nodeConfig.put("cluster-replica-validity-factor", "0");
            // 7.0 syncs replicas diskless after a 5 s delay by default; replicas here join (and rejoin) at once
            nodeConfig.putIfAbsent("repl-diskless-sync-delay", "0");
            if (nodeConfig.containsKey("tls-port")) {
                nodeConfig.put("tls-cluster", "yes"); // the bus runs on the TLS port + 10000 then
                nodeConfig.put("tls-replication", "yes");
            }
            return RedisCluster.form(choice, nodeConfig, masters, replicasPerMaster);
        }

        /**
         * Starts a master and {@code replicas} replicas (with this builder's configuration), and {@code sentinels}
         * Redis Sentinels (the same binary in sentinel mode) monitoring it as {@link RedisSentinel#MASTER_NAME} with
         * a quorum of a majority, and waits until every sentinel knows the others and the replicas. Always local.
         */
        public RedisSentinel startSentinel(int replicas, int sentinels) {
            if (replicas < 1 || replicas > 5) {
                throw new IllegalArgumentException("replicas must be between 1 and 5, got " + replicas);
            }
            if (sentinels < 1 || sentinels > 7) {
                throw new IllegalArgumentException("sentinels must be between 1 and 7, got " + sentinels);
            }
            SourceResolver.Choice choice = new SourceResolver(settings).resolve(source, false);
            if (choice.source() == RedisSource.CONTAINER) {
                throw new IllegalStateException("Redis Sentinel needs a redis-server binary; only Docker is"
                        + " available. Install redis-server or set " + REDIS_SERVER_BINARY);
            }
            return RedisSentinel.start(choice, config, replicas, sentinels);
        }

        static LocalRedisServer startLocal(SourceResolver.Choice choice, Map<String, String> config) {
            LocalRedisServer server = new LocalRedisServer(choice.source(), choice.binary(), config, 0);
            try {
                server.start();
                return server;
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        }
    }
}
