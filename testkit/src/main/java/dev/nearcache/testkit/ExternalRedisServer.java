package dev.nearcache.testkit;

import java.time.Duration;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The server named by {@code REDIS_URL}: used, never started or stopped. */
final class ExternalRedisServer implements RedisServer {
    private static final Logger log = LoggerFactory.getLogger(ExternalRedisServer.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);

    private final String uri;
    private final Endpoint endpoint;
    private final String version;

    ExternalRedisServer(String uri) {
        this.uri = uri;
        this.endpoint = Endpoint.parse(RedisServers.REDIS_URL, uri);
        this.version = LocalRedisServer.parseInfo((String) command(ADMIN_TIMEOUT, "INFO", "server"))
                .getOrDefault("redis_version", "unknown");
        log.info("Using external Redis {} at {} (REDIS_URL)", version, endpoint.redacted());
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public String host() {
        return endpoint.host();
    }

    @Override
    public int port() {
        return endpoint.port();
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public RedisSource source() {
        return RedisSource.EXTERNAL;
    }

    @Override
    public boolean isControllable() {
        return false;
    }

    @Override
    public boolean isRunning() {
        return RespClient.ping(endpoint, Duration.ofSeconds(1));
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.empty();
    }

    @Override
    public void start() {
        throw unsupported("started");
    }

    @Override
    public void stop() {
        throw unsupported("stopped");
    }

    @Override
    public void kill() {
        throw unsupported("killed");
    }

    private UnsupportedOperationException unsupported(String what) {
        return new UnsupportedOperationException("the REDIS_URL server " + endpoint.redacted() + " is external and"
                + " cannot be " + what + " by the test kit; check isControllable() and skip such tests");
    }

    @Override
    public void flushAll() {
        command(ADMIN_TIMEOUT, "FLUSHALL");
    }

    @Override
    public Object command(Duration timeout, String... args) {
        return RespClient.call(endpoint, timeout, args);
    }

    @Override
    public void close() {
        // not ours to stop
    }

    @Override
    public String toString() {
        return "RedisServer[EXTERNAL " + version + " " + endpoint.redacted() + "]";
    }
}
