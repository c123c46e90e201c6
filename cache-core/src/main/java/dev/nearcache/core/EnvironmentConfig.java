package dev.nearcache.core;

import dev.nearcache.internal.RedisUris;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the configuration from environment variables (Kubernetes style). Every malformed value fails with a
 * {@link NearCacheConfigurationException} that names the variable and the form it expects; passwords are never
 * echoed.
 */
final class EnvironmentConfig {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(b|kb|k|mb|m|gb|g)?");
    /** Kubernetes' service link for a Service named redis: {@code REDIS_PORT=tcp://10.0.0.1:6379}. */
    private static final Pattern SERVICE_LINK = Pattern.compile("tcp://[^/:\\s]+:(\\d{1,5})");

    private EnvironmentConfig() {
    }

    static <K, V> void apply(Map<String, String> env, NearCacheBuilder<K, V> builder) {
        String url = value(env, "REDIS_URL");
        String clusterNodes = value(env, "REDIS_CLUSTER_NODES");
        String sentinelNodes = value(env, "REDIS_SENTINEL_NODES");
        if (sentinelNodes == null) {
            for (String part : new String[] {"REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_PASSWORD"}) {
                if (value(env, part) != null) {
                    throw new NearCacheConfigurationException(part + " is set but REDIS_SENTINEL_NODES is not: set"
                            + " REDIS_SENTINEL_NODES=host:port,host:port (the sentinels)");
                }
            }
        }
        if (sentinelNodes != null) {
            String other = url != null ? "REDIS_URL" : value(env, "REDIS_HOST") != null ? "REDIS_HOST"
                    : clusterNodes != null ? "REDIS_CLUSTER_NODES" : null;
            if (other != null) {
                throw new NearCacheConfigurationException("REDIS_SENTINEL_NODES and " + other + " are both set: set"
                        + " REDIS_SENTINEL_NODES (with REDIS_SENTINEL_MASTER) for a master watched by Redis Sentinel,"
                        + " or the other");
            }
            set("REDIS_SENTINEL_NODES", () -> builder.redisUri(sentinel(env, sentinelNodes)));
        } else if (clusterNodes != null) {
            if (url != null || value(env, "REDIS_HOST") != null) {
                throw new NearCacheConfigurationException("REDIS_CLUSTER_NODES and " + (url != null ? "REDIS_URL"
                        : "REDIS_HOST") + " are both set: set REDIS_CLUSTER_NODES for a Redis Cluster, or the other"
                        + " for one server");
            }
            set("REDIS_CLUSTER_NODES", () -> builder.redisUris(clusterNodes(env, clusterNodes)).cluster(true));
        } else if (url != null) {
            set("REDIS_URL", () -> builder.redisUri(withParts(env, RedisUriParser.parse("REDIS_URL", url))));
        } else if (value(env, "REDIS_HOST") != null) {
            set("REDIS_HOST", () -> builder.redisUri(fromParts(env)));
        } else {
            for (String part : new String[] {"REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_DB",
                    "REDIS_TLS"}) {
                if (value(env, part) != null && !(part.equals("REDIS_PORT") && serviceLink(value(env, part)))) {
                    throw new NearCacheConfigurationException(part + " is set but REDIS_HOST is not: set REDIS_HOST"
                            + " (or REDIS_URL=redis://host:port)");
                }
            }
        }
        tls(env, builder);
        for (Variable<?> variable : SETTINGS) {
            variable.apply(env, builder);
        }
    }

