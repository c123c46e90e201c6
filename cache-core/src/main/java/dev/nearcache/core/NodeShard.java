package dev.nearcache.core;

import dev.nearcache.invalidation.InvalidationHandler;
import dev.nearcache.invalidation.InvalidationListener;
import dev.nearcache.loader.spi.BatchObserver;
import dev.nearcache.loader.BatchingLoader;
import dev.nearcache.loader.spi.DataConnection;
import dev.nearcache.loader.spi.DataConnectionListener;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.resource.ClientResources;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 */
final class NodeShard<K, V> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeShard.class);

    /** What the shard needs from the routing around it. */
    interface Routes {
        /** Whether the shard's node serves {@code key} now (its slot is routed to it and not being migrated). */
        boolean serves(NodeShard<?, ?> shard, Object key);

        /** Trouble on the node's connections: look at the topology again (cluster). */
        void connectionLost(NodeShard<?, ?> shard);
    }

    /** A single server: it serves every key, and a lost connection says nothing about topology. */
    static final Routes STANDALONE = new Routes() {
        @Override
        public boolean serves(NodeShard<?, ?> shard, Object key) {
            return true;
        }

        @Override
        public void connectionLost(NodeShard<?, ?> shard) {
        }
    };

    private final LocalStore<K, V> store;
    private final String endpoint;
    /** Opt-in caching: tracking is registered with OPTIN (see {@code NearCacheBuilder.cachedPrefixes}). */
    private final boolean optIn;
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
        this.endpoint = uri.getHost() + ":" + uri.getPort();
        this.routes = routes;
        this.optIn = !settings.cachedPrefixes().isEmpty();
        this.tracking = new CoherenceGuard.Node(settings.connections(), key -> routes.serves(this, key));
        BatchingLoader<K, V> builtLoader = null;
        InvalidationListener<K> builtListener = null;
        try {
            SocketOptions sockets = SocketSettings.options(settings.connectTimeout());
            var loaderBuilder = BatchingLoader.builder().codec(settings.codec()).redisUri(uri).clientResources(resources)
                    .connections(settings.connections()).maxBatchSize(settings.batchSize())
                    .commandTimeout(settings.commandTimeout())
                    .connectTimeout(settings.connectTimeout()).socketOptions(sockets).readTtls(settings.serverTtl())
                    .failFastWhenDisconnected(settings.failFastWhenDisconnected()).sslOptions(settings.sslOptions())
                    .groupBySlot(cluster).observer(new Observer()).listener(new DataConnectionEvents());
            KeyPrefixes<K> cachedKeys = settings.cachedKeys();
            if (cachedKeys != null) {
                loaderBuilder.optIn(cachedKeys); // CLIENT CACHING YES before each MGET of keys that may be kept
            }
            builtLoader = loaderBuilder.build();
            this.loader = builtLoader;
            for (DataConnection<K, V> connection : loader.connections()) {
                connection.commands().addListener(redirBrokenListener());
            }
            builtListener = InvalidationListener.builder().keyCodec(settings.codec()).redisUri(uri)
                    .clientResources(resources).heartbeatInterval(settings.heartbeatInterval())
                    .heartbeatTimeout(settings.heartbeatTimeout()).reconnectDebounce(settings.reconnectDebounce())
                    .connectTimeout(settings.connectTimeout()).socketOptions(sockets).sslOptions(settings.sslOptions())
                    .handler(new Invalidations()).build();
            this.listener = builtListener;
            verifyPermissions(settings);
        } catch (RuntimeException e) {
            closed = true;
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
    @SuppressWarnings("unchecked") // a one-key K[] for the varargs mget and eval: a probe of K's codec, never kept
    private void verifyPermissions(NearCacheSettings<K, V> settings) {
        K probe = settings.codec().decodeKey(StandardCharsets.UTF_8.encode("nearcache:permission-probe"));
        var commands = loader.connections().get(0).commands().async();
        List<CompletableFuture<?>> probes = new ArrayList<>();
        probes.add(commands.mget(probe).toCompletableFuture());
        if (settings.serverTtl()) {
            probes.add(commands.eval(BatchingLoader.PTTL_SCRIPT,
                    ScriptOutputType.MULTI, probe).toCompletableFuture());
        }
        Set<String> refused = new LinkedHashSet<>();
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        for (CompletableFuture<?> f : probes) {
            try {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                String message = String.valueOf(e.getCause().getMessage());
                if (message.contains("NOPERM") && message.contains("run the")) {
                    refused.add(message.substring(message.indexOf("NOPERM")));
                } else if (message.contains("can't run this command")) { // a command the script calls
                    refused.add("the TTL script may not run PTTL (" + message.trim() + ")");
                }
            } catch (TimeoutException e) {
                break; // the connection is slow or stalled: rule 9 will see to it; nothing to conclude here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NearCacheException("interrupted while connecting to " + endpoint, e);
            }
        }
        while (trackingRefusal == null && !tracking.allTracked(loader.connections())
                && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        if (trackingRefusal != null) {
            refused.add(trackingRefusal);
        }
        if (!refused.isEmpty()) {
            throw new NearCacheConfigurationException("the Redis user at " + endpoint + " lacks permissions the near"
                    + " cache needs: " + String.join("; ", refused) + ". It needs +mget +client|tracking +client|id"
                    + " +ping" + (settings.serverTtl() ? " +eval +pttl" : "") + " (and +set +del to write); see the"
                    + " README's least-privilege ACL");
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

    /** Whether reads from this node are cached now: invalidations arrive and every data connection is tracked. */
    /** The node's invalidation listener's barrier (see {@link Routing#invalidationBarrier()}). */
    CompletableFuture<Boolean> invalidationBarrier() {
        return closed ? CompletableFuture.completedFuture(false) : listener.barrier();
    }

    boolean invalidationsReady() {
        return !closed && listener.isReady() && tracking.allTracked(loader.connections());
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
        TrackingArgs args = TrackingArgs.Builder.enabled().redirect(id);
        commands.clientTracking(optIn ? args.optin() : args).whenComplete((ok, failure) -> {
            if (failure == null) {
                tracking.trackingConfirmed(connection, generation, id);
                announceResumeOnceTracked();
            } else if (!closed && connection.generation() == generation) {
                trackingFailed(connection, id, failure);
            }
        });
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
            log.error("Redis at {} refused CLIENT TRACKING ON REDIRECT {} on data connection {}: {}; nothing read on"
                    + " it is cached", endpoint, id, connection.index(), failure.getMessage());
            return;
        }
        log.warn("CLIENT TRACKING ON REDIRECT {} got no answer on data connection {} to {} ({}); dropping the"
                + " connection to reconnect", id, connection.index(), endpoint, failure.toString());
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

    private PushListener redirBrokenListener() {
        return message -> {
            if ("tracking-redir-broken".equals(message.getType()) && !closed) {
                // Rule 3: the redirect target is gone, invalidations for this connection's keys are dropped
                store.flush(FlushReason.TRACKING_REDIR_BROKEN);
            }
        };
    }

    private final class Invalidations implements InvalidationHandler<K> {
        @Override
        public void invalidated(List<K> keys) {
            store.invalidated(keys); // rule 2: kills the token of a read still in flight
            for (K key : keys) {
                loader.detach(key); // later reads send a request of their own instead of joining one sent before
            }
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
        public void ready(long clientId) {
            boolean first = readies.incrementAndGet() == 1;
            if (!first) {
                log.info("near cache invalidations from {} are back; tracking is registered again", endpoint);
                store.invalidationsBack();
            }
            tracking.redirectTo(clientId);
            // the first registration has no earlier redirect to leave: its flush (an epoch step for reads sent
            // before it) is counted only if it empties something, as when a cluster gains a master
            store.flush(FlushReason.REDIRECT_CHANGED, !first || store.size() > 0);
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
