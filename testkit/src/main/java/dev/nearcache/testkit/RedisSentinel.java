package dev.nearcache.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A master with replicas watched by Redis Sentinels, started by {@link RedisServers#startSentinel(int, int)}: real
 * redis-server processes, the sentinels being the same binary in sentinel mode, all on loopback ports.
 *
 * <p>Failovers are real: {@link #failover()} asks a sentinel for one ({@code SENTINEL FAILOVER}), and killing
 * {@link #master()} makes the sentinels agree that it is down and promote a replica (about two seconds with the
 * kit's {@code down-after-milliseconds} of 1 s). A killed server started again comes back empty and as a master,
 * as a server without persistence does after a crash, until the sentinels turn it into a replica of the new master.
 *
 * <p>Thread-safe. {@link #close()} stops every process and deletes their directories.
 */
public final class RedisSentinel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisSentinel.class);
    /** The name the sentinels monitor the master under. */
    public static final String MASTER_NAME = "mymaster";
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);

    private final List<LocalRedisServer> servers;
    private final List<LocalRedisServer> sentinels;

    private RedisSentinel(List<LocalRedisServer> servers, List<LocalRedisServer> sentinels) {
        this.servers = List.copyOf(servers);
        this.sentinels = List.copyOf(sentinels);
    }

    static RedisSentinel start(SourceResolver.Choice choice, Map<String, String> config, int replicas,
                               int sentinelCount) {
        List<LocalRedisServer> servers = new ArrayList<>();
        List<LocalRedisServer> sentinels = new ArrayList<>();
        try {
            Map<String, String> serverConfig = new LinkedHashMap<>(config);
            serverConfig.putIfAbsent("repl-diskless-sync-delay", "0"); // replicas join (and rejoin) at once
            LocalRedisServer master = RedisServers.Builder.startLocal(choice, serverConfig);
            servers.add(master);
            for (int i = 0; i < replicas; i++) {
                Map<String, String> replicaConfig = new LinkedHashMap<>(serverConfig);
                replicaConfig.put("replicaof", master.host() + " " + master.port());
                servers.add(RedisServers.Builder.startLocal(choice, replicaConfig));
            }
            int quorum = sentinelCount / 2 + 1;
            for (int i = 0; i < sentinelCount; i++) {
                Map<String, String> sentinelConfig = new LinkedHashMap<>();
                sentinelConfig.put("sentinel monitor " + MASTER_NAME, master.host() + " " + master.port() + " "
                        + quorum);
                sentinelConfig.put("sentinel down-after-milliseconds " + MASTER_NAME, "1000");
                sentinelConfig.put("sentinel failover-timeout " + MASTER_NAME, "5000");
                sentinelConfig.put("sentinel parallel-syncs " + MASTER_NAME, "1");
                LocalRedisServer sentinel = new LocalRedisServer(choice.source(), choice.binary(), sentinelConfig, 0,
                        true);
                sentinels.add(sentinel);
                sentinel.start();
            }
            RedisSentinel group = new RedisSentinel(servers, sentinels);
            group.awaitHealthy(SETTLE_TIMEOUT);
            log.info("Redis Sentinel group is ok: master {}, {} replica(s), sentinels {}", master.uri(), replicas,
                    sentinels.stream().map(s -> s.host() + ":" + s.port()).collect(Collectors.joining(",")));
            return group;
        } catch (RuntimeException e) {
            sentinels.forEach(LocalRedisServer::close);
            servers.forEach(LocalRedisServer::close);
            throw e;
        }
    }

    /**
     * {@code redis-sentinel://127.0.0.1:<port>,127.0.0.1:<port>,...#mymaster}: what a client configures to follow
     * the master.
     */
    public String uri() {
        return "redis-sentinel://" + sentinels.stream().map(s -> s.host() + ":" + s.port())
                .collect(Collectors.joining(",")) + "#" + MASTER_NAME;
    }

    /** The sentinels' {@code host:port}, comma-separated. */
    public String sentinelNodes() {
        return sentinels.stream().map(s -> s.host() + ":" + s.port()).collect(Collectors.joining(","));
    }

    /** The sentinel processes. */
    public List<RedisServer> sentinels() {
        return List.copyOf(sentinels);
    }

    /** The data servers: the first master, then the replicas, whatever their roles are now. */
    public List<RedisServer> servers() {
        return List.copyOf(servers);
    }

    /** The server the sentinels name as master now (asked of the first sentinel that answers). */
    public RedisServer master() {
        int port = masterPort();
        return servers.stream().filter(s -> s.port() == port).findFirst()
                .orElseThrow(() -> new IllegalStateException("the sentinels name port " + port + " as master, which"
                        + " is none of " + servers));
    }

    private int masterPort() {
        RuntimeException last = null;
        for (LocalRedisServer sentinel : sentinels) {
            if (!sentinel.isRunning()) {
                continue;
            }
            try {
                List<?> address = (List<?>) sentinel.command(ADMIN_TIMEOUT, "SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                        MASTER_NAME);
                return Integer.parseInt(String.valueOf(address.get(1)));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no sentinel named a master", last);
    }

    /**
     * Asks a sentinel for a failover ({@code SENTINEL FAILOVER}, which needs no agreement) and waits until the
     * group has settled around the new master (see {@link #awaitHealthy}). The old master stays up, and the
     * sentinels turn it into a replica.
     *
     * @return the new master
     */
    public RedisServer failover() {
        int before = masterPort();
        sentinels.get(0).command(ADMIN_TIMEOUT, "SENTINEL", "FAILOVER", MASTER_NAME);
        await("a new master after SENTINEL FAILOVER", SETTLE_TIMEOUT, () -> masterPort() != before);
        awaitHealthy(SETTLE_TIMEOUT);
        return master();
    }

    /**
     * Waits until the group has settled: every sentinel runs and names the same master, that server says it is a
     * master and has every other running server as a connected replica, each of which is in sync, and every sentinel
     * knows the others and every replica.
     *
     * @throws IllegalStateException if that does not happen within {@code timeout}
     */
    public void awaitHealthy(Duration timeout) {
        await("the Sentinel group to settle", timeout, () -> {
            List<Integer> named = new ArrayList<>();
            for (LocalRedisServer sentinel : sentinels) {
                List<?> address = (List<?>) sentinel.command(ADMIN_TIMEOUT, "SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                        MASTER_NAME);
                named.add(Integer.parseInt(String.valueOf(address.get(1))));
                long others = ((List<?>) sentinel.command(ADMIN_TIMEOUT, "SENTINEL", "SENTINELS", MASTER_NAME))
                        .size();
                if (others != sentinels.size() - 1) {
                    return false;
                }
            }
            if (named.stream().distinct().count() != 1) {
                return false;
            }
            RedisServer master = master();
            long running = servers.stream().filter(LocalRedisServer::isRunning).count();
            Map<String, String> replication = LocalRedisServer.parseInfo((String) master.command(ADMIN_TIMEOUT,
                    "INFO", "replication"));
            if (!"master".equals(replication.get("role"))
                    || Long.parseLong(replication.getOrDefault("connected_slaves", "0")) != running - 1) {
                return false;
            }
            for (LocalRedisServer server : servers) {
                if (server != master && server.isRunning()) {
                    Map<String, String> info = LocalRedisServer.parseInfo((String) server.command(ADMIN_TIMEOUT,
                            "INFO", "replication"));
                    if (!"slave".equals(info.get("role")) || !"up".equals(info.get("master_link_status"))
                            || !Objects.equals(info.get("master_port"), Integer.toString(master.port()))) {
                        return false;
                    }
                }
            }
            for (LocalRedisServer sentinel : sentinels) {
                long known = ((List<?>) sentinel.command(ADMIN_TIMEOUT, "SENTINEL", "REPLICAS", MASTER_NAME)).stream()
                        .filter(r -> !String.valueOf(r).contains("s_down")).count();
                if (known < running - 1) {
                    return false;
                }
            }
            return true;
        });
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        // a server restarting, a sentinel electing (a reply of another shape): ask again
        LocalRedisServer.await(what, timeout, condition, RuntimeException.class);
    }

    /** Stops every sentinel and server and deletes their directories. Idempotent. */
    @Override
    public void close() {
        sentinels.forEach(LocalRedisServer::close);
        servers.forEach(LocalRedisServer::close);
    }

    @Override
    public String toString() {
        return "RedisSentinel[" + uri() + "]";
    }
}
