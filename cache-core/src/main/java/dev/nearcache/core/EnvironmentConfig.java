package dev.nearcache.core;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    private EnvironmentConfig() {
    }

    static <K, V> void apply(Map<String, String> env, NearCacheBuilder<K, V> builder) {
        String url = value(env, "REDIS_URL");
        String clusterNodes = value(env, "REDIS_CLUSTER_NODES");
        if (clusterNodes != null) {
            if (url != null || value(env, "REDIS_HOST") != null) {
                throw new NearCacheConfigurationException("REDIS_CLUSTER_NODES and " + (url != null ? "REDIS_URL"
                        : "REDIS_HOST") + " are both set: set REDIS_CLUSTER_NODES for a Redis Cluster, or the other"
                        + " for one server");
            }
            set("REDIS_CLUSTER_NODES", () -> builder.clusterNodes(clusterNodes(env, clusterNodes)).cluster(true));
        } else if (url != null) {
            set("REDIS_URL", () -> builder.redisUri(parseUri("REDIS_URL", url)));
        } else if (value(env, "REDIS_HOST") != null) {
            set("REDIS_HOST", () -> builder.redisUri(fromParts(env)));
        } else {
            for (String part : new String[] {"REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_DB",
                    "REDIS_TLS"}) {
                if (value(env, part) != null) {
                    throw new NearCacheConfigurationException(part + " is set but REDIS_HOST is not: set REDIS_HOST"
                            + " (or REDIS_URL=redis://host:port)");
                }
            }
        }
        String size = value(env, "NEARCACHE_MAXIMUM_SIZE");
        if (size != null) {
            set("NEARCACHE_MAXIMUM_SIZE", () ->
                    builder.maximumSize(longValue("NEARCACHE_MAXIMUM_SIZE", size, "a whole number of entries, e.g. 10000")));
        }
        String weight = value(env, "NEARCACHE_MAXIMUM_WEIGHT");
        if (weight != null) {
            set("NEARCACHE_MAXIMUM_WEIGHT", () -> builder.maximumWeight(bytes("NEARCACHE_MAXIMUM_WEIGHT", weight)));
        }
        String ttl = value(env, "NEARCACHE_LOCAL_TTL");
        if (ttl != null) {
            set("NEARCACHE_LOCAL_TTL", () -> builder.localTtl(duration("NEARCACHE_LOCAL_TTL", ttl)));
        }
        String maxValue = value(env, "NEARCACHE_MAX_VALUE_BYTES");
        if (maxValue != null) {
            set("NEARCACHE_MAX_VALUE_BYTES", () ->
                    builder.maxValueBytes((int) Math.min(Integer.MAX_VALUE, bytes("NEARCACHE_MAX_VALUE_BYTES", maxValue))));
        }
        String negative = value(env, "NEARCACHE_NEGATIVE_CACHING");
        if (negative != null) {
            set("NEARCACHE_NEGATIVE_CACHING", () ->
                    builder.negativeCaching(bool("NEARCACHE_NEGATIVE_CACHING", negative)));
        }
        String serverTtl = value(env, "NEARCACHE_SERVER_TTL");
        if (serverTtl != null) {
            set("NEARCACHE_SERVER_TTL", () -> builder.serverTtl(bool("NEARCACHE_SERVER_TTL", serverTtl)));
        }
        String batch = value(env, "NEARCACHE_BATCH_SIZE");
        if (batch != null) {
            set("NEARCACHE_BATCH_SIZE", () ->
                    builder.batchSize((int) longValue("NEARCACHE_BATCH_SIZE", batch, "a whole number of keys, e.g. 512")));
        }
        String connections = value(env, "NEARCACHE_CONNECTIONS");
        if (connections != null) {
            set("NEARCACHE_CONNECTIONS", () ->
                    builder.connections((int) longValue("NEARCACHE_CONNECTIONS", connections, "a whole number, e.g. 2")));
        }
        String timeout = value(env, "NEARCACHE_COMMAND_TIMEOUT");
        if (timeout != null) {
            set("NEARCACHE_COMMAND_TIMEOUT", () ->
                    builder.commandTimeout(duration("NEARCACHE_COMMAND_TIMEOUT", timeout)));
        }
        String interval = value(env, "NEARCACHE_HEARTBEAT_INTERVAL");
        if (interval != null) {
            set("NEARCACHE_HEARTBEAT_INTERVAL", () ->
                    builder.heartbeatInterval(duration("NEARCACHE_HEARTBEAT_INTERVAL", interval)));
        }
        String heartbeatTimeout = value(env, "NEARCACHE_HEARTBEAT_TIMEOUT");
        if (heartbeatTimeout != null) {
            set("NEARCACHE_HEARTBEAT_TIMEOUT", () ->
                    builder.heartbeatTimeout(duration("NEARCACHE_HEARTBEAT_TIMEOUT", heartbeatTimeout)));
        }
        String debounce = value(env, "NEARCACHE_RECONNECT_DEBOUNCE");
        if (debounce != null) {
            set("NEARCACHE_RECONNECT_DEBOUNCE", () ->
                    builder.reconnectDebounce(duration("NEARCACHE_RECONNECT_DEBOUNCE", debounce)));
        }
        String refresh = value(env, "NEARCACHE_TOPOLOGY_REFRESH_PERIOD");
        if (refresh != null) {
            set("NEARCACHE_TOPOLOGY_REFRESH_PERIOD", () ->
                    builder.topologyRefreshPeriod(duration("NEARCACHE_TOPOLOGY_REFRESH_PERIOD", refresh)));
        }
        String readThroughTtl = value(env, "NEARCACHE_READ_THROUGH_TTL");
        if (readThroughTtl != null) {
            set("NEARCACHE_READ_THROUGH_TTL", () ->
                    builder.readThroughTtl(duration("NEARCACHE_READ_THROUGH_TTL", readThroughTtl)));
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

    /** Parses a Redis URI; the message names {@code name} and never echoes the value, which may hold a password. */
    static RedisURI parseUri(String name, String value) {
        String expected = name + " must look like redis://[[user]:password@]host[:port][/database] or rediss://...";
        String trimmed = value.trim();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("redis://") && !lower.startsWith("rediss://")) {
            int colon = trimmed.indexOf(':');
            throw new NearCacheConfigurationException(expected + "; its scheme is '"
                    + (colon > 0 ? trimmed.substring(0, colon) : "(none)") + "'");
        }
        RedisURI uri;
        try {
            uri = RedisURI.create(trimmed);
        } catch (RuntimeException e) {
            throw new NearCacheConfigurationException(expected + "; it could not be parsed");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new NearCacheConfigurationException(expected + "; it names no host");
        }
        return uri;
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
        if (value(env, "REDIS_PORT") != null) {
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
                uris.add(parseUri("REDIS_CLUSTER_NODES entry " + (i + 1), entry));
                continue;
            }
            int colon = entry.lastIndexOf(':');
            if (colon <= 0 || !entry.substring(0, colon).matches("[A-Za-z0-9.\\-_\\[\\]:]+")) {
                throw new NearCacheConfigurationException(expected + "; entry " + (i + 1) + " is '" + entry + "'");
            }
            long port;
            try {
                port = Long.parseLong(entry.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new NearCacheConfigurationException(expected + "; entry " + (i + 1) + " has no port between 1"
                        + " and 65535: '" + entry + "'");
            }
            String host = entry.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            RedisURI.Builder uri = RedisURI.builder().withHost(host).withPort((int) port);
            credentials(env, uri);
            uris.add(uri.build());
        }
        return uris;
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
            long p = longValue("REDIS_PORT", port, "a port number between 1 and 65535");
            if (p < 1 || p > 65535) {
                throw new NearCacheConfigurationException("REDIS_PORT must be a port number between 1 and 65535, got "
                        + p);
            }
            uri.withPort((int) p);
        }
        credentials(env, uri);
        String db = value(env, "REDIS_DB");
        if (db != null) {
            long d = longValue("REDIS_DB", db, "a database number, e.g. 0");
            if (d < 0 || d > 15_999) {
                throw new NearCacheConfigurationException("REDIS_DB must be a database number from 0, got " + d);
            }
            uri.withDatabase((int) d);
        }
        return uri.build();
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
        try {
            return Duration.parse(value.toUpperCase(Locale.ROOT));
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
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        switch (unit) {
            case "kb":
            case "k":
                return n * 1024;
            case "mb":
            case "m":
                return n * 1024 * 1024;
            case "gb":
            case "g":
                return n * 1024 * 1024 * 1024;
            default:
                return n;
        }
    }
}
