package dev.nearcache.core;

import dev.nearcache.internal.RedisErrors;
import dev.nearcache.internal.RedisUris;
import dev.nearcache.invalidation.InvalidationHandler;
import dev.nearcache.invalidation.InvalidationListener;
import dev.nearcache.invalidation.InvalidationMessages;
import dev.nearcache.loader.spi.BatchObserver;
import dev.nearcache.loader.BatchingLoader;
import dev.nearcache.loader.spi.DataConnection;
import dev.nearcache.loader.spi.DataConnectionListener;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.resource.ClientResources;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Redis node as the cache uses it: the batching loader whose data connections read from it, the invalidation
 * listener connected to it, and the tracking state ({@link CoherenceGuard.Node}) that ties the two together. A
 * standalone cache has one; over a cluster there is one per master, because client ids and tracking tables are
 * per node and a data connection may only redirect to a client on its own node.
 *
 * <p>Every event of the node's connections is turned into the cache's rule 3, 4 and 9 actions here, driving the
 * {@link LocalStore}, which does the storing, evicting and flushing; nothing here calls the facade. After
 * {@link #close()} the shard's events are ignored: a retired node's connections closing is not news.
 *
 * <p><b>Tracking modes</b> ({@link TrackingMode}). With REDIRECT the node has an invalidation listener, whose client
 * id every data connection redirects to. With SAME_CONNECTION there is none: each data connection tracks its own
 * reads over RESP3 and its invalidations arrive on it as push messages, decoded inline, in order with its replies
 * (Lettuce hands a push to its listeners before it decodes the reply behind it). The rules then hold per
 * connection: rule 1 as before, with "the redirect id" being the connection itself ({@link #SAME_CONNECTION_ID});
 * rule 2's placeholder is still needed (a batch is stored only after its TTL scripts answer, and another client's
 * write may run between the MGET and them); rule 3 for a connection's loss as before; rule 5 is a heartbeat on every
 * data connection ({@link #heartbeat}). See docs/DESIGN.md, which argues each.
 *
 * <p><b>Redis Sentinel</b> (rule 11 of docs/DESIGN.md): a data connection's tracking is confirmed only if {@code ROLE}
 * said master and, with REDIRECT, {@code INFO server} gave the run_id of the listener's server; {@link SentinelWatch}
 * turns a sentinel's {@code +switch-master} into a flush and a reconnect of every connection of the node.
 */
final class NodeShard<K, V> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeShard.class);

    /** What the shard needs from the routing around it. */
    interface Routes {
        /** Whether the shard's node serves {@code key} now (its slot is routed to it and not being migrated). */
        boolean serves(NodeShard<?, ?> shard, Object key);

        /** Trouble on the node's connections: look at the topology again (cluster). */
        void connectionLost(NodeShard<?, ?> shard);

        /** Redis Sentinel: the master changed; connections of the routing's own to the old one must go too. */
        default void masterSwitched(NodeShard<?, ?> shard) {
        }
    }

    /**
     * The "redirect id" of SAME_CONNECTION mode for rule 1's bookkeeping ({@link CoherenceGuard.Node}): tracking is
     * confirmed for the connection itself. Never a client id (those are positive and far smaller).
     */
    static final long SAME_CONNECTION_ID = Long.MAX_VALUE;

    private final LocalStore<K, V> store;
    private final io.lettuce.core.codec.RedisCodec<K, V> codec;
    private final String endpoint;
    /** Opt-in caching: tracking is registered with OPTIN (see {@code NearCacheBuilder.cachedPrefixes}). */
    private final boolean optIn;
    /** Broadcast tracking of the cached prefixes (BCAST PREFIX ...), or null. */
    private final List<String> broadcastPrefixes;
    private final long heartbeatTimeoutNanos;
    /** The mode this node uses, decided when it connects (never AUTO). */
    private final TrackingMode mode;
    private ScheduledFuture<?> heartbeats;
    /** Redis Sentinel: the master is found through the sentinels, and may change (see the class comment). */
    private final boolean sentinel;
    /** Lettuce's computation threads: the same-connection heartbeats and the Sentinel reconnect pauses. */
    private final java.util.concurrent.ScheduledExecutorService timer;
    private SentinelWatch sentinelWatch;
    /** Sentinel: the run_id of the server the invalidation listener is on, while it is ready. */
    private volatile String listenerRunId;
    /** Sentinel: the master the last {@code +switch-master} named, so each switch is acted on once. */
    private volatile String switchedTo;
    /** Per data connection: whether a heartbeat PING is outstanding. */
    private final AtomicBoolean[] beating;
    private final CoherenceGuard.Node tracking;
    private final Routes routes;
    private final BatchingLoader<K, V> loader;
    private final InvalidationListener<K> listener;
    private final AtomicLong readies = new AtomicLong();
    /** A loss happened since caching last worked on every data connection; cleared when it works again. */
    private volatile boolean resumeToAnnounce;
    /** The server's refusal of CLIENT TRACKING, if it refused (a missing permission): fails the build. */
    private volatile String trackingRefusal;
    private volatile boolean closed;

    /**
     * Connects the node's data connections and its invalidation connection (and waits for the latter).
     *
     * @throws RuntimeException from Lettuce if the node cannot be reached; nothing is left open then
     */
    NodeShard(LocalStore<K, V> store, NearCacheSettings<K, V> settings, RedisURI uri, ClientResources resources,
              boolean cluster, Routes routes) {
        this.store = store;
        this.codec = settings.codec();
        this.endpoint = RedisUris.describe(uri);
        this.routes = routes;
        this.broadcastPrefixes = settings.broadcast() ? settings.cachedPrefixes() : null;
        this.optIn = !settings.cachedPrefixes().isEmpty() && !settings.broadcast();
        this.heartbeatTimeoutNanos = settings.heartbeatTimeout().toNanos();
        this.sentinel = !cluster && RedisUris.isSentinel(uri);
        this.timer = resources.eventExecutorGroup();
        this.tracking = new CoherenceGuard.Node(settings.connections(), key -> routes.serves(this, key));
        this.beating = new AtomicBoolean[settings.connections()];
        for (int i = 0; i < beating.length; i++) {
            beating[i] = new AtomicBoolean();
        }
        BatchingLoader<K, V> builtLoader = null;
        InvalidationListener<K> builtListener = null;
        try {
            SocketOptions sockets = SocketSettings.options(settings.connectTimeout());
            var loaderBuilder = BatchingLoader.builder().codec(settings.codec()).redisUri(uri).clientResources(resources)
                    .connections(settings.connections()).maxBatchSize(settings.batchSize())
                    .commandTimeout(settings.commandTimeout())
                    .connectTimeout(settings.connectTimeout()).socketOptions(sockets).readTtls(settings.serverTtl())
                    .failFastWhenDisconnected(settings.failFastWhenDisconnected()).sslOptions(settings.sslOptions())
                    .requireResp3(settings.trackingMode() == TrackingMode.SAME_CONNECTION)
                    .groupBySlot(cluster).clientName(settings.clientName("data")).observer(new Observer())
                    .listener(new DataConnectionEvents());
            KeyPrefixes<K> cachedKeys = settings.cachedKeys();
            if (cachedKeys != null && optIn) {
                loaderBuilder.optIn(cachedKeys); // CLIENT CACHING YES before each MGET of keys that may be kept
            }
            builtLoader = loaderBuilder.build();
            this.loader = builtLoader;
            for (DataConnection<K, V> connection : loader.connections()) {
                connection.commands().addListener(new Pushes(connection));
            }
            this.mode = NodeProbes.decideMode(settings.trackingMode(), loader.connections(), settings.connectTimeout(),
                    endpoint);
            if (mode == TrackingMode.REDIRECT) {
                builtListener = InvalidationListener.builder().keyCodec(settings.codec()).redisUri(uri)
                        .clientResources(resources).clientName(settings.clientName("invalidation"))
                        .heartbeatInterval(settings.heartbeatInterval())
                        .heartbeatTimeout(settings.heartbeatTimeout()).reconnectDebounce(settings.reconnectDebounce())
                        .connectTimeout(settings.connectTimeout()).handshakeTimeout(settings.handshakeTimeout())
                        .socketOptions(sockets).sslOptions(settings.sslOptions()).readServerRunId(sentinel)
                        .invalidationsOnIoThread(true) // evicted where decoded: no hand-off (the staleness window)
                        .handler(new Invalidations()).build();
            } else {
                tracking.redirectTo(SAME_CONNECTION_ID); // each connection is its own target from now on
                for (DataConnection<K, V> connection : loader.connections()) {
                    if (connection.isOpen()) {
                        enableTracking(connection);
                    }
                }
                long interval = settings.heartbeatInterval().toNanos();
                heartbeats = timer.scheduleAtFixedRate(this::heartbeat, interval, interval, TimeUnit.NANOSECONDS);
            }
            this.listener = builtListener;
            if (sentinel) {
                sentinelWatch = new SentinelWatch(uri, resources, settings, this::masterSwitched);
            }
            verifyPermissions(settings);
            log.info("near cache tracking on {}: {}{}{}", endpoint, mode == TrackingMode.REDIRECT
                            ? "REDIRECT to invalidation connection " + builtListener.clientId().orElse(-1)
                            : "SAME_CONNECTION (each data connection receives its own invalidations)",
                    settings.trackingMode() == TrackingMode.AUTO ? " (chosen by AUTO)" : "",
                    broadcastPrefixes != null ? ", BCAST of prefixes " + broadcastPrefixes
                            : optIn ? ", OPTIN of prefixes " + settings.cachedPrefixes() : "");
        } catch (RuntimeException e) {
            closed = true;
            if (heartbeats != null) {
                heartbeats.cancel(false);
            }
            if (sentinelWatch != null) {
                sentinelWatch.close();
            }
            if (builtListener != null) {
                builtListener.close();
            }
            if (builtLoader != null) {
                builtLoader.close();
            }
            throw e;
        }
    }

    /**
     * Least privilege, checked at start: a user that may not run a command the cache needs fails the build, naming
     * it, instead of building a cache that never caches (no {@code client|tracking}) or whose every read fails (no
     * {@code mget}). The probes read one key; a user whose key patterns exclude it is fine (the refusal then names
     * the key, not the command, and Redis checks commands first). Also waits, within the connect timeout, until
     * every data connection has confirmed tracking.
     */
    private void verifyPermissions(NearCacheSettings<K, V> settings) {
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        Set<String> refused = NodeProbes.refusedCommands(settings, loader.connections().get(0), deadline, endpoint);
        while (trackingRefusal == null && !tracking.allTracked(loader.connections())
                && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        String trackingAnswer = trackingRefusal;
        if (trackingAnswer != null && !RedisErrors.permission(trackingAnswer)) {
            // not a permission: the server does not offer what was asked (REDIRECT, BCAST, OPTIN, RESP3 pushes)
            throw new NearCacheConfigurationException("Redis at " + endpoint + " refused " + registration(
                    tracking.redirectId()) + ": " + trackingAnswer + (mode == TrackingMode.REDIRECT
                    ? ". For a server without REDIRECT use trackingMode(AUTO) or SAME_CONNECTION"
                    + " (NEARCACHE_TRACKING_MODE)" : ""));
        }
        if (trackingAnswer != null) {
            refused.add(trackingAnswer);
        }
        if (!refused.isEmpty()) {
            throw new NearCacheConfigurationException("the Redis user at " + endpoint + " lacks permissions the near"
                    + " cache needs: " + String.join("; ", refused) + ". It needs +mget +client|tracking +client|id"
                    + " +ping" + (settings.serverTtl() ? " +eval +pttl" : "") + (sentinel ? " +role +info" : "")
                    + " (and +set +del to write); see the"
                    + " least-privilege ACL in docs/operating.md");
        }
    }

    String endpoint() {
        return endpoint;
    }

    CompletableFuture<V> load(K key) {
        return loader.load(key);
    }

    BatchingLoader<K, V> loader() {
        return loader;
    }

    void detach(K key) {
        loader.detach(key);
    }

    /**
     * The node's invalidation barrier (see {@link Routing#invalidationBarrier()}): its listener's, or in
     * SAME_CONNECTION mode a PING on every data connection, each answered after the invalidations Redis wrote on it
     * before, which were applied on its I/O thread as they were decoded. False if a data connection is not tracked.
     */
    CompletableFuture<Boolean> invalidationBarrier() {
        if (closed) {
            return CompletableFuture.completedFuture(false);
        }
        if (mode == TrackingMode.REDIRECT) {
            return listener.barrier();
        }
        List<DataConnection<K, V>> connections = loader.connections();
        CompletableFuture<?>[] pongs = new CompletableFuture<?>[connections.size()];
        for (int i = 0; i < pongs.length; i++) {
            pongs[i] = connections.get(i).commands().async().ping().toCompletableFuture();
        }
        return CompletableFuture.allOf(pongs).handle((ok, failure) -> failure == null && invalidationsReady());
    }

    /** Whether reads from this node are cached now: invalidations arrive and every data connection is tracked. */
    boolean invalidationsReady() {
        return !closed && (mode != TrackingMode.REDIRECT || listener.isReady())
                && tracking.allTracked(loader.connections());
    }

    /** The tracking mode this node uses (never AUTO). */
    TrackingMode mode() {
        return mode;
    }

    boolean isClosed() {
        return closed;
    }

    // ---- batches (rules 1 and 2, through the guard) -----------------------------------------------------------

    private final class Observer implements BatchObserver<K, V, LocalStore.Sent> {
        @Override
        public LocalStore.Sent beforeSend(DataConnection<K, V> connection, List<K> keys) {
            return store.beforeSend(tracking, connection, keys);
        }

        @Override
        public void onReply(LocalStore.Sent context, List<K> keys, List<V> values, long[] ttls, Throwable failure) {
            store.onReply(context, keys, values, ttls, failure);
        }

        @Override
        public void onRetry(LocalStore.Sent context, List<K> keys, Throwable failure) {
            store.onRetry(context, keys);
        }
    }

    // ---- connection events (rules 3 and 4) --------------------------------------------------------------------

    private final class DataConnectionEvents implements DataConnectionListener<K, V> {
        /**
         * Rule 4: re-register before anything else is sent. Runs inside Lettuce's activation, before it replays
         * buffered commands, so tracking is on for every read that follows; rule 1 still refuses to store the
         * replies of reads sent before the TRACKING reply confirmed it.
         */
        @Override
        public void activated(DataConnection<K, V> connection) {
            enableTracking(connection);
        }

        /** Rule 3: a data connection dropped, and its tracking is gone server-side. */
        @Override
        public void deactivated(DataConnection<K, V> connection) {
            tracking.trackingLost(connection.index());
            if (!closed) {
                resumeToAnnounce = true;
                store.flush(FlushReason.DATA_CONNECTION_LOST);
                routes.connectionLost(NodeShard.this);
            }
        }
    }

    private void enableTracking(DataConnection<K, V> connection) {
        long id = tracking.redirectId();
        if (id < 0) {
            return; // no invalidation connection: nothing may be cached until ready(id) enables tracking
        }
        long generation = connection.generation();
        var commands = connection.commands().async();
        commands.clientTracking(TrackingArgs.Builder.enabled(false)); // may be on with an old redirect id
        // Sentinel: which server this connection is on, asked before the registration on the same connection
        CompletableFuture<List<Object>> role = sentinel ? commands.role().toCompletableFuture() : null;
        CompletableFuture<String> info = sentinel ? commands.info("server").toCompletableFuture() : null;
        TrackingArgs args = TrackingArgs.Builder.enabled();
        if (id != SAME_CONNECTION_ID) {
            args.redirect(id);
        }
        if (broadcastPrefixes != null) {
            args.bcast().prefixes(broadcastPrefixes.toArray(String[]::new));
        } else if (optIn) {
            args.optin();
        }
        commands.clientTracking(args).whenComplete((ok, failure) -> {
            String elsewhere = failure == null && sentinel ? notOnTheMaster(role, info, id) : null;
            if (failure == null && elsewhere == null) {
                tracking.trackingConfirmed(connection, generation, id);
                announceResumeOnceTracked();
            } else if (!closed && connection.generation() == generation) {
                if (elsewhere != null) {
                    notConfirmedElsewhere(connection, generation, elsewhere);
                } else {
                    trackingFailed(connection, id, failure);
                }
            }
        });
    }

    /**
     * Sentinel: why a registration just confirmed by the server must not count, or null if it may: the connection
     * is not on a master, or (REDIRECT) not on the listener's server. A refused ROLE or INFO is a missing permission,
     * reported like a refused registration.
     */
    private String notOnTheMaster(CompletableFuture<List<Object>> role, CompletableFuture<String> info, long id) {
        List<Object> roleReply;
        String infoReply;
        try {
            roleReply = role.getNow(null);
            infoReply = info.getNow(null);
        } catch (java.util.concurrent.CompletionException e) {
            String message = String.valueOf(e.getCause().getMessage());
            if (RedisErrors.permission(message)) {
                trackingRefusal = message;
            }
            return "ROLE or INFO failed: " + message;
        }
        return NodeProbes.notOnTheMaster(roleReply, infoReply, id != SAME_CONNECTION_ID, listenerRunId);
    }

    /**
     * Sentinel: the connection is on another server than it must be (a replica, or an old master the sentinels have
     * not demoted yet): nothing read on it is cached (its tracking is not confirmed), and it reconnects after a pause,
     * finding the master through the sentinels again.
     */
    private void notConfirmedElsewhere(DataConnection<K, V> connection, long generation, String why) {
        log.info("data connection {} to {} is not on the master's server ({}); nothing read on it is cached, and it"
                + " reconnects", connection.index(), endpoint, why);
        resumeToAnnounce = true;
        timer.schedule(() -> {
            if (!closed && connection.generation() == generation && connection.isOpen()) {
                connection.reconnect();
            }
        }, 200, TimeUnit.MILLISECONDS);
    }

    /**
     * Sentinel: a sentinel announced that the master is now {@code address}. Whatever was read from the old one may
     * be stale from now on, as writes go to the new one: stop caching, flush, and drop every connection of the node,
     * which reconnect to the new master (rules 3 and 4 as for any loss). Every sentinel announces it; once is enough.
     */
    private void masterSwitched(String address) {
        if (closed || address.equals(switchedTo)) {
            return;
        }
        switchedTo = address;
        log.info("Redis Sentinel: {} is now at {}; flushing and reconnecting to it", endpoint, address);
        if (mode == TrackingMode.REDIRECT) {
            tracking.redirectTo(-1); // nothing more is stored until the listener is ready on the new master
        }
        store.flush(FlushReason.MASTER_SWITCHED);
        if (listener != null) {
            listener.reconnect();
        }
        for (DataConnection<K, V> connection : loader.connections()) {
            connection.reconnect();
        }
        routes.masterSwitched(this);
    }

    /** The registration as sent, for messages. */
    private String registration(long id) {
        return "CLIENT TRACKING ON" + (id == SAME_CONNECTION_ID ? "" : " REDIRECT " + id)
                + (broadcastPrefixes != null ? " BCAST" : optIn ? " OPTIN" : "");
    }

    /**
     * Rule 9: a tracking registration that did not get an answer means the connection is presumed broken (a
     * half-open link answers nothing, and never closes by itself): drop it, and it reconnects through the
     * activation hook, which registers again (rule 4); its loss flushes (rule 3). An error reply is the server
     * speaking over a working connection: reconnecting would not change its answer, and nothing read on the
     * connection is cached meanwhile (rule 1).
     */
    private void trackingFailed(DataConnection<K, V> connection, long id, Throwable failure) {
        if (failure instanceof RedisCommandExecutionException) {
            trackingRefusal = failure.getMessage();
            log.error("Redis at {} refused {} on data connection {}: {}; nothing read on it is cached", endpoint,
                    registration(id), connection.index(), failure.getMessage());
            return;
        }
        log.warn("{} got no answer on data connection {} to {} ({}); dropping the connection to reconnect",
                registration(id), connection.index(), endpoint, failure.toString());
        resumeToAnnounce = true;
        connection.reconnect();
    }

    /** Says "caching resumes" once, after a loss, when every data connection has confirmed tracking again. */
    private void announceResumeOnceTracked() {
        if (resumeToAnnounce && tracking.allTracked(loader.connections())) {
            resumeToAnnounce = false;
            log.info("near cache reads from {} are tracked on every data connection again; caching resumes",
                    endpoint);
        }
    }

    /**
     * The push messages of one data connection, on its I/O thread, in order with its replies: a
     * {@code tracking-redir-broken} (REDIRECT: the target is gone, rule 3), and in SAME_CONNECTION mode the
     * invalidations of its own reads. An invalidation is applied here, before the reply behind it is decoded, so no
     * reply read after the write it reports can be stored under a live placeholder (rule 2).
     */
    private final class Pushes implements PushListener {
        private final DataConnection<K, V> connection;

        Pushes(DataConnection<K, V> connection) {
            this.connection = connection;
        }

        @Override
        public void onPushMessage(PushMessage message) {
            if (closed) {
                return;
            }
            if ("tracking-redir-broken".equals(message.getType())) {
                // Rule 3: the redirect target is gone, invalidations for this connection's keys are dropped
                store.flush(FlushReason.TRACKING_REDIR_BROKEN);
            } else if (mode == TrackingMode.SAME_CONNECTION && InvalidationMessages.isInvalidation(message)) {
                List<K> keys;
                try {
                    keys = InvalidationMessages.keys(message, codec);
                } catch (RuntimeException e) {
                    log.warn("an invalidated key on data connection {} to {} could not be decoded; flushing",
                            connection.index(), endpoint, e);
                    store.flush(FlushReason.FLUSH_COMMAND);
                    return;
                }
                if (keys == null) {
                    store.flush(FlushReason.FLUSH_COMMAND); // Rule 3: FLUSHALL or FLUSHDB
                } else {
                    invalidated(keys);
                }
            }
        }
    }

    /** Rule 2: kills the token of a read still in flight and evicts; later reads send a request of their own. */
    private void invalidated(List<K> keys) {
        store.invalidated(keys);
        for (K key : keys) {
            loader.detach(key);
        }
    }

    /**
     * Rule 5 for SAME_CONNECTION mode, every heartbeat interval: a PING on each open data connection, unless one is
     * outstanding there; a PONG later than the heartbeat timeout (or a failed PING) means the connection may be
     * holding invalidations: it is dropped, so it reconnects, and its loss flushes (rule 3). A half-open data
     * connection is so found within one interval plus the timeout, even when nothing is read on it.
     */
    private void heartbeat() {
        if (closed) {
            return;
        }
        for (DataConnection<K, V> connection : loader.connections()) {
            AtomicBoolean outstanding = beating[connection.index()];
            if (!connection.isOpen() || !outstanding.compareAndSet(false, true)) {
                continue;
            }
            long generation = connection.generation();
            connection.commands().async().ping().toCompletableFuture()
                    .orTimeout(heartbeatTimeoutNanos, TimeUnit.NANOSECONDS).whenComplete((pong, failure) -> {
                        outstanding.set(false);
                        if (failure != null && !closed && connection.generation() == generation
                                && connection.isOpen()) {
                            log.warn("data connection {} to {} did not answer its heartbeat within {} ms ({});"
                                            + " dropping it to reconnect", connection.index(), endpoint,
                                    heartbeatTimeoutNanos / 1_000_000, failure.toString());
                            resumeToAnnounce = true;
                            connection.reconnect();
                        }
                    });
        }
    }

    private final class Invalidations implements InvalidationHandler<K> {
        @Override
        public void invalidated(List<K> keys) {
            NodeShard.this.invalidated(keys);
        }

        /** Rule 3: a NULL invalidation (FLUSHALL, FLUSHDB). */
        @Override
        public void flushed(String reason) {
            store.flush(FlushReason.FLUSH_COMMAND);
        }

        /** Rule 3: the invalidation connection dropped or its heartbeat (rule 5) timed out. */
        @Override
        public void lost(String reason) {
            tracking.redirectTo(-1); // degraded: this node's reads go to Redis, nothing of them is cached
            if (!closed) {
                resumeToAnnounce = true;
                store.flush(FlushReason.INVALIDATION_CONNECTION_LOST);
                routes.connectionLost(NodeShard.this);
            }
        }

        /** Rule 3: a change of the redirect id; then tracking is enabled again on every data connection. */
        @Override
        public void ready(long clientId, String serverRunId) {
            boolean first = readies.incrementAndGet() == 1;
            if (!first) {
                log.info("near cache invalidations from {} are back; tracking is registered again", endpoint);
                store.invalidationsBack();
            }
            String previous = listenerRunId;
            listenerRunId = serverRunId; // before the redirect: a registration compares with it (Sentinel)
            tracking.redirectTo(clientId);
            // the first registration has no earlier redirect to leave: its flush (an epoch step for reads sent
            // before it) is counted only if it empties something, as when a cluster gains a master
            boolean moved = previous != null && serverRunId != null && !previous.equals(serverRunId);
            store.flush(moved ? FlushReason.MASTER_SWITCHED : FlushReason.REDIRECT_CHANGED,
                    !first || store.size() > 0);
            for (DataConnection<K, V> connection : loader.connections()) {
                if (connection.isOpen()) {
                    enableTracking(connection);
                }
            }
        }
    }

    /**
     * The node's tracking table ({@code INFO stats}, {@code CONFIG GET tracking-table-max-keys}) asked on a data
     * connection; parts an ACL user may not read are unknown (-1), never a failure.
     */
    CompletableFuture<ServerTracking> serverTracking() {
        for (DataConnection<K, V> connection : loader.connections()) {
            if (connection.isOpen()) {
                var commands = connection.commands().async();
                CompletableFuture<String> info = commands.info("stats").toCompletableFuture()
                        .exceptionally(e -> null);
                CompletableFuture<Map<String, String>> config = commands.configGet("tracking-table-max-keys")
                        .toCompletableFuture().exceptionally(e -> null);
                return info.thenCombine(config, ServerTracking::parse);
            }
        }
        return CompletableFuture.completedFuture(ServerTracking.UNKNOWN);
    }

    /** The node's {@code CLUSTER NODES}, asked on a data connection (no new connection per look). */
    CompletableFuture<ClusterView> clusterView() {
        for (DataConnection<K, V> connection : loader.connections()) {
            if (connection.isOpen()) {
                return connection.commands().async().clusterNodes().toCompletableFuture().thenApply(ClusterView::parse);
            }
        }
        return CompletableFuture.failedFuture(new IllegalStateException("no data connection to " + endpoint));
    }

    /**
     * Closes the node's connections; pending loads fail with {@link IllegalStateException}. Nothing read from here
     * is stored any more (the redirect is dropped first). Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        if (heartbeats != null) {
            heartbeats.cancel(false);
        }
        if (sentinelWatch != null) {
            sentinelWatch.close();
        }
        tracking.redirectTo(-1);
        loader.close();
        if (listener != null) {
            listener.close();
        }
    }

    @Override
    public String toString() {
        return "NodeShard[" + endpoint + (closed ? ", closed" : "") + "]";
    }
}
