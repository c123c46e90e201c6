package dev.nearcache.testkit;

/**
 * Where a test server comes from. Without an explicit choice the test kit takes the first that is available,
 * in this order.
 */
public enum RedisSource {
    /** The server named by {@code REDIS_URL}: used as it is, never started, stopped or flushed by the kit. */
    EXTERNAL,
    /** A {@code redis-server} binary: {@code REDIS_SERVER_BINARY}, or the first one on the {@code PATH}. */
    BINARY,
    /**
     * The binary bundled in the {@code com.github.codemonstur:embedded-redis} jar, Linux and macOS: its file is named
     * {@code redis-server-6.2.6-...}, and the server reports itself as Redis 6.2.11.
     */
    EMBEDDED,
    /** A {@code redis} container through Testcontainers, when a Docker engine answers. */
    CONTAINER
}
