package dev.nearcache.invalidation;

import dev.nearcache.internal.Connections;
import dev.nearcache.internal.RedisErrors;
import dev.nearcache.internal.RedisInfo;
import dev.nearcache.internal.RedisUris;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The invalidation connection.
 *
 * <p><b>Why nothing is lost silently.</b> Every connection lives in a {@link Session}. A session is <em>ready</em>
 * once Redis has told us its client id and, over RESP2, confirmed the subscription; only then is {@code ready(id)}
 * published, so no data connection can redirect to it earlier. Anything that could make us miss an invalidation
 * ends the session and publishes {@code lost}: the socket closing (Lettuce's auto-reconnect is off, so there is no
 * replay and no hidden window), a failed or late PING, a failed command. A new session with a new client id
 * follows; the old id is never reported again. The heartbeat sends a PING every interval and checks for its PONG
 * exactly {@code timeout} later, so a half-open link is declared lost at most interval + timeout after it went
 * silent.
 *
 * <p><b>Threads.</b> All state changes and all handler calls happen on one event thread (a single-threaded
 * scheduled executor), in submission order; Netty threads only decode and hand over.
 */
final class TrackingRedirectListener<K> implements InvalidationListener<K> {
    private static final Logger log = LoggerFactory.getLogger(TrackingRedirectListener.class);
    static final String CHANNEL = "__redis__:invalidate";
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final RedisCodec<K, ?> keyCodec;
    private final RedisURI uri;
    private final String endpoint;
    private final ProtocolVersion protocol;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final long debounceNanos;
    private final long maxBackoffNanos;
    private final boolean readServerRunId;
    private final boolean invalidationsOnIoThread;
    private final RedisClient client;
    private final ScheduledThreadPoolExecutor events;
    private final Thread[] eventThread = new Thread[1];
    private final List<InvalidationHandler<K>> handlers = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Long> firstReady = new CompletableFuture<>();

    // state, confined to the event thread (volatile where read from other threads)
    private volatile Session current;
    private volatile long readyId = -1;
    private volatile boolean closed;
    private int sessions;
    private int failures;
    private long lastAttemptNanos;
    private Throwable lastError;

    /** One connection, from connect to loss. */
    private final class Session {
        final int number;
        final KeyCollectingCodec<K> codec = new KeyCollectingCodec<>(keyCodec);
        StatefulRedisPubSubConnection<String, Object> connection;
        long clientId = -1;
        volatile String runId;
        volatile boolean ready;
        volatile boolean over;
        long readyNanos;
        long pingsSent;
        volatile long pongs;
        /** The I/O thread of its connection, as seen from callbacks that ran there (see {@link #barrierPing}). */
        volatile EventExecutor ioThread;
        ScheduledFuture<?> heartbeat;

        Session(int number) {
            this.number = number;
        }
    }