    /**
     * The {@code NEARCACHE_*} variables, one line each: its name, how its text is read, and the builder setting it
     * goes to (the connection variables above depend on one another and are read by hand).
     */
    private static final List<Variable<?>> SETTINGS = List.of(
            new Variable<>("NEARCACHE_MAXIMUM_SIZE", whole("a whole number of entries, e.g. 10000"),
                    NearCacheBuilder::maximumSize),
            new Variable<>("NEARCACHE_MAXIMUM_WEIGHT", EnvironmentConfig::bytes, NearCacheBuilder::maximumWeight),
            new Variable<>("NEARCACHE_LOCAL_TTL", EnvironmentConfig::duration, NearCacheBuilder::localTtl),
            new Variable<>("NEARCACHE_MAX_VALUE_BYTES", (n, v) -> (int) Math.min(Integer.MAX_VALUE, bytes(n, v)),
                    NearCacheBuilder::maxValueBytes),
            new Variable<>("NEARCACHE_NEGATIVE_CACHING", EnvironmentConfig::bool, NearCacheBuilder::negativeCaching),
            new Variable<>("NEARCACHE_SERVER_TTL", EnvironmentConfig::bool, NearCacheBuilder::serverTtl),
            new Variable<>("NEARCACHE_START_WITHOUT_REDIS", EnvironmentConfig::bool,
                    NearCacheBuilder::startWithoutRedis),
            new Variable<>("NEARCACHE_FAIL_FAST_WHEN_DISCONNECTED", EnvironmentConfig::bool,
                    NearCacheBuilder::failFastWhenDisconnected),
            new Variable<>("NEARCACHE_BATCH_SIZE", integer("a whole number of keys, e.g. 512"),
                    NearCacheBuilder::batchSize),
            new Variable<>("NEARCACHE_VERIFY_RATE", integer("a whole number of keys a second, e.g. 10 (0 turns the"
                    + " canary off)"), NearCacheBuilder::verifyRate),
            new Variable<>("NEARCACHE_CACHED_PREFIXES", (n, v) -> v.split("\\s*,\\s*"),
                    NearCacheBuilder::cachedPrefixes),
            new Variable<>("NEARCACHE_TRACKING_MODE", EnvironmentConfig::trackingMode, NearCacheBuilder::trackingMode),
            new Variable<>("NEARCACHE_BROADCAST", EnvironmentConfig::bool, NearCacheBuilder::broadcast),
            new Variable<>("NEARCACHE_STALE_IF_ERROR", EnvironmentConfig::duration, NearCacheBuilder::staleIfError),
            new Variable<>("NEARCACHE_VERIFY_FLUSH_THRESHOLD", integer("a whole number of mismatches, e.g. 3"),
                    NearCacheBuilder::verifyFlushThreshold),
            new Variable<>("NEARCACHE_CONNECTIONS", integer("a whole number, e.g. 2"), NearCacheBuilder::connections),
            new Variable<>("NEARCACHE_COMMAND_TIMEOUT", EnvironmentConfig::duration, NearCacheBuilder::commandTimeout),
            new Variable<>("NEARCACHE_CONNECT_TIMEOUT", EnvironmentConfig::duration, NearCacheBuilder::connectTimeout),
            new Variable<>("NEARCACHE_CLIENT_NAME", (n, v) -> v, NearCacheBuilder::clientName),
            new Variable<>("NEARCACHE_HEARTBEAT_INTERVAL", EnvironmentConfig::duration,
                    NearCacheBuilder::heartbeatInterval),
            new Variable<>("NEARCACHE_HEARTBEAT_TIMEOUT", EnvironmentConfig::duration,
                    NearCacheBuilder::heartbeatTimeout),
            new Variable<>("NEARCACHE_RECONNECT_DEBOUNCE", EnvironmentConfig::duration,
                    NearCacheBuilder::reconnectDebounce),
            new Variable<>("NEARCACHE_TOPOLOGY_REFRESH_PERIOD", EnvironmentConfig::duration,
                    NearCacheBuilder::topologyRefreshPeriod),
            new Variable<>("NEARCACHE_READ_THROUGH_TTL", EnvironmentConfig::duration,
                    NearCacheBuilder::readThroughTtl));

