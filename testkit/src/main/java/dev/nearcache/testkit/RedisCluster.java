package dev.nearcache.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local Redis Cluster started by {@link RedisServers#startCluster(int, int)}: real redis-server processes, one
 * per node, each a {@link RedisServer} that can be stopped, killed and restarted on its port.
 *
 * <p>Tests of cluster-aware clients can also change the topology: {@link #addMaster()} adds an empty master and
 * {@link #migrateSlot(int, String)} moves a hash slot with its keys from one master to another, the way
 * {@code redis-cli --cluster reshard} does, so clients meet real {@code MOVED} and {@code ASK} redirections.
 *
 * <p>Thread-safe: topology changes ({@link #addMaster()}, {@link #migrateSlot}) are serialized; the queries may run
 * at any time. {@link #close()} stops every node, reaps the processes and deletes their directories.
 */
public final class RedisCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration FORM_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration RESHARD_TIMEOUT = Duration.ofSeconds(30);
    /** How long MIGRATE may wait on the target (its own timeout argument, in ms). */
    private static final int MIGRATE_TIMEOUT_MS = 5_000;
    /** How long the kit waits for a reply to one MIGRATE batch. */
    private static final Duration MIGRATE_CALL_TIMEOUT = Duration.ofSeconds(15);
    /** Keys per GETKEYSINSLOT / MIGRATE batch, as redis-cli's default pipeline. */
    private static final int MIGRATE_BATCH = 100;
    private static final int SLOTS = 16384;

    private final SourceResolver.Choice choice;
    private final Map<String, String> config;
    /** Start order: the nodes {@code form} started, then those {@link #addMaster()} added. */
    private final List<LocalRedisServer> servers;
    /** Serializes topology changes. */
    private final Object topology = new Object();
    private volatile boolean closed;

    private RedisCluster(SourceResolver.Choice choice, Map<String, String> config, List<LocalRedisServer> servers) {
        this.choice = choice;
        this.config = Map.copyOf(config);
        this.servers = new CopyOnWriteArrayList<>(servers);
    }

    static RedisCluster form(SourceResolver.Choice choice, Map<String, String> config, int masters, int replicas) {
        List<LocalRedisServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < masters * (1 + replicas); i++) {
                servers.add(RedisServers.Builder.startLocal(choice, config));
            }
            RedisCluster cluster = new RedisCluster(choice, config, servers);
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
            admin(server, "CLUSTER", "MEET", first.host(), Integer.toString(meetPort(first)));
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

    /**
     * Starts one more node, from the same source and with the same configuration as the others, makes it meet the
     * cluster and waits until every running node knows it and it reports {@code cluster_state:ok} itself (Redis
     * keeps a newly started master in the fail state for about two seconds, and until it has learnt who serves
     * every slot; before that it refuses the keys of a migration with {@code CLUSTERDOWN}). The new node is a
     * master that serves no slots yet, so {@link #masters()} lists it only once
     * {@link #migrateSlot(int, String) slots are migrated} to it; it does not make the cluster unhealthy.
     * {@link #close()} stops it with the others; {@link #servers()} lists it last.
     *
     * @return the new node as the cluster sees it
     * @throws IllegalStateException if the node cannot start or the cluster does not learn of it within 60 s (the
     *                               node is then stopped again), if no node of the cluster is running, or if the
     *                               cluster was closed
     */
    public ClusterNode addMaster() {
        synchronized (topology) {
            requireOpen();
            LocalRedisServer peer = servers.stream().filter(RedisServer::isRunning).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no node of the cluster is running to meet"));
            LocalRedisServer server = RedisServers.Builder.startLocal(choice, config);
            servers.add(server);
            if (closed) { // close() ran meanwhile and may have missed it
                server.close();
                requireOpen();
            }
            String id = null;
            try {
                id = (String) admin(server, "CLUSTER", "MYID");
                admin(server, "CLUSTER", "MEET", peer.host(), Integer.toString(meetPort(peer)));
                String newId = id;
                await("every node to know the new node " + newId + " on port " + server.port()
                        + ", and it to report cluster_state:ok", FORM_TIMEOUT,
                        () -> everyRunningNodeKnows(server, newId)
                                && ((String) admin(server, "CLUSTER", "INFO")).contains("cluster_state:ok"));
                ClusterNode node = parseNodes((String) admin(server, "CLUSTER", "NODES")).stream()
                        .filter(n -> n.id().equals(newId)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("node " + newId + " does not list itself"));
                log.info("Added master {} on {} to the cluster", id, server.uri());
                return node;
            } catch (RuntimeException e) {
                servers.remove(server);
                server.close();
                if (id != null) {
                    forgetQuietly(id);
                }
                throw e;
            }
        }
    }

    /** Whether every running node lists the node {@code id}, and {@code added} lists every node the others do. */
    private boolean everyRunningNodeKnows(LocalRedisServer added, String id) {
        Set<String> known = new HashSet<>();
        for (LocalRedisServer s : servers) {
            if (s == added || !s.isRunning()) {
                continue;
            }
            List<ClusterNode> view = parseNodes((String) admin(s, "CLUSTER", "NODES"));
            if (view.stream().noneMatch(n -> n.id().equals(id))) {
                return false;
            }
            view.forEach(n -> known.add(n.id()));
        }
        Set<String> seen = parseNodes((String) admin(added, "CLUSTER", "NODES")).stream().map(ClusterNode::id)
                .collect(Collectors.toSet());
        return seen.containsAll(known);
    }

    private void forgetQuietly(String id) {
        for (LocalRedisServer s : servers) {
            try {
                if (s.isRunning()) {
                    admin(s, "CLUSTER", "FORGET", id);
                }
            } catch (RedisAdminException e) {
                log.debug("CLUSTER FORGET {} on {} failed: {}", id, s.uri(), e.getMessage());
            }
        }
    }

    /**
     * Moves hash slot {@code slot} with all its keys from the master serving it to the master {@code targetNodeId},
     * as {@code redis-cli --cluster reshard} does, and waits until every running node sees the target serve it.
     * Equivalent to {@link #migrateSlot(int, String, Runnable) migrateSlot(slot, targetNodeId, () -> {})}.
     *
     * @throws IllegalArgumentException if {@code slot} is not in 0..16383, or no node has id {@code targetNodeId},
     *                                  or that node is not a master
     * @throws IllegalStateException    if the target is failing or not running, no running master serves the slot,
     *                                  or the cluster does not settle within 30 s
     * @throws RedisAdminException      if a node answers a step with an error or cannot be reached
     */
    public void migrateSlot(int slot, String targetNodeId) {
        migrateSlot(slot, targetNodeId, () -> { });
    }

    /**
     * Moves hash slot {@code slot} with all its keys from the master serving it to the master {@code targetNodeId},
     * with the resharding protocol {@code redis-cli} uses: {@code CLUSTER SETSLOT slot IMPORTING} on the target,
     * {@code CLUSTER SETSLOT slot MIGRATING} on the source, then {@code CLUSTER GETKEYSINSLOT} and
     * {@code MIGRATE ... REPLACE KEYS} in batches of 100 keys until the source holds none, and finally
     * {@code CLUSTER SETSLOT slot NODE} on the target, the source and every other running master. Then waits until
     * every running node sees the target serve the slot. Does nothing if the target serves it already.
     *
     * <p>If the source gives away its last slot it leaves {@link #masters()}, and Redis (with the default
     * {@code cluster-allow-replica-migration yes}) may turn it into a replica of the target: that happens when the
     * target's announcement reaches it before this method's {@code SETSLOT}, so tests must accept either outcome.
     *
     * <p>{@code betweenBatches} runs on the calling thread after each MIGRATE batch (not at all if the slot holds no
     * keys), while the slot is half moved: the source answers {@code ASK} for keys it no longer holds and for new
     * keys, and the target accepts them after {@code ASKING}; a test may read and write there to exercise a client.
     *
     * <p>If a step or the hook fails, the exception propagates and the slot stays half moved (MIGRATING on the source,
     * IMPORTING on the target); calling this method again with the same target resumes and completes the move.
     *
     * <p>The kit reads key names as UTF-8, so keys that are not valid UTF-8 cannot be migrated: the migration then
     * fails with an {@link IllegalStateException} instead of looping.
     *
     * @param slot           the hash slot, 0..16383; see {@link #slotOf(String)}
     * @param targetNodeId   the id of the master to move it to, e.g. from {@link #masters()} or {@link #addMaster()}
     * @param betweenBatches run after each batch of keys was moved
     * @throws IllegalArgumentException if {@code slot} is not in 0..16383, or no node has id {@code targetNodeId},
     *                                  or that node is not a master
     * @throws IllegalStateException    if the target is failing or not running, no running master serves the slot,
     *                                  the keys make no progress, or the cluster does not settle within 30 s
     * @throws RedisAdminException      if a node answers a step with an error or cannot be reached
     */
    public void migrateSlot(int slot, String targetNodeId, Runnable betweenBatches) {
        checkSlot(slot);
        Objects.requireNonNull(targetNodeId, "targetNodeId must not be null");
        Objects.requireNonNull(betweenBatches, "betweenBatches must not be null");
        synchronized (topology) {
            requireOpen();
            List<ClusterNode> view = nodes();
            ClusterNode target = view.stream().filter(n -> n.id().equals(targetNodeId)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown node id '" + targetNodeId
                            + "': the cluster has " + view.stream().map(n -> n.id() + " (" + n.port() + ")").toList()));
            if (!target.master()) {
                throw new IllegalArgumentException("node " + targetNodeId + " (port " + target.port()
                        + ") is a replica of " + target.masterId() + ", not a master: slots can only move to masters");
            }
            LocalRedisServer targetServer = local(target);
            if (target.failing() || !targetServer.isRunning()) {
                throw new IllegalStateException("target node " + targetNodeId + " (port " + target.port()
                        + ") is " + (target.failing() ? "failing" : "not running"));
            }
            ClusterNode source = view.stream().filter(n -> n.master() && !n.failing() && n.serves(slot))
                    .findFirst().orElseThrow(() -> new IllegalStateException("slot " + slot
                            + " is not served by any master that is not failing: " + view));
            if (source.id().equals(targetNodeId)) {
                log.debug("slot {} is already served by {}", slot, targetNodeId);
                return;
            }
            LocalRedisServer sourceServer = local(source);
            String slotArg = Integer.toString(slot);
            long started = System.nanoTime();

            admin(targetServer, "CLUSTER", "SETSLOT", slotArg, "IMPORTING", source.id());
            admin(sourceServer, "CLUSTER", "SETSLOT", slotArg, "MIGRATING", targetNodeId);
            int moved = 0;
            List<String> previous = List.of();
            while (true) {
                List<String> keys = keys(admin(sourceServer, "CLUSTER", "GETKEYSINSLOT", slotArg,
                        Integer.toString(MIGRATE_BATCH)));
                if (keys.isEmpty()) {
                    break;
                }
                if (keys.equals(previous)) {
                    throw new IllegalStateException("MIGRATE of slot " + slot + " to " + target.uri()
                            + " made no progress on keys " + keys + " (key names that are not UTF-8?);"
                            + " the slot stays MIGRATING on " + source.uri());
                }
                List<String> migrate = new ArrayList<>(List.of("MIGRATE", target.host(),
                        Integer.toString(target.port()), "", "0", Integer.toString(MIGRATE_TIMEOUT_MS), "REPLACE"));
                String password = password();
                if (password != null) {
                    migrate.add("AUTH");
                    migrate.add(password);
                }
                migrate.add("KEYS");
                migrate.addAll(keys);
                sourceServer.command(MIGRATE_CALL_TIMEOUT, migrate.toArray(String[]::new));
                moved += keys.size();
                previous = keys;
                betweenBatches.run();
            }
            // the target first, so that the slot is never served by nobody; then the source; then the rest
            admin(targetServer, "CLUSTER", "SETSLOT", slotArg, "NODE", targetNodeId);
            setSlotOwner(sourceServer, slotArg, targetNodeId);
            for (ClusterNode other : view) {
                if (other.master() && !other.failing() && !other.id().equals(targetNodeId)
                        && !other.id().equals(source.id()) && other.server().isPresent()
                        && other.server().get().isRunning()) {
                    setSlotOwner(other.server().get(), slotArg, targetNodeId);
                }
            }
            await("every node to see slot " + slot + " served by " + targetNodeId, RESHARD_TIMEOUT,
                    () -> everyRunningNodeSees(slot, targetNodeId));
            log.info("Migrated slot {} with {} keys from {} to {} in {} ms", slot, moved, source.uri(), target.uri(),
                    (System.nanoTime() - started) / 1_000_000);
        }
    }

    /**
     * {@code CLUSTER SETSLOT slot NODE owner} on a node other than the owner. A master that has just lost its last
     * slot may already have turned itself into a replica of the new owner (the gossip from the target can arrive
     * before this command; {@code cluster-allow-replica-migration} is on by default) and then refuses SETSLOT;
     * as redis-cli does, that is no error, since the node learns the owner from its master.
     */
    private static void setSlotOwner(RedisServer server, String slotArg, String ownerId) {
        try {
            admin(server, "CLUSTER", "SETSLOT", slotArg, "NODE", ownerId);
        } catch (RedisAdminException e) {
            if (!e.isServerReply() || !String.valueOf(e.getMessage()).contains("SETSLOT only with masters")) {
                throw e;
            }
            log.info("{} became a replica before CLUSTER SETSLOT {} NODE {} reached it", server.uri(), slotArg,
                    ownerId);
        }
    }

    private boolean everyRunningNodeSees(int slot, String ownerId) {
        for (LocalRedisServer s : servers) {
            if (!s.isRunning()) {
                continue;
            }
            for (ClusterNode n : parseNodes((String) admin(s, "CLUSTER", "NODES"))) {
                if (n.serves(slot) != n.id().equals(ownerId)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The hash slot of {@code key}, as Redis computes it: CRC16 (XMODEM) of the UTF-8 bytes modulo 16384, of only the
     * part between the first {@code '{'} and the next {@code '}'} when that part is not empty, so that keys like
     * {@code {user1}.name} and {@code {user1}.mail} share a slot. Computed locally, without a server.
     */
    public int slotOf(String key) {
        Objects.requireNonNull(key, "key must not be null");
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        int from = 0;
        int to = bytes.length;
        for (int open = 0; open < bytes.length; open++) {
            if (bytes[open] == '{') {
                for (int close = open + 1; close < bytes.length; close++) {
                    if (bytes[close] == '}') {
                        if (close > open + 1) {
                            from = open + 1;
                            to = close;
                        }
                        break;
                    }
                }
                break;
            }
        }
        return crc16(bytes, from, to) & (SLOTS - 1);
    }

    /** CRC16-CCITT as XMODEM: polynomial 0x1021, initial value 0, as in Redis' crc16.c. */
    static int crc16(byte[] bytes, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc ^= (bytes[i] & 0xff) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return crc & 0xffff;
    }

    /**
     * The master serving hash slot {@code slot} now, from {@link #masters()}.
     *
     * @throws IllegalArgumentException if {@code slot} is not in 0..16383
     * @throws IllegalStateException    if no master that is not failing serves it (e.g. during a failover)
     */
    public ClusterNode ownerOf(int slot) {
        checkSlot(slot);
        return masters().stream().filter(n -> n.serves(slot)).findFirst()
                .orElseThrow(() -> new IllegalStateException("slot " + slot + " is not served by any master now"));
    }

    private static void checkSlot(int slot) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot must be between 0 and " + (SLOTS - 1) + ", got " + slot);
        }
    }

    private static LocalRedisServer local(ClusterNode node) {
        return (LocalRedisServer) node.server().orElseThrow(() -> new IllegalStateException("node " + node.id()
                + " on port " + node.port() + " is not one of this cluster's servers"));
    }

    private static List<String> keys(Object reply) {
        List<String> keys = new ArrayList<>();
        for (Object key : (List<?>) reply) {
            keys.add((String) key);
        }
        return keys;
    }

    /** The {@code requirepass} of the nodes, which MIGRATE needs to log in on the target, or null. */
    private String password() {
        String value = config.get("requirepass");
        return value == null ? null : value.replaceAll("^\"|\"$", "");
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the cluster was closed");
        }
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

    /**
     * The servers behind the nodes, in start order: those the cluster formed with (masters first), then those
     * {@link #addMaster()} added. A live, read-only view.
     */
    public List<RedisServer> servers() {
        return Collections.unmodifiableList(servers);
    }

    /** {@code redis://host:port} of every node, to seed a cluster client. */
    public List<String> seedUris() {
        return servers.stream().map(RedisServer::uri).toList();
    }

    /** {@code rediss://localhost:tlsPort} of every node of a cluster started with TLS, to seed a TLS client. */
    public List<String> tlsSeedUris() {
        return servers.stream().map(s -> "rediss://localhost:" + s.tlsPort().orElseThrow(
                () -> new IllegalStateException("the cluster was started without TLS"))).toList();
    }

    /** With TLS on the bus, a node is met on its TLS port (its bus port is that + 10000). */
    private static int meetPort(RedisServer node) {
        return node.tlsPort().orElse(node.port());
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
        closed = true; // before the snapshot below: an addMaster() that adds later sees it and closes its node
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
        LocalRedisServer.await(what, timeout, condition, RedisAdminException.class); // a node restarting: again
    }
}