    private TrackingRedirectListener(InvalidationListenerBuilder<K> builder) {
        this.keyCodec = builder.keyCodec();
        this.uri = RedisUris.copyOf(builder.redisUri()).withClientName(builder.clientName())
                .withTimeout(builder.handshakeTimeout()).build(); // bounds the handshake of each attempt
        this.endpoint = RedisUris.describe(uri);
        this.protocol = builder.protocol();
        this.intervalNanos = builder.heartbeatInterval().toNanos();
        this.timeoutNanos = builder.heartbeatTimeout().toNanos();
        this.debounceNanos = builder.reconnectDebounce().toNanos();
        this.maxBackoffNanos = builder.maxReconnectBackoff().toNanos();
        this.readServerRunId = builder.readServerRunId();
        this.invalidationsOnIoThread = builder.invalidationsOnIoThread();
        this.handlers.addAll(builder.handlers());
        int instance = INSTANCES.incrementAndGet();
        ThreadFactory threads = Connections.daemonThreads("nearcache-invalidation-" + instance);
        this.events = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = threads.newThread(task);
            eventThread[0] = thread;
            return thread;
        });
        events.setRemoveOnCancelPolicy(true);
        events.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.client = builder.clientResources() == null ? RedisClient.create(uri)
                : RedisClient.create(builder.clientResources(), uri);
        client.setOptions(Connections.options(ClientOptions.builder(), builder.socketOptions(), builder.sslOptions(),
                        false)
                .autoReconnect(false) // we reconnect ourselves: a new session, a new id, no replayed commands
                .protocolVersion(protocol)
                .timeoutOptions(TimeoutOptions.enabled(builder.connectTimeout()))
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                onEventThread(() -> {
                    Session session = current;
                    if (session != null && session.connection == connection) {
                        end(session, "connection to " + endpoint + " closed");
                    }
                });
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                Session session = current; // the one connecting: a session connects once, after it became current
                if (session != null) {
                    session.ioThread = ThreadExecutorMap.currentExecutor(); // runs on the channel's I/O thread
                }
            }
        });
    }

    static <K> TrackingRedirectListener<K> start(InvalidationListenerBuilder<K> builder) {
        TrackingRedirectListener<K> listener = new TrackingRedirectListener<>(builder);
        listener.onEventThread(listener::connect);
        Duration timeout = builder.connectTimeout();
        try {
            listener.firstReady.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return listener;
        } catch (TimeoutException | ExecutionException e) {
            Throwable why = e instanceof ExecutionException ? e.getCause() : listener.lastError;
            listener.close();
            if (e instanceof ExecutionException) {
                throw new RedisConnectionException("Redis at " + listener.endpoint + " refused the invalidation"
                        + " listener: " + why.getMessage(), why);
            }
            throw new RedisConnectionException("the invalidation listener could not connect to Redis at "
                    + listener.endpoint + " within " + timeout + (why != null ? ": " + why.getMessage() : ""), why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            listener.close();
            throw new RedisConnectionException("interrupted while connecting the invalidation listener to "
                    + listener.endpoint, e);
        }
    }

    @Override
    public OptionalLong clientId() {
        long id = readyId;
        return id >= 0 ? OptionalLong.of(id) : OptionalLong.empty();
    }

    @Override
    public CompletableFuture<Boolean> barrier() {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        if (closed) {
            done.complete(false);
            return done;
        }
        onEventThread(() -> {
            Session session = current;
            if (closed || session == null || session.over || !session.ready) {
                done.complete(false);
                return;
            }
            barrierPing(session, done, 0);
        });
        if (closed) {
            done.complete(false); // closed meanwhile: the event thread may never run the task
        }
        return done;
    }

    private void noteIoThread(Session session) {
        if (session.ioThread == null) {
            EventExecutor here = ThreadExecutorMap.currentExecutor();
            if (here != null) {
                session.ioThread = here;
            }
        }
    }

    /**
     * The PONG is decoded after every invalidation Redis wrote before it, and each of those is handed to the event
     * thread as it is decoded. Over RESP2, Lettuce replays pub/sub messages that arrived while a command was
     * outstanding right after completing that command, in the same pass of its I/O thread: so the completion hops
     * over that thread once more before it is queued behind them, also when the PONG had already been decoded when
     * the callback was attached (it then runs here, and the connection's I/O thread is the one noted earlier).
     */
    private void barrierPing(Session session, CompletableFuture<Boolean> done, int attempt) {
        if (session.over || session != current) {
            done.complete(false);
            return;
        }
        session.connection.async().ping().whenComplete((pong, failure) -> {
            if (failure != null || closed) {
                done.complete(false);
                return;
            }
            EventExecutor ioThread = ThreadExecutorMap.currentExecutor();
            if (ioThread == null) {
                ioThread = session.ioThread; // completed before the callback was attached: run it here
            }
            if (ioThread == null) { // no callback of this connection has run on its I/O thread yet
                if (attempt < 3) {
                    onEventThread(() -> barrierPing(session, done, attempt + 1));
                } else {
                    done.complete(false);
                }
                return;
            }
            ioThread.execute(() -> onEventThread(() -> done.complete(session == current && !session.over)));
        });
    }


    @Override
    public void reconnect() {
        onEventThread(() -> {
            Session session = current;
            if (!closed && session != null && !session.over) {
                end(session, "asked to reconnect (the server behind " + endpoint + " changed)");
            }
        });
    }

    @Override
    public boolean isReady() {
        return readyId >= 0;
    }

    @Override
    public void addHandler(InvalidationHandler<K> handler) {
        java.util.Objects.requireNonNull(handler, "handler must not be null");
        onEventThread(() -> {
            handlers.add(handler);
            Session session = current;
            if (session != null && session.ready && !session.over) {
                call(handler, h -> h.ready(session.clientId, session.runId));
            }
        });
    }

    // ---- sessions (event thread) ------------------------------------------------------------------------------

    private void connect() {
        if (closed) {
            return;
        }
        Session session = new Session(++sessions);
        current = session;
        lastAttemptNanos = System.nanoTime();
        client.connectPubSubAsync(session.codec, uri).whenComplete((connection, failure) ->
                onEventThread(() -> connected(session, connection, failure)));
    }

    private void connected(Session session, StatefulRedisPubSubConnection<String, Object> connection,
                           Throwable failure) {
        if (failure != null) {
            lastError = failure;
            refusedAtStart(failure);
            log.debug("invalidation listener could not connect to {}: {}", endpoint, failure.toString());
            end(session, "connect failed: " + failure.getMessage());
            return;
        }
        session.connection = connection;
        if (closed || session != current || !connection.isOpen()) {
            end(session, "connection to " + endpoint + " closed while connecting");
            return;
        }
        if (protocol == ProtocolVersion.RESP3) {
            connection.addListener(new PushListener() {
                @Override
                public void onPushMessage(PushMessage message) {
                    if (InvalidationMessages.isInvalidation(message)) {
                        received(session, resp3Payload(message));
                    }
                }
            });
        } else {
            connection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, Object message) {
                    if (CHANNEL.equals(channel)) {
                        received(session, resp2Payload(session, message));
                    }
                }
            });
        }
        // CLIENT ID first: over RESP2 a subscribed connection may not send it. This connection never reconnects
        // (a reconnect is a new session), so nothing is ever replayed ahead of it.
        CompletionStage<Long> id = connection.async().clientId();
        if (readServerRunId) { // before SUBSCRIBE too: a subscribed RESP2 connection may not send INFO
            id = id.thenCombine(connection.async().info("server"), (clientId, info) -> {
                session.runId = RedisInfo.field(info, "run_id");
                return clientId;
            });
        }
        connection.async().dispatch(CommandType.CLIENT, new StatusOutput<>(session.codec),
                new CommandArgs<>(session.codec).add("NO-EVICT").add("ON")).exceptionally(e -> {
                    log.debug("CLIENT NO-EVICT is not available on {} (Redis before 7.0): {}", endpoint, e.toString());
                    return null;
                });
        CompletionStage<Long> ready = protocol == ProtocolVersion.RESP3 ? id
                : id.thenCombine(connection.async().subscribe(CHANNEL), (clientId, ignored) -> clientId);
        ready.whenComplete((clientId, error) -> onEventThread(() -> {
            if (error != null) {
                lastError = error;
                refusedAtStart(error);
                end(session, "setting up the connection failed: " + error.getMessage());
            } else {
                ready(session, clientId);
            }
        }));
    }

    /**
     * Before the first session was ever ready, a refusal by the server (a missing permission, wrong credentials)
     * will not change by retrying: {@link #start} fails at once, naming it, instead of after the connect timeout.
     */
    private void refusedAtStart(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (RedisErrors.is(t, "NOPERM", "WRONGPASS", "NOAUTH")) {
                firstReady.completeExceptionally(t);
                return;
            }
        }
    }

    private void ready(Session session, long clientId) {
        if (session != current || session.over || closed) {
            return;
        }
        session.clientId = clientId;
        session.ready = true;
        session.readyNanos = System.nanoTime();
        readyId = clientId;
        log.info("invalidation listener ready on {} as client id {} ({})", endpoint, clientId, protocol);
        deliver(h -> h.ready(clientId, session.runId));
        firstReady.complete(clientId);
        session.heartbeat = events.scheduleAtFixedRate(() -> beat(session), intervalNanos, intervalNanos,
                TimeUnit.NANOSECONDS);
    }

    /** Sends a PING unless one is outstanding, and checks for its PONG exactly one timeout later. */
    private void beat(Session session) {
        if (session.over || session.pongs < session.pingsSent) {
            return; // the outstanding PING's own check decides
        }
        long number = ++session.pingsSent;
        session.connection.async().ping().whenComplete((pong, failure) -> {
            noteIoThread(session);
            if (failure == null) {
                session.pongs = number;
            } else {
                onEventThread(() -> end(session, "heartbeat PING failed: " + failure.getMessage()));
            }
        });
        events.schedule(() -> {
            if (!session.over && session.pongs < number) {
                end(session, "heartbeat: no PONG within " + Duration.ofNanos(timeoutNanos));
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Ends a session: tells the handlers if it was ready, closes its connection, schedules the next attempt. */
    private void end(Session session, String reason) {
        if (session.over) {
            return;
        }
        session.over = true;
        if (session.heartbeat != null) {
            session.heartbeat.cancel(false);
        }
        if (session.connection != null) {
            session.connection.closeAsync();
        }
        if (session != current) {
            return;
        }
        readyId = -1;
        long now = System.nanoTime();
        boolean penalized;
        if (session.ready) {
            log.warn("invalidation listener on {} lost client id {}: {}", endpoint, session.clientId, reason);
            deliver(h -> h.lost(reason));
            boolean stable = now - session.readyNanos >= debounceNanos;
            penalized = !stable;
            if (stable) {
                failures = 0;
            }
        } else {
            penalized = true;
        }
        if (closed) {
            return;
        }
        long wait = 0;
        if (penalized) {
            failures++;
            long base = Math.max(debounceNanos, TimeUnit.MILLISECONDS.toNanos(50));
            wait = base << Math.min(failures - 1, 20);
            wait = Math.max(debounceNanos, Math.min(wait, Math.max(maxBackoffNanos, debounceNanos)));
        }
        long delay = Math.max(0, lastAttemptNanos + wait - now);
        log.debug("invalidation listener reconnects to {} in {} ms", endpoint, delay / 1_000_000);
        events.schedule(this::connect, delay, TimeUnit.NANOSECONDS);
    }

    // ---- invalidations (decoded on the I/O thread, delivered on the event thread) ----------------------------

    /** What one invalidation message said: keys, or a flush with its reason. */
    private record Payload<K>(List<K> keys, String flushReason) {
    }

    private Payload<K> resp3Payload(PushMessage message) {
        List<K> keys;
        try {
            keys = InvalidationMessages.keys(message, keyCodec);
        } catch (RuntimeException e) {
            return undecodable(e);
        }
        return keys == null ? new Payload<>(null, "invalidation without keys (FLUSHALL or FLUSHDB)")
                : new Payload<>(keys, null);
    }

    private Payload<K> resp2Payload(Session session, Object message) {
        List<K> keys;
        try {
            keys = session.codec.drain();
        } catch (RuntimeException e) {
            return undecodable(e);
        }
        if (keys.isEmpty() && message == null) {
            return new Payload<>(null, "invalidation without keys (FLUSHALL or FLUSHDB)");
        }
        return new Payload<>(keys, null);
    }

    private Payload<K> undecodable(RuntimeException e) {
        log.warn("an invalidated key could not be decoded; treating the message as a flush", e);
        return new Payload<>(null, "an invalidated key could not be decoded: " + e);
    }

    private void received(Session session, Payload<K> payload) {
        noteIoThread(session);
        if (invalidationsOnIoThread && payload.keys() != null) {
            // no hand-off: evicted here, as decoded (a session's end is delivered as lost on the event thread)
            if (session == current && !session.over && !closed) {
                deliver(h -> h.invalidated(payload.keys()));
            }
            return;
        }
        onEventThread(() -> {
            if (session != current || session.over) {
                return; // the session ended: its loss was reported, so these keys are covered by the flush
            }
            if (payload.keys() != null) {
                deliver(h -> h.invalidated(payload.keys()));
            } else {
                deliver(h -> h.flushed(payload.flushReason()));
            }
        });
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------

    private void deliver(Consumer<InvalidationHandler<K>> event) {
        for (InvalidationHandler<K> handler : handlers) {
            call(handler, event);
        }
    }

    private void call(InvalidationHandler<K> handler, Consumer<InvalidationHandler<K>> event) {
        try {
            event.accept(handler);
        } catch (RuntimeException e) {
            log.warn("invalidation handler {} failed; the other handlers still get the event", handler, e);
        }
    }

    private void onEventThread(Runnable task) {
        try {
            events.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed: nothing is delivered after close()
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Runnable shutdown = () -> {
            Session session = current;
            if (session != null && !session.over) {
                session.over = true;
                if (session.heartbeat != null) {
                    session.heartbeat.cancel(false);
                }
                if (session.connection != null) {
                    session.connection.close();
                }
            }
            readyId = -1;
        };
        if (Thread.currentThread() == eventThread[0]) {
            shutdown.run();
        } else {
            try {
                events.submit(shutdown).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("closing the invalidation connection to {} did not finish cleanly: {}", endpoint, e.toString());
            }
        }
        events.shutdownNow();
        firstReady.completeExceptionally(new IllegalStateException("closed"));
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    @Override
    public String toString() {
        return "InvalidationListener[" + endpoint + ", " + protocol + (isReady() ? ", client id " + readyId
                : ", not ready") + "]";
    }
}