    /** The names of the {@code NEARCACHE_*} variables (for the test that every setting has one). */
    static List<String> settingVariables() {
        return SETTINGS.stream().map(Variable::name).toList();
    }

    /** One variable: read by {@code parser} (which names the variable in its complaint), given to {@code setter}. */
    private record Variable<T>(String name, BiFunction<String, String, T> parser,
                               BiConsumer<NearCacheBuilder<?, ?>, T> setter) {
        void apply(Map<String, String> env, NearCacheBuilder<?, ?> builder) {
            String value = value(env, name);
            if (value != null) {
                set(name, () -> setter.accept(builder, parser.apply(name, value)));
            }
        }
    }

    private static BiFunction<String, String, Long> whole(String expected) {
        return (name, value) -> longValue(name, value, expected);
    }

    private static BiFunction<String, String, Integer> integer(String expected) {
        return (name, value) -> intValue(name, value, expected);
    }

    /** REDIS_TLS_CA_FILE, REDIS_TLS_CERT_FILE with REDIS_TLS_KEY_FILE, REDIS_TLS_VERIFY_PEER. */
    private static <K, V> void tls(Map<String, String> env, NearCacheBuilder<K, V> builder) {
        String ca = value(env, "REDIS_TLS_CA_FILE");
        if (ca != null) {
            set("REDIS_TLS_CA_FILE", () -> builder.tlsCaFile(path("REDIS_TLS_CA_FILE", ca)));
        }
        String cert = value(env, "REDIS_TLS_CERT_FILE");
        String key = value(env, "REDIS_TLS_KEY_FILE");
        if ((cert == null) != (key == null)) {
            throw new NearCacheConfigurationException((cert == null ? "REDIS_TLS_KEY_FILE" : "REDIS_TLS_CERT_FILE")
                    + " is set without " + (cert == null ? "REDIS_TLS_CERT_FILE" : "REDIS_TLS_KEY_FILE")
                    + ": a client certificate needs both");
        }
        if (cert != null) {
            set("REDIS_TLS_CERT_FILE", () -> builder.tlsClientCertificate(path("REDIS_TLS_CERT_FILE", cert),
                    path("REDIS_TLS_KEY_FILE", key)));
        }
        String verify = value(env, "REDIS_TLS_VERIFY_PEER");
        if (verify != null) {
            builder.tlsVerifyPeer(bool("REDIS_TLS_VERIFY_PEER", verify));
        }
    }

