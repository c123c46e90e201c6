package dev.nearcache.testkit;

import java.util.Objects;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JUnit 5 extension that starts a real Redis server (or cluster) once per test class and stops it after the
 * class, also when tests fail.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final RedisExtension redis = RedisExtension.standalone();
 *
 * @Test
 * void works() {
 *     RedisClient client = RedisClient.create(redis.server().uri());
 * }
 * }</pre>
 *
 * <p>With {@code @ExtendWith(RedisExtension.class)} a standalone server is started and injected into test and
 * lifecycle method parameters of type {@link RedisServer} (and {@link RedisCluster} for a cluster extension).
 * Before each test a server that a previous test stopped is started again on the same port, and, if asked with
 * {@link #flushBeforeEach()}, emptied. Where the server comes from follows {@link RedisServers}.
 *
 * <p>Register it on a static field: the server lives as long as the outermost class that registered it.
 */
public final class RedisExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback,
        ParameterResolver {
    private static final Logger log = LoggerFactory.getLogger(RedisExtension.class);

    private final Supplier<RedisServer> serverFactory;
    private final Supplier<RedisCluster> clusterFactory;
    private boolean flushBeforeEach;
    private RedisServer server;
    private RedisCluster cluster;
    private String ownerId;

    /** A standalone server with default settings; the constructor {@code @ExtendWith} uses. */
    public RedisExtension() {
        this(RedisServers::start, null);
    }

    private RedisExtension(Supplier<RedisServer> serverFactory, Supplier<RedisCluster> clusterFactory) {
        this.serverFactory = serverFactory;
        this.clusterFactory = clusterFactory;
    }

    /** A standalone server with default settings. */
    public static RedisExtension standalone() {
        return new RedisExtension();
    }

    /** A standalone server started by {@code builder}, e.g. with a chosen source or extra configuration. */
    public static RedisExtension standalone(RedisServers.Builder builder) {
        Objects.requireNonNull(builder, "builder must not be null");
        return new RedisExtension(builder::start, null);
    }

    /** A cluster of {@code masters} masters with {@code replicasPerMaster} replicas each. */
    public static RedisExtension cluster(int masters, int replicasPerMaster) {
        return cluster(RedisServers.builder(), masters, replicasPerMaster);
    }

    /** A cluster started by {@code builder}. */
    public static RedisExtension cluster(RedisServers.Builder builder, int masters, int replicasPerMaster) {
        Objects.requireNonNull(builder, "builder must not be null");
        return new RedisExtension(null, () -> builder.startCluster(masters, replicasPerMaster));
    }

    /** Sends FLUSHALL before each test, so tests do not see each other's keys. */
    public RedisExtension flushBeforeEach() {
        this.flushBeforeEach = true;
        return this;
    }

    /**
     * The running standalone server.
     *
     * @throws IllegalStateException before the extension started it, or if this extension runs a cluster
     */
    public synchronized RedisServer server() {
        if (server == null) {
            throw new IllegalStateException(clusterFactory != null ? "this extension runs a cluster; use cluster()"
                    : "the Redis server is not started yet: register the extension on a static field");
        }
        return server;
    }

    /**
     * The running cluster.
     *
     * @throws IllegalStateException before the extension started it, or if this extension runs a standalone server
     */
    public synchronized RedisCluster cluster() {
        if (cluster == null) {
            throw new IllegalStateException(clusterFactory == null ? "this extension runs a standalone server; use"
                    + " server()" : "the Redis cluster is not started yet: register the extension on a static field");
        }
        return cluster;
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        if (ownerId != null) {
            return; // a nested class: the outer class's server serves it
        }
        ownerId = context.getUniqueId();
        if (clusterFactory != null) {
            cluster = clusterFactory.get();
        } else {
            server = serverFactory.get();
        }
    }

    @Override
    public synchronized void beforeEach(ExtensionContext context) {
        if (server == null && cluster == null) {
            beforeAll(context); // registered on an instance field: start for this test
        }
        if (server != null && server.isControllable() && !server.isRunning()) {
            log.info("Restarting {} that an earlier test left stopped", server);
            server.start();
        }
        if (flushBeforeEach) {
            if (server != null) {
                server.flushAll();
            } else {
                cluster.masters().forEach(node -> node.server().ifPresent(RedisServer::flushAll));
            }
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (!context.getUniqueId().equals(ownerId)) {
            return;
        }
        try {
            if (server != null) {
                server.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            server = null;
            cluster = null;
            ownerId = null;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == RedisServer.class && clusterFactory == null
                || type == RedisCluster.class && clusterFactory != null;
    }

    @Override
    public synchronized Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (server == null && cluster == null) {
            throw new ParameterResolutionException("the Redis server is not started: register RedisExtension on a"
                    + " static field or with @ExtendWith");
        }
        return parameter.getParameter().getType() == RedisServer.class ? server : cluster;
    }
}
