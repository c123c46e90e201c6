package dev.nearcache.internal;

import io.lettuce.core.RedisURI;

/** Copies and descriptions of Redis URIs. Not API. Stateless, so thread-safe. */
public final class RedisUris {
    private RedisUris() {
    }

    /** Whether {@code uri} names a master watched by Redis Sentinel ({@code redis-sentinel://...#master}). */
    public static boolean isSentinel(RedisURI uri) {
        return !uri.getSentinels().isEmpty();
    }

    /**
     * {@code RedisURI.builder(source)}, which copies host, credentials, TLS, database and timeout, plus what it
     * leaves out: the sentinels and the master's name of a {@code redis-sentinel://} URI.
     */
    public static RedisURI.Builder copyOf(RedisURI source) {
        RedisURI.Builder builder = RedisURI.builder(source);
        if (source.getSentinelMasterId() != null) {
            builder.withSentinelMasterId(source.getSentinelMasterId());
        }
        source.getSentinels().forEach(builder::withSentinel);
        return builder;
    }

    /**
     * For messages, never credentials: {@code host:port}, or for a Sentinel URI {@code master <name> (through
     * Sentinel host:port,...)}.
     */
    public static String describe(RedisURI uri) {
        if (!isSentinel(uri)) {
            return uri.getHost() + ":" + uri.getPort();
        }
        StringBuilder b = new StringBuilder("master ").append(uri.getSentinelMasterId()).append(" (through Sentinel ");
        for (int i = 0; i < uri.getSentinels().size(); i++) {
            RedisURI node = uri.getSentinels().get(i);
            b.append(i > 0 ? "," : "").append(node.getHost()).append(':').append(node.getPort());
        }
        return b.append(')').toString();
    }
}