    private static java.nio.file.Path path(String name, String value) {
        try {
            return java.nio.file.Path.of(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new NearCacheConfigurationException(name + " must be a file path, got '" + value + "'");
        }
    }

    /** Runs a builder setter, naming the variable in its complaint. */
    private static void set(String variable, Runnable setter) {
        try {
            setter.run();
        } catch (NearCacheConfigurationException e) {
            boolean namesAVariable = e.getMessage().matches("(REDIS|NEARCACHE)_[A-Z_]+ .*");
            throw namesAVariable ? e : new NearCacheConfigurationException(variable + ": " + e.getMessage());
        }
    }

    /**
     * REDIS_URL with the separate variables next to it: each is applied where the URL leaves it open, and refused
     * where the URL already says something else, never ignored. (A REDIS_PORT of the form {@code tcp://host:port} is
     * the service link Kubernetes injects for a Service named redis, and is not ours: it is left alone.)
     */
    private static RedisURI withParts(Map<String, String> env, RedisURI uri) {
        RedisURI.Builder b = RedisUris.copyOf(uri);
        for (String part : new String[] {"REDIS_PORT", "REDIS_DB"}) {
            String v = value(env, part);
            if (v != null && !(part.equals("REDIS_PORT") && serviceLink(v))) {
                throw new NearCacheConfigurationException(part + " is set next to REDIS_URL: give the "
                        + (part.equals("REDIS_PORT") ? "port" : "database") + " in REDIS_URL");
            }
        }
        String tls = value(env, "REDIS_TLS");
        if (tls != null && !bool("REDIS_TLS", tls) && uri.isSsl()) {
            throw new NearCacheConfigurationException("REDIS_TLS is false, which contradicts the rediss:// scheme"
                    + " of REDIS_URL");
        }
        String password = value(env, "REDIS_PASSWORD");
        String user = value(env, "REDIS_USERNAME");
        boolean urlHasPassword = uri.getCredentialsProvider() != null && uri.getCredentialsProvider()
                .resolveCredentials().blockOptional().map(c -> c.hasPassword()).orElse(false);
        if ((password != null || user != null) && urlHasPassword) {
            throw new NearCacheConfigurationException((password != null ? "REDIS_PASSWORD" : "REDIS_USERNAME")
                    + " is set next to a REDIS_URL that holds credentials: give them in one place");
        }
        credentials(env, b); // what the URL leaves open
        return b.build();
    }

    /**
     * {@code REDIS_CLUSTER_NODES=host:port,host:port} (or {@code redis://} URIs); REDIS_USERNAME, REDIS_PASSWORD and
     * REDIS_TLS apply to every {@code host:port} entry.
     */
    private static List<RedisURI> clusterNodes(Map<String, String> env, String value) {
        String expected = "REDIS_CLUSTER_NODES must be a comma-separated list of host:port (or redis:// URIs), e.g."
                + " redis-0:6379,redis-1:6379";
        if (value(env, "REDIS_DB") != null) {
            throw new NearCacheConfigurationException("REDIS_DB is set with REDIS_CLUSTER_NODES, but a Redis Cluster"
                    + " has only database 0");
        }
        if (value(env, "REDIS_PORT") != null && !serviceLink(value(env, "REDIS_PORT"))) {
            throw new NearCacheConfigurationException("REDIS_PORT is set with REDIS_CLUSTER_NODES: give each node's"
                    + " port in REDIS_CLUSTER_NODES (host:port)");
        }
        List<RedisURI> uris = new ArrayList<>();
        String[] entries = value.split(",");
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].trim();
            if (entry.isEmpty()) {
                throw new NearCacheConfigurationException(expected + "; entry " + (i + 1) + " is empty");
            }
            if (entry.contains("://")) {
                uris.add(RedisUriParser.parse("REDIS_CLUSTER_NODES entry " + (i + 1), entry));
                continue;
            }
            RedisURI.Builder uri = hostPort(expected, i, entry, -1);
            credentials(env, uri);
            uris.add(uri.build());
        }
        return uris;
    }

    /**
     * One {@code host:port} entry of a list variable as a URI builder; {@code defaultPort} where the port may be left
     * out, or -1 where it is required.
     */
    private static RedisURI.Builder hostPort(String expected, int i, String entry, int defaultPort) {
        int colon = entry.lastIndexOf(':');
        boolean hasPort = colon > entry.lastIndexOf(']');
        if (!hasPort && defaultPort > 0) {
            entry = entry + ":" + defaultPort;
            colon = entry.lastIndexOf(':');
        }
        if (colon <= 0 || !entry.substring(0, colon).matches("[A-Za-z0-9.\\-_\\[\\]:]+")) {
            throw new NearCacheConfigurationException(expected + "; entry " + (i + 1) + " is not host:port");
        }
        long port;
        try {
            port = Long.parseLong(entry.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new NearCacheConfigurationException(expected + "; entry " + (i + 1) + " has no port between 1"
                    + " and 65535");
        }
        String host = entry.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return RedisURI.builder().withHost(host).withPort((int) port);
    }

    /**
     * {@code REDIS_SENTINEL_NODES=host[:port],...} (default port 26379) with {@code REDIS_SENTINEL_MASTER} (the name
     * the sentinels monitor the master under) and optionally {@code REDIS_SENTINEL_PASSWORD} (the sentinels' own);
     * REDIS_USERNAME, REDIS_PASSWORD, REDIS_DB and REDIS_TLS apply to the master.
     */
    private static RedisURI sentinel(Map<String, String> env, String value) {
        String expected = "REDIS_SENTINEL_NODES must be a comma-separated list of the sentinels' host[:port], e.g."
                + " sentinel-0:26379,sentinel-1:26379";
        String master = value(env, "REDIS_SENTINEL_MASTER");
        if (master == null || !master.matches("[A-Za-z0-9.\\-_:]+")) {
            throw new NearCacheConfigurationException("REDIS_SENTINEL_MASTER must name the master the sentinels"
                    + " monitor (as in 'sentinel monitor <name> ...'), e.g. mymaster" + (master == null
                    ? "; it is not set" : ", got '" + master + "'"));
        }
        if (value(env, "REDIS_PORT") != null && !serviceLink(value(env, "REDIS_PORT"))) {
            throw new NearCacheConfigurationException("REDIS_PORT is set with REDIS_SENTINEL_NODES: give each"
                    + " sentinel's port in REDIS_SENTINEL_NODES (host:port); the sentinels name the master's");
        }
        String sentinelPassword = value(env, "REDIS_SENTINEL_PASSWORD");
        String[] entries = value.split(",");
        RedisURI.Builder uri = null;
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i].trim();
            if (entry.isEmpty()) {
                throw new NearCacheConfigurationException(expected + "; entry " + (i + 1) + " is empty");
            }
            RedisURI node = hostPort(expected, i, entry, RedisURI.DEFAULT_SENTINEL_PORT).build();
            if (uri == null) {
                uri = sentinelPassword != null
                        ? RedisURI.Builder.sentinel(node.getHost(), node.getPort(), master, sentinelPassword)
                        : RedisURI.Builder.sentinel(node.getHost(), node.getPort(), master);
            } else if (sentinelPassword != null) {
                uri.withSentinel(node.getHost(), node.getPort(), sentinelPassword);
            } else {
                uri.withSentinel(node.getHost(), node.getPort());
            }
        }
        database(env, uri);
        credentials(env, uri);
        return uri.build();
    }

    private static void credentials(Map<String, String> env, RedisURI.Builder uri) {
        String password = value(env, "REDIS_PASSWORD");
        String user = value(env, "REDIS_USERNAME");
        if (user != null && password == null) {
            throw new NearCacheConfigurationException("REDIS_USERNAME is set but REDIS_PASSWORD is not");
        }
        if (password != null) {
            if (user != null) {
                uri.withAuthentication(user, password.toCharArray());
            } else {
                uri.withPassword(password.toCharArray());
            }
        }
        String tls = value(env, "REDIS_TLS");
        if (tls != null) {
            uri.withSsl(bool("REDIS_TLS", tls));
        }
    }

    private static RedisURI fromParts(Map<String, String> env) {
        String host = value(env, "REDIS_HOST");
        if (!host.matches("[A-Za-z0-9.\\-_:\\[\\]]+")) {
            throw new NearCacheConfigurationException("REDIS_HOST must be a host name or IP address, got '" + host
                    + "'");
        }
        RedisURI.Builder uri = RedisURI.builder().withHost(host);
        String port = value(env, "REDIS_PORT");
        if (port != null) {
            Matcher link = SERVICE_LINK.matcher(port);
            long p = link.matches() ? Long.parseLong(link.group(1))
                    : longValue("REDIS_PORT", port, "a port number between 1 and 65535 (or tcp://host:port)");
            if (p < 1 || p > 65535) {
                throw new NearCacheConfigurationException("REDIS_PORT must be a port number between 1 and 65535, got "
                        + p);
            }
            uri.withPort((int) p);
        }
        credentials(env, uri);
        database(env, uri);
        return uri.build();
    }

    /** REDIS_DB, if set, range-checked the same for a server and for a master behind Sentinel. */
    private static void database(Map<String, String> env, RedisURI.Builder uri) {
        String db = value(env, "REDIS_DB");
        if (db != null) {
            long d = longValue("REDIS_DB", db, "a database number, e.g. 0");
            if (d < 0 || d > 15_999) {
                throw new NearCacheConfigurationException("REDIS_DB must be a database number from 0, got " + d);
            }
            uri.withDatabase((int) d);
        }
    }

    /**
     * Whether a REDIS_PORT is the service link Kubernetes injects into every pod for a Service named {@code redis}
     * ({@code tcp://10.0.0.1:6379}): next to REDIS_HOST its port is used, elsewhere it is not the user's and is
     * left alone.
     */
    private static boolean serviceLink(String port) {
        return SERVICE_LINK.matcher(port).matches();
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static long longValue(String name, String value, String expected) {
        try {
            return Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new NearCacheConfigurationException(name + " must be " + expected + ", got '" + value + "'");
        }
    }

    /** A whole number that fits an int; a larger one fails naming the variable instead of wrapping around. */
    private static int intValue(String name, String value, String expected) {
        long v = longValue(name, value, expected);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new NearCacheConfigurationException(name + " must be " + expected + ", got '" + value
                    + "' (too large)");
        }
        return (int) v;
    }

    /** REDIRECT, SAME_CONNECTION or AUTO, in any case, with '-' for '_'. */
    private static TrackingMode trackingMode(String name, String value) {
        String normalized = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (TrackingMode mode : TrackingMode.values()) {
            if (mode.name().equals(normalized)) {
                return mode;
            }
        }
        throw new NearCacheConfigurationException(name + " must be one of redirect, same-connection or auto, got '"
                + value + "'");
    }

    private static boolean bool(String name, String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
            case "on":
            case "1":
                return true;
            case "false":
            case "no":
            case "off":
            case "0":
                return false;
            default:
                throw new NearCacheConfigurationException(name + " must be true or false, got '" + value + "'");
        }
    }

    /** {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}, {@code 1d}, or ISO-8601 such as {@code PT2S}. */
    static Duration duration(String name, String value) {
        String v = value.toLowerCase(Locale.ROOT);
        Matcher m = DURATION.matcher(v);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                switch (m.group(2)) {
                    case "ms":
                        return Duration.ofMillis(n);
                    case "s":
                        return Duration.ofSeconds(n);
                    case "m":
                        return Duration.ofMinutes(n);
                    case "h":
                        return Duration.ofHours(n);
                    default:
                        return Duration.ofDays(n);
                }
            }
            return Duration.parse(value.toUpperCase(Locale.ROOT));
        } catch (ArithmeticException | NumberFormatException e) {
            throw new NearCacheConfigurationException(name + " is too long a duration: '" + value + "'");
        } catch (DateTimeParseException e) {
            throw new NearCacheConfigurationException(name + " must be a duration such as 500ms, 2s, 5m, 1h or"
                    + " PT2S, got '" + value + "'");
        }
    }

    /** {@code 1048576}, {@code 512kb}, {@code 64mb}, {@code 1gb} (powers of 1024). */
    static long bytes(String name, String value) {
        Matcher m = BYTES.matcher(value.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new NearCacheConfigurationException(name + " must be a size in bytes such as 1048576, 512kb, 64mb"
                    + " or 1gb, got '" + value + "'");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        try {
            long n = Long.parseLong(m.group(1));
            switch (unit) {
                case "kb":
                case "k":
                    return Math.multiplyExact(n, 1024L);
                case "mb":
                case "m":
                    return Math.multiplyExact(n, 1024L * 1024);
                case "gb":
                case "g":
                    return Math.multiplyExact(n, 1024L * 1024 * 1024);
                default:
                    return n;
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new NearCacheConfigurationException(name + " is too large a size: '" + value + "'");
        }
    }
}
