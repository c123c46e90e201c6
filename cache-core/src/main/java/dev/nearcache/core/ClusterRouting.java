package dev.nearcache.core;

import dev.nearcache.internal.Connections;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.protocol.ConnectionIntent;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * A Redis Cluster: one {@link NodeShard} per master (its data connections redirect their tracking to its own
 * invalidation connection), a slot table that sends each key's read to the shard of the master serving its slot,
 * and one Lettuce cluster connection for writes, for the topology, and for reads that meet a redirection.
 *
 * <p><b>Topology.</b> Every {@code topologyRefreshPeriod} the single topology thread asks each master for its
 * {@code CLUSTER NODES} over a data connection it holds anyway, and has Lettuce refresh its view when any master
 * sees a slot elsewhere than our table ({@link #checkViews}); a read that meets {@code MOVED} and a shard losing a
 * connection ask for a refresh at once. Lettuce also refreshes by itself: adaptively (on {@code MOVED}, {@code ASK}
 * and reconnects of its own connection) and every 30 s as a backstop (its refresh connects to every node anew, too
 * costly every second). Every change Lettuce reports, and every tick, makes the topology thread apply Lettuce's
 * view ({@link #apply}). When the slot-to-master map differs from the table in use, the new table is put in place,
 * shards are created for new masters and closed for masters that left, and the whole cache is flushed: a key's
 * tracking lives on the node that served its read, and after a move its writes go elsewhere (rule 10 of
 * docs/DESIGN.md). Entries are not flushed per node: the cache does not record which node served an entry,
 * and a move is rare enough that refilling is cheaper than the bookkeeping on every store.
 *
 * <p><b>Redirections.</b> A read answered with {@code MOVED}, {@code ASK} or {@code TRYAGAIN} (a slot moved or in
 * the middle of a migration) is read again through the cluster connection, which follows redirections, and is
 * returned but not cached; {@code MOVED} also asks for a topology refresh. A read whose shard was closed while it
 * waited (its master left) is routed again. Slots no shard serves (a master that could not be reached) are read
 * through the cluster connection, uncached, until a shard for them exists.
 */
final class ClusterRouting<K, V> implements Routing<K, V> {
    private static final Logger log = LoggerFactory.getLogger(ClusterRouting.class);

    /** How often Lettuce refreshes the topology by itself (it opens a connection to every node each time). */
    private static final Duration LETTUCE_REFRESH_BACKSTOP = Duration.ofSeconds(30);

    private final LocalStore<K, V> store;
    private final NearCacheSettings<K, V> settings;
    private final RedisCodec<K, V> codec;
    private final ClientResources resources;
    private final RedisURI seed;
    private final String endpoint;
    private final long commandTimeoutNanos;
    private final RedisClusterClient client;
    private final StatefulRedisClusterConnection<K, V> connection;
    private final ScheduledExecutorService topologyThread;
    private final Disposable topologyEvents;
    private final AtomicBoolean refreshQueued = new AtomicBoolean();

    /** Node id and address of each slot's master, as last applied; only the topology thread uses it. */
    private String[] owners;
    /** Shard of each slot's master; null where none is connected. Replaced whole, never changed. */
    private volatile NodeShard<K, V>[] table;
    /** Slots their master is migrating away. Replaced whole, never changed. */
    private volatile BitSet migrating = new BitSet();
    private final NodeShard.Routes routes = new NodeShard.Routes() {
        @Override
        public boolean serves(NodeShard<?, ?> shard, Object key) {
            return ClusterRouting.this.serves(shard, key);
        }

        @Override
        public void connectionLost(NodeShard<?, ?> shard) {
            requestRefresh();
        }
    };
    /** Shards by node id and address; only the topology thread (or the constructor) changes it. */
    private final Map<String, NodeShard<K, V>> shards = new HashMap<>();
    private volatile List<NodeShard<K, V>> allShards = List.of();
    private volatile boolean closed;

    ClusterRouting(LocalStore<K, V> store, NearCacheSettings<K, V> settings, ClientResources resources) {
        this.store = store;
        this.settings = settings;
        this.codec = settings.codec();
        this.resources = resources;
        this.seed = settings.redisUris().get(0);
        this.endpoint = settings.endpoint();
        this.commandTimeoutNanos = settings.commandTimeout().toNanos();
        List<RedisURI> seeds = settings.redisUris().stream()
                .map(u -> RedisURI.builder(u).withClientName(settings.clientName("writer"))
                        .withTimeout(settings.handshakeTimeout()).build())
                .toList();
        this.client = RedisClusterClient.create(resources, seeds);
        ClusterClientOptions.Builder options = ClusterClientOptions.builder();
        settings.clientOptions(options);
        client.setOptions(options
                .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        // a backstop: our own check (checkViews) runs every period on connections we hold
                        .enablePeriodicRefresh(LETTUCE_REFRESH_BACKSTOP.compareTo(settings.topologyRefreshPeriod()) > 0
                                ? LETTUCE_REFRESH_BACKSTOP : settings.topologyRefreshPeriod())
                        .adaptiveRefreshTriggersTimeout(settings.topologyRefreshPeriod()) // adaptive triggers: on by default
                        .build())
                .build());
        this.topologyThread = new ScheduledThreadPoolExecutor(1, Connections.daemonThreads("nearcache-topology"));
        StatefulRedisClusterConnection<K, V> built = null;
        Disposable subscription = null;
        try {
            built = client.connect(codec);
            this.connection = built;
            apply("start");
            subscription = resources.eventBus().get()
                    .filter(ClusterTopologyChangedEvent.class::isInstance)
                    .subscribe(event -> topologyThread.execute(() -> apply("topology change reported by Lettuce")));
            this.topologyEvents = subscription;
            long period = settings.topologyRefreshPeriod().toNanos();
            topologyThread.scheduleWithFixedDelay(() -> apply("periodic check"), period, period,
                    TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            closed = true;
            if (subscription != null) {
                subscription.dispose();
            }
            topologyThread.shutdownNow();
            shards.values().forEach(NodeShard::close);
            if (built != null) {
                built.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw e;
        }
        log.info("near cache routes {} slots to {} masters of {}", SlotHash.SLOT_COUNT, shards.size(), endpoint);
    }

    // ---- topology ---------------------------------------------------------------------------------------------

    /**
     * Brings the table in line with Lettuce's current view, in an order that keeps rule 1: when any slot has a new
     * master, a table that routes it to that master's shard (or, while that shard is not connected yet, to nobody,
     * so its reads are answered uncached) is put in place first, then everything is flushed; only then are shards
     * connected for new masters and closed for masters that left. Then the masters are asked which slots they are
     * migrating away, and a slot that started migrating flushes too (see {@link #checkViews}). Runs on the
     * topology thread (or in the constructor, before that thread starts).
     */
    private void apply(String why) {
        if (closed) {
            return;
        }
        try {
            String[] next = new String[SlotHash.SLOT_COUNT];
            Map<String, RedisClusterNode> masters = new LinkedHashMap<>();
            for (RedisClusterNode node : client.getPartitions()) {
                if (!node.getRole().isUpstream() || node.hasNoSlots() || node.getUri() == null) {
                    continue;
                }
                String key = node.getNodeId() + "@" + node.getUri().getHost() + ":" + node.getUri().getPort();
                masters.put(key, node);
                for (int slot : node.getSlots()) {
                    next[slot] = key;
                }
            }
            boolean first = owners == null;
            if (first || !Arrays.equals(owners, next)) {
                owners = next;
                table = tableOf(next); // a new master's slots route to nobody until its shard is connected
                if (!first) {
                    // rule 10: keys of moved slots were tracked on nodes that no longer get their writes
                    store.flush(FlushReason.TOPOLOGY_CHANGED);
                    log.info("cluster topology changed ({}): {} masters now serve the slots", why, masters.size());
                }
            }
            boolean connected = false;
            for (Map.Entry<String, RedisClusterNode> master : masters.entrySet()) {
                if (!shards.containsKey(master.getKey())) {
                    connected |= connect(master.getKey(), master.getValue());
                }
            }
            if (connected) {
                table = tableOf(owners); // slots that routed to nobody held nothing cached: no flush needed
            }
            retire(masters.keySet());
            allShards = List.copyOf(shards.values());
            checkViews();
        } catch (RuntimeException e) {
            log.warn("could not apply the cluster topology ({}): {}", why, e.toString());
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private NodeShard<K, V>[] tableOf(String[] slotOwners) {
        NodeShard<K, V>[] next = new NodeShard[SlotHash.SLOT_COUNT];
        for (int slot = 0; slot < next.length; slot++) {
            next[slot] = slotOwners[slot] == null ? null : shards.get(slotOwners[slot]);
        }
        return next;
    }

    private boolean connect(String key, RedisClusterNode node) {
        RedisURI address = node.getUri();
        RedisURI uri = RedisURI.builder(seed).withHost(address.getHost()).withPort(address.getPort()).build();
        try {
            NodeShard<K, V> shard = new NodeShard<>(store, settings, uri, resources, true, routes);
            shards.put(key, shard);
            log.info("near cache connected to cluster master {}", shard.endpoint());
            return true;
        } catch (RuntimeException e) {
            log.warn("could not connect to cluster master {}:{}; its slots are read uncached until it can be: {}",
                    address.getHost(), address.getPort(), e.toString());
            return false;
        }
    }

    /**
     * Asks every master for its {@code CLUSTER NODES} on a data connection we hold anyway (Lettuce's own refresh
     * opens a connection to every node each time, too costly to run every second from every client). If any
     * master sees a slot served by another node than our table says, Lettuce is asked for a fresh view, which
     * {@link #apply} then follows. And a slot being migrated away answers {@code ASK} for keys its master does not
     * have, so a write of such a key lands on the importing master, which never tracked our read of it: a key
     * cached as absent would stay so. When a slot starts migrating, no read of it is stored any more
     * ({@link #serves}) and everything is flushed, so the bound for such keys is one topology refresh period
     * after the migration began.
     */
    private void checkViews() {
        BitSet now = new BitSet();
        boolean differs = false;
        for (NodeShard<K, V> shard : allShards) {
            try {
                ClusterView view = shard.clusterView().get(commandTimeoutNanos, TimeUnit.NANOSECONDS);
                now.or(view.migrating);
                differs |= !sameOwners(view.owners);
            } catch (Exception e) {
                now.or(migrating); // cannot tell: keep what we knew
                log.debug("could not ask {} for its view of the cluster: {}", shard.endpoint(), e.toString());
            }
        }
        if (differs) {
            requestRefresh();
        }
        if (now.equals(migrating)) {
            return;
        }
        BitSet started = (BitSet) now.clone();
        started.andNot(migrating);
        migrating = now; // before the flush: a send that sees the flushed epoch sees this set
        if (!started.isEmpty()) {
            store.flush(FlushReason.TOPOLOGY_CHANGED);
            log.info("cluster slots {} are being migrated; reads of them are not cached until they have moved",
                    started);
        }
    }

    /** Whether a master's view gives every slot the owner our table gives it (node ids only). */
    private boolean sameOwners(String[] viewOwners) {
        for (int slot = 0; slot < viewOwners.length; slot++) {
            String ours = owners[slot];
            String theirs = viewOwners[slot];
            if (ours == null ? theirs != null : theirs == null || !ours.startsWith(theirs + "@")) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code shard} serves {@code key} now: its slot routes there and is not being migrated. */
    @SuppressWarnings("unchecked")
    private boolean serves(NodeShard<?, ?> shard, Object key) {
        NodeShard<K, V>[] current = table;
        int slot = SlotHash.getSlot(codec.encodeKey((K) key));
        return current != null && current[slot] == shard && !migrating.get(slot);
    }

    private void retire(Set<String> masters) {
        List<NodeShard<K, V>> retired = new ArrayList<>();
        shards.entrySet().removeIf(entry -> {
            if (masters.contains(entry.getKey())) {
                return false;
            }
            retired.add(entry.getValue());
            return true;
        });
        for (NodeShard<K, V> shard : retired) {
            log.info("cluster master {} no longer serves slots; its connections are closed", shard.endpoint());
            shard.close(); // its waiting reads fail and are routed again (see recover)
        }
    }

    /** Asks Lettuce for a fresh view and applies it; at most one such request waits at a time. */
    private void requestRefresh() {
        if (closed || !refreshQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            topologyThread.execute(() -> {
                refreshQueued.set(false);
                try {
                    client.refreshPartitionsAsync().toCompletableFuture()
                            .get(settings.topologyCheckTimeout().toNanos(), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    log.debug("cluster topology refresh failed: {}", e.toString());
                }
                apply("refresh requested");
            });
        } catch (RuntimeException e) {
            refreshQueued.set(false); // closing
        }
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    @Override
    public CompletableFuture<V> load(K key) {
        return load(key, System.nanoTime() + commandTimeoutNanos);
    }

    private CompletableFuture<V> load(K key, long deadline) {
        return load(key, shardOf(key), deadline);
    }

    private CompletableFuture<V> load(K key, NodeShard<K, V> shard, long deadline) {
        if (shard == null) {
            return uncached(key);
        }
        return shard.load(key).exceptionallyCompose(failure -> recover(key, shard, failure, deadline));
    }

    private NodeShard<K, V> shardOf(K key) {
        return table[SlotHash.getSlot(codec.encodeKey(key))];
    }

    private CompletionStage<V> recover(K key, NodeShard<K, V> shard, Throwable failure, long deadline) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String message = cause.getMessage();
        if (cause instanceof RedisCommandExecutionException && message != null) {
            if (message.startsWith("MOVED ")) {
                requestRefresh();
                return uncached(key);
            }
            if (message.startsWith("ASK ") || message.startsWith("TRYAGAIN")) {
                return uncached(key); // the slot is being migrated
            }
        }
        if (shard.isClosed() && !closed && System.nanoTime() < deadline) {
            return load(key, deadline); // its master left while the read waited
        }
        return CompletableFuture.failedFuture(cause);
    }

    /** A read through the cluster connection, which follows MOVED and ASK; never stored (it is not tracked). */
    private CompletableFuture<V> uncached(K key) {
        return connection.async().get(key).toCompletableFuture();
    }

    @Override
    public CompletableFuture<Map<K, V>> loadAll(Collection<? extends K> keys) {
        Map<Object, K> distinct = new LinkedHashMap<>();
        for (K key : keys) {
            distinct.putIfAbsent(LocalStore.idOf(key), key);
        }
        // Each node's keys are queued in one step, so they leave in batches of up to batchSize keys; one by one, the
        // first key of a burst would leave alone and the rest in a second, smaller batch. Each key is then awaited
        // on its own (single flight: its load joins the queued read), so a key that moved is recovered alone.
        long deadline = System.nanoTime() + commandTimeoutNanos;
        Map<NodeShard<K, V>, List<K>> byShard = new LinkedHashMap<>();
        List<NodeShard<K, V>> shards = new ArrayList<>(distinct.size());
        for (K key : distinct.values()) {
            NodeShard<K, V> shard = shardOf(key);
            shards.add(shard);
            if (shard != null) {
                byShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(key);
            }
        }
        byShard.forEach((shard, group) -> {
            if (group.size() > 1) {
                shard.loader().loadAll(group); // its result arrives through each key's own load below
            }
        });
        List<CompletableFuture<V>> futures = new ArrayList<>(distinct.size());
        int at = 0;
        for (K key : distinct.values()) {
            futures.add(load(key, shards.get(at++), deadline));
        }
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).thenApply(ignored -> {
            Map<K, V> result = new LinkedHashMap<>(distinct.size() * 2);
            int i = 0;
            for (K key : distinct.values()) {
                result.put(key, futures.get(i++).join());
            }
            return result;
        });
    }

    @Override
    public void detach(K key) {
        for (NodeShard<K, V> shard : allShards) {
            shard.detach(key);
        }
    }

    // ---- writes -------------------------------------------------------------------------------------------------

    @Override
    public RedisClusterCommands<K, V> writer() {
        return connection.sync();
    }

    /**
     * Lettuce's cluster connection keeps one connection per node inside it: the one to the master of the key's slot
     * (every master's, without a key) has its socket dropped, and Lettuce reconnects it on the next command.
     */
    @Override
    public void writeTimedOut(K key) {
        Partitions partitions = connection.getPartitions();
        List<RedisClusterNode> masters = new ArrayList<>();
        if (key != null) {
            RedisClusterNode master = partitions.getMasterBySlot(SlotHash.getSlot(codec.encodeKey(key)));
            if (master != null) {
                masters.add(master);
            }
        } else {
            for (RedisClusterNode node : partitions) {
                if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                    masters.add(node);
                }
            }
        }
        for (RedisClusterNode master : masters) {
            try {
                Connections.dropSocket(connection.getConnection(master.getUri().getHost(), master.getUri().getPort(),
                        ConnectionIntent.WRITE));
            } catch (RuntimeException e) {
                log.debug("could not drop the write connection to {}: {}", master.getUri(), e.toString());
            }
        }
    }

    // ---- state ----------------------------------------------------------------------------------------------------

    @Override
    public CompletableFuture<ServerTracking> serverTracking() {
        return onEveryMaster(NodeShard::serverTracking).thenApply(ServerTracking::combine);
    }

    @Override
    public CompletableFuture<Boolean> invalidationBarrier() {
        return onEveryMaster(NodeShard::invalidationBarrier).thenApply(done -> !done.contains(Boolean.FALSE));
    }

    /** Asks every master's shard at once; completes with their answers when all have answered. */
    private <T> CompletableFuture<List<T>> onEveryMaster(Function<NodeShard<K, V>, CompletableFuture<T>> ask) {
        List<CompletableFuture<T>> answers = new ArrayList<>();
        for (NodeShard<K, V> shard : allShards) {
            answers.add(ask.apply(shard));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(done -> answers.stream().map(CompletableFuture::join).toList());
    }

    @Override
    public boolean invalidationsReady() {
        NodeShard<K, V>[] current = table;
        for (NodeShard<K, V> shard : current) {
            if (shard == null || !shard.invalidationsReady()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public TrackingMode trackingMode() {
        for (NodeShard<K, V> shard : allShards) {
            return shard.mode();
        }
        return TrackingMode.REDIRECT;
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    /** The masters' host:port the table routes to now (for tests and logs). */
    List<String> masters() {
        return allShards.stream().map(NodeShard::endpoint).sorted().toList();
    }

    @Override
    public void close() {
        closed = true;
        topologyEvents.dispose();
        topologyThread.shutdownNow();
        try {
            topologyThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shards.values().forEach(NodeShard::close);
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
