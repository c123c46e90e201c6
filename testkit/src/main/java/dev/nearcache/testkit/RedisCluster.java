package dev.nearcache.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Redis Cluster started by {@link RedisServers#startCluster(int, int)}: real redis-server processes, one
 * per node, each a {@link RedisServer} that can be stopped, killed and restarted on its port.
 *
 * <p>Thread-safe. {@link #close()} stops every node, reaps the processes and deletes their directories.
 */
public final class RedisCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(60);
    private static final int SLOTS = 16384;

    private final List<LocalRedisServer> servers;

    private RedisCluster(List<LocalRedisServer> servers) {
        this.servers = List.copyOf(servers);
    }

    static RedisCluster form(SourceResolver.Choice choice, Map<String, String> config, int masters, int replicas) {
        List<LocalRedisServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < masters * (1 + replicas); i++) {
                servers.add(RedisServers.Builder.startLocal(choice, config));
            }
            RedisCluster cluster = new RedisCluster(servers);
            cluster.assemble(masters, replicas);
            log.info("Redis Cluster of {} masters and {} replicas each is ok: {}", masters, replicas,
                    servers.stream().map(RedisServer::uri).collect(Collectors.joining(" ")));
            return cluster;
        } catch (RuntimeException e) {
            servers.forEach(LocalRedisServer::close);
            throw e;
        }
    }

    private void assemble(int masters, int replicas) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            LocalRedisServer server = servers.get(i);
            ids.add((String) admin(server, "CLUSTER", "MYID"));
            // distinct epochs up front, as redis-cli does, so the nodes need not resolve collisions first
            admin(server, "CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
        }
        for (int m = 0; m < masters; m++) {
            int from = m * SLOTS / masters;
            int to = (m + 1) * SLOTS / masters;
            String[] args = new String[2 + to - from];
            args[0] = "CLUSTER";
            args[1] = "ADDSLOTS";
            for (int slot = from; slot < to; slot++) {
                args[2 + slot - from] = Integer.toString(slot);
            }
            admin(servers.get(m), args);
        }
        LocalRedisServer first = servers.get(0);
        for (LocalRedisServer server : servers.subList(1, servers.size())) {
            admin(server, "CLUSTER", "MEET", first.host(), Integer.toString(first.port()));
        }
        await("every node to know all " + servers.size() + " nodes", FORM_TIMEOUT, () -> servers.stream()
                .allMatch(s -> {
                    List<ClusterNode> view = parseNodes((String) admin(s, "CLUSTER", "NODES"));
                    return view.size() == servers.size();
                }));
        for (int r = masters; r < servers.size(); r++) {
            String masterId = ids.get((r - masters) % masters);
            LocalRedisServer replica = servers.get(r);
            await("node " + replica.port() + " to accept CLUSTER REPLICATE", FORM_TIMEOUT, () -> {
                try {
                    admin(replica, "CLUSTER", "REPLICATE", masterId);
                    return true;
                } catch (RedisAdminException e) {
                    return false; // the master may not have propagated to this node yet
                }
            });
        }
        awaitHealthy(FORM_TIMEOUT, masters, masters * replicas);
    }

    /**
     * Waits until the cluster has settled: every running node reports {@code cluster_state:ok}, every running node
     * sees the same nodes in the same roles with the same slots and none of the running ones as failing, and every
     * replica's link to its master is up. Useful after a failover or a node restart.
     *
     * @throws IllegalStateException if that does not happen within {@code timeout}
     */
    public void awaitHealthy(Duration timeout) {
        awaitHealthy(timeout, -1, -1);
    }

    private void awaitHealthy(Duration timeout, int expectedMasters, int expectedReplicas) {
        await("the cluster to be healthy", timeout, () -> {
            List<LocalRedisServer> running = servers.stream().filter(RedisServer::isRunning).toList();
            if (running.isEmpty()) {
                return false;
            }
            Set<Integer> runningPorts = running.stream().map(RedisServer::port).collect(Collectors.toSet());
            Set<String> reference = null;
            for (LocalRedisServer server : running) {
                if (!((String) admin(server, "CLUSTER", "INFO")).contains("cluster_state:ok")) {
                    return false;
                }
                List<ClusterNode> view = parseNodes((String) admin(server, "CLUSTER", "NODES"));
                if (view.stream().anyMatch(n -> n.failing() && runningPorts.contains(n.port()))) {
                    return false;
                }
                List<ClusterNode> live = view.stream().filter(n -> !n.failing()).toList();
                long masters = live.stream().filter(n -> n.master() && n.slotCount() > 0).count();
                long replicas = live.stream().filter(n -> !n.master()).count();
                if (expectedMasters >= 0 && (masters != expectedMasters || replicas != expectedReplicas)) {
                    return false;
                }
                Set<String> summary = live.stream()
                        .map(n -> n.id() + " " + n.master() + " " + n.masterId() + " " + n.slotRanges())
                        .collect(Collectors.toSet());
                if (reference != null && !reference.equals(summary)) {
                    return false;
                }
                reference = summary;
                String replication = (String) admin(server, "INFO", "replication");
                if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Every node as the first reachable node sees the cluster now. */
    public List<ClusterNode> nodes() {
        for (LocalRedisServer server : servers) {
            if (server.isRunning()) {
                return parseNodes((String) admin(server, "CLUSTER", "NODES"));
            }
        }
        throw new IllegalStateException("no node of the cluster is running");
    }

    /** The nodes that are masters serving slots now. */
    public List<ClusterNode> masters() {
        return nodes().stream().filter(n -> n.master() && !n.failing() && n.slotCount() > 0).toList();
    }

    /** The nodes that are replicas now. */
    public List<ClusterNode> replicas() {
        return nodes().stream().filter(n -> !n.master() && !n.failing()).toList();
    }

    /** The servers behind the nodes, in start order (masters first). */
    public List<RedisServer> servers() {
        return Collections.unmodifiableList(servers);
    }

    /** {@code redis://host:port} of every node, to seed a cluster client. */
    public List<String> seedUris() {
        return servers.stream().map(RedisServer::uri).toList();
    }

    /** The Redis version of the nodes. */
    public String version() {
        return servers.get(0).version();
    }

    /** Where the node binaries come from. */
    public RedisSource source() {
        return servers.get(0).source();
    }

    /** Stops every node, reaps the processes and deletes their directories. Idempotent. */
    @Override
    public void close() {
        servers.forEach(LocalRedisServer::close);
    }

    @Override
    public String toString() {
        return "RedisCluster" + seedUris();
    }

    private List<ClusterNode> parseNodes(String text) {
        List<ClusterNode> nodes = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            String flags = f[2];
            if (flags.contains("handshake") || flags.contains("noaddr")) {
                continue;
            }
            String address = f[1];
            int at = address.indexOf('@');
            String hostPort = at < 0 ? address : address.substring(0, at);
            int colon = hostPort.lastIndexOf(':');
            String host = hostPort.substring(0, colon);
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            List<String> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (!f[i].startsWith("[")) {
                    slots.add(f[i]);
                }
            }
            Optional<RedisServer> server = servers.stream().filter(s -> s.port() == port)
                    .map(RedisServer.class::cast).findFirst();
            nodes.add(new ClusterNode(f[0], host, port, flags.contains("master"), "-".equals(f[3]) ? null : f[3],
                    List.copyOf(slots), flags.contains("fail"), server));
        }
        return nodes;
    }

    private static Object admin(RedisServer server, String... args) {
        return server.command(ADMIN_TIMEOUT, args);
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RedisAdminException e) {
                last = e; // a node restarting: try again until the deadline
            }
            LocalRedisServer.sleepQuietly(50);
        }
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what, last);
    }
}
