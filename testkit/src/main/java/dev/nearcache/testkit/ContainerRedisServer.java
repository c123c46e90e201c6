package dev.nearcache.testkit;

import java.time.Duration;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.FixedHostPortGenericContainer;

/**
 * A Redis container through Testcontainers, the last resort when no binary runs here. The host port is fixed
 * when the container is created so that it stays the same when the container is stopped and started again.
 * Loaded only when chosen, so Testcontainers stays an optional dependency.
 */
final class ContainerRedisServer implements RedisServer {
    private static final Logger log = LoggerFactory.getLogger(ContainerRedisServer.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);

    private final FixedHostPortGenericContainer<?> container;
    private final int port;
    private final String version;
    private boolean running;

    // closed in close(); FixedHostPortGenericContainer is deprecated, but a server must keep its port across restarts
    @SuppressWarnings({"resource", "deprecation"})
    ContainerRedisServer(String image) {
        this.port = Ports.free(false);
        this.container = new FixedHostPortGenericContainer<>(image)
                .withFixedExposedPort(port, 6379)
                .withCommand("redis-server", "--save", "", "--appendonly", "no");
        container.start();
        running = true;
        awaitPing();
        this.version = LocalRedisServer.parseInfo((String) command(ADMIN_TIMEOUT, "INFO", "server"))
                .getOrDefault("redis_version", "unknown");
        log.info("Started Redis {} from {} (image {}) on {}", version, source(), image, uri());
    }

    static boolean dockerAnswers() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private void awaitPing() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!RespClient.ping(Endpoint.local(port), Duration.ofMillis(500))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Redis container on port " + port + " did not answer PING within "
                        + START_TIMEOUT + "; its log:\n" + container.getLogs());
            }
            LocalRedisServer.sleepQuietly(50);
        }
    }

    @Override
    public String uri() {
        return "redis://" + host() + ":" + port;
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public RedisSource source() {
        return RedisSource.CONTAINER;
    }

    @Override
    public boolean isControllable() {
        return true;
    }

    @Override
    public boolean isRunning() {
        return RespClient.ping(Endpoint.local(port), Duration.ofSeconds(1));
    }

    @Override
    public OptionalLong pid() {
        return OptionalLong.empty();
    }

    @Override
    public synchronized void start() {
        if (!running) {
            container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
            running = true;
            awaitPing();
        }
    }

    @Override
    public synchronized void stop() {
        if (running) {
            container.getDockerClient().stopContainerCmd(container.getContainerId()).exec();
            running = false;
        }
    }

    @Override
    public synchronized void kill() {
        if (running) {
            container.getDockerClient().killContainerCmd(container.getContainerId()).exec();
            running = false;
        }
    }

    @Override
    public void flushAll() {
        command(ADMIN_TIMEOUT, "FLUSHALL");
    }

    @Override
    public Object command(Duration timeout, String... args) {
        return RespClient.call(Endpoint.local(port), timeout, args);
    }

    @Override
    public synchronized void close() {
        container.stop();
        running = false;
    }

    @Override
    public String toString() {
        return "RedisServer[CONTAINER " + version + " " + uri() + "]";
    }
}
