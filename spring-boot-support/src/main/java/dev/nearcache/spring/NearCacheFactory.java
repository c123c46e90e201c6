package dev.nearcache.spring;

import dev.nearcache.core.NearCache;
import dev.nearcache.core.NearCacheBuilder;
import dev.nearcache.core.NearCacheConfigurationException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

/**
 * Builds the starter's {@code NearCache<String, byte[]>} from {@code spring.data.redis.*} (the connection, as a Boot
 * application already has it) and {@code nearcache.*}. A value the library refuses fails start-up with a
 * {@link NearCacheConfigurationException} whose message begins with the property's name.
 */
final class NearCacheFactory {
    private static final String REDIS = "spring.data.redis.";

    private NearCacheFactory() {
    }

    /**
     * @param beans   where the application's {@code SslBundles} are found, or null to read
     *                {@code spring.data.redis.*} only
     * @param details what the application's own Redis connection-details bean says (ahead of
     *                {@code spring.data.redis.*}, as in Boot), or null when it has none but Boot's from the properties
     */
    static NearCacheBuilder<String, byte[]> builder(NearCacheProperties p, Environment environment,
                                                    ClientResources resources, BeanFactory beans,
                                                    RedisConnectionDetailsView details) {
        NearCacheBuilder<String, byte[]> b = NearCache.builder()
                .codec(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
        Binder binder = Binder.get(environment);
        String bundleName = environment.getProperty(REDIS + "ssl.bundle");
        boolean ssl = binder.bind(REDIS + "ssl.enabled", Boolean.class).orElse(false)
                || (bundleName != null && !bundleName.isBlank());
        SslBundle bundle = null;
        if (details != null) {
            details.applyTo(b, ssl);
            bundle = details.sslBundle();
        } else {
            connection(b, environment, ssl);
        }
        if (bundle == null && bundleName != null && !bundleName.isBlank()) {
            if (beans == null) {
                throw new NearCacheConfigurationException(REDIS + "ssl.bundle is set, but no SslBundles are at hand");
            }
            try {
                bundle = beans.getBean(SslBundles.class).getBundle(bundleName.trim());
            } catch (RuntimeException e) { // NoSuchSslBundleException, or no SslBundles bean
                throw new NearCacheConfigurationException(REDIS + "ssl.bundle: " + e.getMessage());
            }
        }
        if (bundle != null) {
            b.tlsManagers(bundle.getManagers().getTrustManagerFactory(),
                    bundle.getManagers().getKeyManagerFactory());
        }
        // Boot's own settings of the connection, unless the cache has its own under nearcache.*
        fromBoot(binder, p.getCommandTimeout(), "timeout", Duration.class, b::commandTimeout);
        fromBoot(binder, p.getConnectTimeout(), "connect-timeout", Duration.class, b::connectTimeout);
        fromBoot(binder, p.getClientName(), "client-name", String.class, b::clientName);
        if (resources != null) {
            b.clientResources(resources);
        }
        set("nearcache.maximum-size", p.getMaximumSize(), v -> b.maximumSize(v));
        set("nearcache.maximum-weight", p.getMaximumWeight(), v -> b.maximumWeight(v.toBytes()));
        set("nearcache.local-ttl", p.getLocalTtl(), b::localTtl);
        set("nearcache.max-value-bytes", p.getMaxValueBytes(), v -> b.maxValueBytes(intBytes(v)));
        set("nearcache.negative-caching", p.getNegativeCaching(), b::negativeCaching);
        set("nearcache.server-ttl", p.getServerTtl(), b::serverTtl);
        set("nearcache.start-without-redis", p.getStartWithoutRedis(), b::startWithoutRedis);
        set("nearcache.fail-fast-when-disconnected", p.getFailFastWhenDisconnected(), b::failFastWhenDisconnected);
        set("nearcache.batch-size", p.getBatchSize(), b::batchSize);
        set("nearcache.connections", p.getConnections(), b::connections);
        set("nearcache.command-timeout", p.getCommandTimeout(), b::commandTimeout);
        set("nearcache.connect-timeout", p.getConnectTimeout(), b::connectTimeout);
        set("nearcache.client-name", p.getClientName(), b::clientName);
        set("nearcache.heartbeat-interval", p.getHeartbeatInterval(), b::heartbeatInterval);
        set("nearcache.heartbeat-timeout", p.getHeartbeatTimeout(), b::heartbeatTimeout);
        set("nearcache.reconnect-debounce", p.getReconnectDebounce(), b::reconnectDebounce);
        set("nearcache.read-through-ttl", p.getReadThroughTtl(), b::readThroughTtl);
        set("nearcache.topology-refresh-period", p.getTopologyRefreshPeriod(), b::topologyRefreshPeriod);
        set("nearcache.verify-rate", p.getVerifyRate(), b::verifyRate);
        set("nearcache.stale-if-error", p.getStaleIfError(), b::staleIfError);
        if (!p.getCachedPrefixes().isEmpty()) {
            set("nearcache.cached-prefixes", p.getCachedPrefixes(), v -> b.cachedPrefixes(v.toArray(String[]::new)));
        }
        set("nearcache.tracking-mode", p.getTrackingMode(), b::trackingMode);
        set("nearcache.broadcast", p.getBroadcast(), b::broadcast);
        set("nearcache.verify-flush-threshold", p.getVerifyFlushThreshold(), b::verifyFlushThreshold);
        set("nearcache.tls.ca-file", p.getTls().getCaFile(), b::tlsCaFile);
        set("nearcache.tls.verify-peer", p.getTls().getVerifyPeer(), b::tlsVerifyPeer);
        if (p.getTls().getCertFile() != null || p.getTls().getKeyFile() != null) {
            if (p.getTls().getCertFile() == null || p.getTls().getKeyFile() == null) {
                throw new NearCacheConfigurationException("nearcache.tls.cert-file and nearcache.tls.key-file go"
                        + " together: set both for mutual TLS, or neither");
            }
            set("nearcache.tls.cert-file", p.getTls().getCertFile(),
                    cert -> b.tlsClientCertificate(cert, p.getTls().getKeyFile()));
        }
        return b;
    }

    private static int intBytes(DataSize size) {
        return (int) Math.min(Integer.MAX_VALUE, size.toBytes());
    }

    /** Applies {@code spring.data.redis.<name>} when the cache has no value of its own ({@code own} is null). */
    private static <T> void fromBoot(Binder binder, Object own, String name, Class<T> type, Consumer<T> setter) {
        if (own == null) {
            set(REDIS + name, binder.bind(REDIS + name, type).orElse(null), setter);
        }
    }

    /** Applies a set property, prefixing the library's complaint with the property's name. */
    private static <T> void set(String property, T value, Consumer<T> setter) {
        if (value == null) {
            return;
        }
        try {
            setter.accept(value);
        } catch (IllegalArgumentException e) { // NearCacheConfigurationException too
            throw new NearCacheConfigurationException(property + ": " + e.getMessage());
        }
    }

    /**
     * The connection from Boot's {@code spring.data.redis.*}: {@code sentinel.master} with {@code sentinel.nodes}
     * (and {@code sentinel.username}/{@code sentinel.password} for the sentinels themselves) for a master watched by
     * Redis Sentinel, else {@code cluster.nodes} for a Redis Cluster, else {@code url}, else {@code host},
     * {@code port} and {@code database}; {@code username}, {@code password} and {@code ssl.enabled} apply to each
     * (a URL's own credentials win, as in Boot).
     */
    private static void connection(NearCacheBuilder<String, byte[]> b, Environment env, boolean ssl) {
        Binder binder = Binder.get(env);
        List<String> nodes = binder.bind(REDIS + "cluster.nodes", Bindable.listOf(String.class)).orElse(List.of());
        String url = env.getProperty(REDIS + "url");
        String username = env.getProperty(REDIS + "username");
        String password = env.getProperty(REDIS + "password");
        String sentinelMaster = env.getProperty(REDIS + "sentinel.master");
        if (sentinelMaster != null && !sentinelMaster.isBlank()) {
            List<String> sentinels = binder.bind(REDIS + "sentinel.nodes", Bindable.listOf(String.class))
                    .orElse(List.of());
            if (sentinels.isEmpty()) {
                throw new NearCacheConfigurationException(REDIS + "sentinel.nodes must list the sentinels (host:port)"
                        + " when " + REDIS + "sentinel.master is set");
            }
            String sentinelPassword = env.getProperty(REDIS + "sentinel.password");
            RedisURI.Builder uri = null;
            for (String node : sentinels) {
                String[] hostPort = node.trim().split(":(?=[0-9]+$)");
                String host = hostPort[0];
                int port = hostPort.length == 2 ? port(REDIS + "sentinel.nodes", node, hostPort[1])
                        : RedisURI.DEFAULT_SENTINEL_PORT;
                if (host.isEmpty()) {
                    throw new NearCacheConfigurationException(REDIS + "sentinel.nodes must be host:port entries,"
                            + " got '" + node + "'");
                }
                RedisURI.Builder sentinelNode = RedisURI.builder().withHost(host).withPort(port).withSsl(ssl);
                credentials(sentinelNode, env.getProperty(REDIS + "sentinel.username"), sentinelPassword);
                if (uri == null) {
                    uri = RedisURI.builder().withSentinelMasterId(sentinelMaster.trim());
                }
                uri.withSentinel(sentinelNode.build());
            }
            uri.withDatabase(binder.bind(REDIS + "database", Integer.class).orElse(0)).withSsl(ssl);
            credentials(uri, username, password);
            b.redisUri(uri.build());
        } else if (!nodes.isEmpty()) {
            List<RedisURI> uris = new ArrayList<>();
            for (String node : nodes) {
                String[] hostPort = node.trim().split(":(?=[0-9]+$)");
                if (hostPort.length != 2) {
                    throw new NearCacheConfigurationException(REDIS + "cluster.nodes must be host:port entries, got '"
                            + node + "'");
                }
                RedisURI.Builder uri = RedisURI.builder().withHost(hostPort[0])
                        .withPort(port(REDIS + "cluster.nodes", node, hostPort[1])).withSsl(ssl);
                credentials(uri, username, password);
                uris.add(uri.build());
            }
            b.redisUris(uris).cluster(true);
        } else if (url != null && !url.isBlank()) {
            try {
                b.redisUri(url.trim());
            } catch (NearCacheConfigurationException e) {
                throw new NearCacheConfigurationException(REDIS + "url: " + e.getMessage());
            }
        } else {
            String host = env.getProperty(REDIS + "host", "localhost");
            String portText = env.getProperty(REDIS + "port");
            int port = portText == null ? RedisURI.DEFAULT_REDIS_PORT : port(REDIS + "port", portText, portText);
            int database = binder.bind(REDIS + "database", Integer.class).orElse(0);
            RedisURI.Builder uri = RedisURI.builder().withHost(host).withPort(port).withDatabase(database)
                    .withSsl(ssl);
            credentials(uri, username, password);
            b.redisUri(uri.build());
        }
    }

    /** A port number from {@code text}, part of {@code value} of {@code property}, or an error naming them. */
    private static int port(String property, String value, String text) {
        long port;
        try {
            port = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new NearCacheConfigurationException(property + " must name a port between 1 and 65535, got '"
                    + value.trim() + "'");
        }
        return (int) port;
    }

    static void credentials(RedisURI.Builder uri, String username, String password) {
        if (password != null && !password.isEmpty()) {
            if (username != null && !username.isEmpty()) {
                uri.withAuthentication(username, password.toCharArray());
            } else {
                uri.withPassword(password.toCharArray());
            }
        }
    }
}
