package dev.nearcache.loader;

import dev.nearcache.internal.Limits;
import dev.nearcache.internal.Connections;
import dev.nearcache.internal.RedisErrors;
import dev.nearcache.internal.RedisUris;
import dev.nearcache.loader.spi.BatchObserver;
import dev.nearcache.loader.spi.DataConnection;
import dev.nearcache.loader.spi.DataConnectionListener;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MGET batching loader.
 *
 * <p>State, all guarded by {@link #lock}: a FIFO {@link #queue} of keys not yet sent; {@link #flights}, every key
 * queued or in flight by identity (byte arrays by content), which gives single flight; per connection
 * {@link Lane#inFlight}, the batches it has written and not yet seen answered (any number: they pipeline); and
 * {@link #scheduled}, the connection whose write is due.
 *
 * <p>Smart batching. Invariant: while the queue holds keys, one write is scheduled, on the I/O thread of one
 * connection ({@link #scheduleLocked}, which picks it by {@link #pickLaneLocked}). That write ({@link #drain})
 * takes everything queued by the time the thread gets to it, in MGETs of up to {@code maxBatchSize} keys, and the
 * next key to arrive schedules the next write. So a lone key goes out at once, and keys that arrive while the I/O
 * thread is busy (writing, reading replies) share its next write: batches grow with load, never by a timer or by
 * waiting for a reply. A key that waited longer than the command timeout fails when a write would take it, so no
 * caller waits much beyond two command timeouts.
 */
final class MgetBatchingLoader<K, V> implements BatchingLoader<K, V>, HookedConnection.Events<K, V> {
    private static final Logger log = LoggerFactory.getLogger(MgetBatchingLoader.class);

    private final RedisCodec<K, V> codec;
    private final HookedRedisClient client;
    private final String endpoint;
    /** The server, its handshake bounded by a command timeout (rule 9); and the prefix of the connections' names. */
    private final RedisURI uri;
    private final String clientName;
    private final int maxBatchSize;
    private final int maxPendingKeys;
    private final long commandTimeoutNanos;
    private final BatchObserver<K, V, Object> observer;
    private final boolean groupBySlot;
    /** With OPTIN tracking: the keys read with CLIENT CACHING YES before their MGET (null: every key as is). */
    private final java.util.function.Predicate<? super K> optIn;
    private final boolean readTtls;
    private final List<DataConnectionListener<K, V>> listeners;
    private final List<Lane> lanes;
    /** The most batches one write takes; more queued keys go to the next write, which another connection may do. */
    static final int MAX_BATCHES_PER_WRITE = 4;
    /**
     * A connection whose I/O thread is answering at least this many keys is passed over for the next write if another
     * is free: waking the other thread costs less than waiting for this many callers to be woken. Below it, the
     * thread that is awake anyway writes next (a lone caller would otherwise wake the other thread on every read).
     */
    static final int BUSY_ANSWERING = 4;

    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Pending<K, V>> queue = new ArrayDeque<>();
    private final HashMap<Object, Pending<K, V>> flights = new HashMap<>();
    /** The connection whose write will take the queue; null while the queue is empty. */
    private Lane scheduled;
    private int rotation;
    private boolean closed;

    /** A key being loaded: the future every caller of the key shares. */
    private static final class Pending<K, V> {
        final K key;
        final Object id;
        final long enqueuedNanos;
        final CompletableFuture<V> future = new CompletableFuture<>();
        boolean sent;

        Pending(K key, Object id, long enqueuedNanos) {
            this.key = key;
            this.id = id;
            this.enqueuedNanos = enqueuedNanos;
        }
    }

    /**
     * Up to {@code maxBatchSize} keys taken from the queue together: one MGET, or with groupBySlot one MGET per hash
     * slot, written together as a pipeline. It is in flight on its connection until the last of them is answered.
     */
    private final class Batch {
        final Lane lane;
        final List<Pending<K, V>> items;
        /** Its MGETs; single-key retries of a failed one are added (see {@link #retryAlone}). */
        final List<Mget> mgets;
        int unanswered; // guarded by lock
        long generation; // of the connection when the batch was sent
        boolean reconnected; // guarded by lock: a timeout of this batch already dropped its connection

        Batch(Lane lane, List<Pending<K, V>> items) {
            this.lane = lane;
            this.items = items;
            List<Mget> list = new ArrayList<>(1);
            if (optIn == null) {
                add(list, items, false);
            } else {
                List<Pending<K, V>> tracked = new ArrayList<>(items.size());
                List<Pending<K, V>> untracked = new ArrayList<>(0);
                for (Pending<K, V> item : items) {
                    (optIn.test(item.key) ? tracked : untracked).add(item);
                }
                add(list, tracked, true);
                add(list, untracked, false);
            }
            this.mgets = new CopyOnWriteArrayList<>(list);
            this.unanswered = mgets.size();
        }

        /** {@code part} as one MGET, or with groupBySlot one per hash slot. */
        private void add(List<Mget> list, List<Pending<K, V>> part, boolean cachingYes) {
            if (part.isEmpty()) {
                return;
            }
            if (!groupBySlot) {
                list.add(new Mget(this, part, cachingYes));
                return;
            }
            Map<Integer, List<Pending<K, V>>> groups = new LinkedHashMap<>();
            for (Pending<K, V> item : part) {
                groups.computeIfAbsent(SlotHash.getSlot(codec.encodeKey(item.key)), s -> new ArrayList<>()).add(item);
            }
            for (List<Pending<K, V>> group : groups.values()) {
                list.add(new Mget(this, group, cachingYes));
            }
        }
    }

    /**
     * The most keys one {@link BatchingLoader#PTTL_SCRIPT} reads; a larger MGET's TTLs are read by several scripts
     * written together behind it. Redis's CPU per key is the same either way (measured: 512 keys in one script or in
     * four, 2.1 µs per key on a slow 2-core machine); what shrinks is the longest single command, a quarter of it, so
     * that no command of a full batch holds Redis's one thread near a millisecond (one 512-key script: 0.9 to 1.2 ms
     * on that machine) and Redis, reading a client's pipeline 16 KB at a time, serves other clients in between.
     */
    static final int TTL_SCRIPT_KEYS = 128;

    /**
     * One MGET of a batch, and with {@code readTtls} the {@link BatchingLoader#PTTL_SCRIPT}s of its keys written right
     * behind it. It is answered when all have completed; the first failure fails it, and a timeout of any fails
     * all at once.
     */
    private final class Mget implements BiConsumer<Object, Throwable> {
        final Batch batch;
        final List<Pending<K, V>> items;
        final List<K> keys;
        /** OPTIN tracking: write CLIENT CACHING YES right before the MGET, so Redis tracks this read. */
        final boolean cachingYes;
        Object context;
        volatile BatchCommand<K, V, String> cachingCommand;
        /** Why its CLIENT CACHING YES failed, if it did: the read was not tracked (the callers still get it). */
        volatile Throwable untracked;
        volatile BatchCommand<K, V, List<V>> command;
        /** Its TTL scripts, {@link #TTL_SCRIPT_KEYS} keys each, writing into one shared output; or null. */
        volatile List<BatchCommand<K, V, long[]>> ttlCommands;
        private final AtomicInteger outstanding = new AtomicInteger();
        private final AtomicBoolean timedOut = new AtomicBoolean();

        Mget(Batch batch, List<Pending<K, V>> items, boolean cachingYes) {
            this.batch = batch;
            this.items = items;
            this.cachingYes = cachingYes;
            List<K> keyList = new ArrayList<>(items.size());
            for (Pending<K, V> item : items) {
                keyList.add(item.key);
            }
            this.keys = keyList;
        }

        /** Its commands, in the order they are written; only the last one carries a timeout (see BatchCommand). */
        void build(List<RedisCommand<K, V, ?>> out) {
            int scripts = readTtls ? (keys.size() + TTL_SCRIPT_KEYS - 1) / TTL_SCRIPT_KEYS : 0;
            outstanding.set(1 + scripts + (cachingYes ? 1 : 0));
            if (cachingYes) {
                cachingCommand = new BatchCommand<>(new Command<>(CommandType.CLIENT, new StatusOutput<>(codec),
                        new CommandArgs<>(codec).add("CACHING").add("YES")), false);
                out.add(cachingCommand);
            }
            command = new BatchCommand<>(new Command<>(CommandType.MGET, new DecodedValues<>(codec),
                    new CommandArgs<>(codec).addKeys(keys)), !readTtls);
            out.add(command);
            if (readTtls) {
                TtlsOutput<K, V> ttls = new TtlsOutput<>(codec, keys.size());
                List<BatchCommand<K, V, long[]>> scriptCommands = new ArrayList<>(scripts);
                for (int from = 0; from < keys.size(); from += TTL_SCRIPT_KEYS) {
                    List<K> part = keys.subList(from, Math.min(keys.size(), from + TTL_SCRIPT_KEYS));
                    // one declared key, the rest as arguments: see PTTL_SCRIPT for why (N declared keys cost N^2)
                    BatchCommand<K, V, long[]> script = new BatchCommand<>(new Command<>(CommandType.EVAL, ttls,
                            new CommandArgs<>(codec).add(PTTL_SCRIPT).add(1).addKeys(part)),
                            scriptCommands.size() == scripts - 1);
                    scriptCommands.add(script);
                    out.add(script);
                }
                ttlCommands = scriptCommands;
            }
        }

        /** Fails its commands that are still outstanding. */
        void fail(Throwable cause) {
            BatchCommand<K, V, String> caching = cachingCommand;
            if (caching != null) {
                caching.completeExceptionally(cause);
            }
            BatchCommand<K, V, List<V>> mget = command;
            if (mget != null) {
                mget.completeExceptionally(cause);
            }
            List<BatchCommand<K, V, long[]>> ttls = ttlCommands;
            if (ttls != null) {
                for (BatchCommand<K, V, long[]> script : ttls) {
                    script.completeExceptionally(cause);
                }
            }
        }

        /** One of its commands completed; the last one completes the MGET. */
        @Override
        public void accept(Object result, Throwable failure) {
            if (failure instanceof RedisCommandTimeoutException && timedOut.compareAndSet(false, true)) {
                fail(failure); // the untimed command waits for nothing now
                presumeBroken(batch);
            }
            if (outstanding.decrementAndGet() == 0) {
                answered();
            }
        }

        private void answered() {
            // OPTIN: a read whose CLIENT CACHING YES failed (a connection without tracking yet, say) was not
            // tracked: its values still answer the callers, but the observer hears of it as a failure, so that
            // nothing of it is stored
            untracked = cachingCommand != null ? failureOf(cachingCommand) : null;
            Throwable failure = failureOf(command);
            if (failure == null) {
                failure = ((DecodedValues<K, V>) command.getOutput()).failure;
            }
            List<BatchCommand<K, V, long[]>> scripts = ttlCommands;
            if (scripts != null) {
                for (int i = 0; failure == null && i < scripts.size(); i++) {
                    failure = failureOf(scripts.get(i));
                }
            }
            if (failure == null && scripts != null
                    && ((TtlsOutput<K, V>) scripts.get(0).getOutput()).read() != keys.size()) {
                failure = new RedisException("the TTL scripts returned fewer integers than they were given keys");
            }
            long[] ttls = failure == null && scripts != null ? scripts.get(scripts.size() - 1).join() : null;
            complete(batch, this, failure == null ? command.join() : null, ttls, failure);
        }

        private Throwable failureOf(CompletableFuture<?> done) {
            try {
                done.join();
                return null;
            } catch (CompletionException | CancellationException e) {
                return e.getCause() != null ? e.getCause() : e;
            }
        }
    }

    /** A data connection and its batches in flight. */
    private final class Lane {
        final int index;
        volatile HookedConnection<K, V> connection; // set once by connect(); read by every thread
        final ArrayDeque<Batch> inFlight = new ArrayDeque<>(); // guarded by lock
        int inFlightKeys; // guarded by lock
        /**
         * The keys whose reply its I/O thread is handing to callers now (and waking them), 0 when it is not: a write
         * there waits for that.
         */
        volatile int answering;
        final Runnable write = () -> drain(this);

        Lane(int index) {
            this.index = index;
        }

        /** Whether it has a connection (all have, once {@link #connect()} returned) and that is open. */
        boolean isOpen() {
            HookedConnection<K, V> current = connection;
            return current != null && current.isOpen();
        }
    }

    MgetBatchingLoader(BatchingLoaderBuilder<K, V> builder) {
        this.codec = builder.codec();
        this.maxBatchSize = builder.maxBatchSize();
        this.maxPendingKeys = builder.maxPendingKeys();
        this.commandTimeoutNanos = builder.commandTimeout().toNanos();
        this.observer = builder.observer();
        this.groupBySlot = builder.groupBySlot();
        this.optIn = builder.optIn();
        this.readTtls = builder.readTtls();
        this.listeners = List.copyOf(builder.listeners());
        // the URI's timeout bounds the handshake; commands have their own (TimeoutOptions)
        RedisURI uri = RedisUris.copyOf(builder.redisUri()).withTimeout(Limits.handshakeTimeout(
                builder.commandTimeout(), builder.connectTimeout())).build();
        this.endpoint = RedisUris.describe(uri);
        List<Lane> laneList = new ArrayList<>();
        for (int i = 0; i < builder.connections(); i++) {
            laneList.add(new Lane(i));
        }
        this.lanes = List.copyOf(laneList);
        this.client = new HookedRedisClient(builder.clientResources(), uri);
        client.setOptions(Connections.options(ClientOptions.builder(), builder.socketOptions(), builder.sslOptions(),
                        builder.failFastWhenDisconnected())
                .timeoutOptions(TimeoutOptions.builder().timeoutSource(new BatchTimeouts(builder.commandTimeout()))
                        .build())
                .protocolVersion(builder.requireResp3() ? io.lettuce.core.protocol.ProtocolVersion.RESP3 : null)
                .build());
        this.uri = uri;
        this.clientName = builder.clientName();
    }

    /**
     * Connects every lane; called by the builder once the constructor has returned, so that Lettuce's threads, which
     * get {@code this} here, never see a loader whose final fields are not yet set.
     */
    MgetBatchingLoader<K, V> connect() {
        try {
            for (Lane lane : lanes) {
                RedisURI named = RedisUris.copyOf(uri).withClientName(clientName + "-" + lane.index).build();
                lane.connection = client.connectData(lane.index, codec, this, named);
            }
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw new RedisConnectionException("could not connect the batching loader to Redis at " + endpoint
                    + ": " + e.getMessage(), e);
        }
        log.debug("batching loader connected {} data connections to {}", lanes.size(), endpoint);
        return this;
    }

    @Override
    public CompletableFuture<V> load(K key) {
        Objects.requireNonNull(key, "key must not be null");
        Pending<K, V> pending;
        Lane write = null;
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(closedException());
            }
            Object id = idOf(key);
            pending = flights.get(id);
            if (pending == null) {
                if (flights.size() >= maxPendingKeys) {
                    return CompletableFuture.failedFuture(queueFull(1));
                }
                pending = new Pending<>(key, id, System.nanoTime());
                flights.put(id, pending);
                queue.add(pending);
                write = scheduleLocked();
            }
        } finally {
            lock.unlock();
        }
        if (write != null) {
            schedule(write);
        }
        // each caller gets its own dependent future: one caller's cancel() or orTimeout() must not fail the others
        return pending.future.copy();
    }

    @Override
    public CompletableFuture<Map<K, V>> loadAll(Collection<? extends K> keys) {
        Objects.requireNonNull(keys, "keys must not be null");
        for (K key : keys) {
            Objects.requireNonNull(key, "keys must not contain null");
        }
        Map<K, CompletableFuture<V>> futures = new LinkedHashMap<>();
        Lane write;
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(closedException());
            }
            Map<Object, K> distinct = new LinkedHashMap<>();
            int fresh = 0;
            for (K key : keys) {
                Object id = idOf(key);
                if (distinct.putIfAbsent(id, key) == null && !flights.containsKey(id)) {
                    fresh++;
                }
            }
            if (flights.size() + fresh > maxPendingKeys) {
                return CompletableFuture.failedFuture(queueFull(fresh));
            }
            long now = System.nanoTime();
            for (Map.Entry<Object, K> entry : distinct.entrySet()) {
                Pending<K, V> pending = flights.get(entry.getKey());
                if (pending == null) {
                    pending = new Pending<>(entry.getValue(), entry.getKey(), now);
                    flights.put(entry.getKey(), pending);
                    queue.add(pending);
                }
                futures.put(entry.getValue(), pending.future);
            }
            write = scheduleLocked();
        } finally {
            lock.unlock();
        }
        if (write != null) {
            schedule(write);
        }
        CompletableFuture<?>[] all = futures.values().toArray(new CompletableFuture<?>[0]);
        return CompletableFuture.allOf(all).thenApply(ignored -> {
            Map<K, V> result = new LinkedHashMap<>(futures.size() * 2);
            futures.forEach((key, future) -> result.put(key, future.join()));
            return result;
        });
    }

    @Override
    public V get(K key) {
        return await(load(key));
    }

    @Override
    public Map<K, V> getAll(Collection<? extends K> keys) {
        return await(loadAll(keys));
    }

    private static <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new RedisException(cause);
        }
    }

    @Override
    public void detach(K key) {
        Objects.requireNonNull(key, "key must not be null");
        lock.lock();
        try {
            Object id = idOf(key);
            Pending<K, V> pending = flights.get(id);
            if (pending != null && pending.sent) {
                flights.remove(id);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<DataConnection<K, V>> connections() {
        List<DataConnection<K, V>> list = new ArrayList<>(lanes.size());
        for (Lane lane : lanes) {
            list.add(lane.connection);
        }
        return list;
    }

    @Override
    public int pendingKeys() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    // ---- batching -------------------------------------------------------------------------------------------

    /**
     * Schedules the write that will take the queue, unless one is scheduled already or nothing waits: the
     * invariant of smart batching (see the class comment). Returns the connection to call {@link #schedule} for.
     */
    private Lane scheduleLocked() {
        if (closed || scheduled != null || queue.isEmpty()) {
            return null;
        }
        scheduled = pickLaneLocked();
        return scheduled;
    }

    /**
     * The connection for the next write: an open one whose I/O thread is not answering {@link #BUSY_ANSWERING} keys
     * or more, with the fewest keys in flight, ties taken in turn, so a connection that stopped answering gets no
     * more keys; a closed one only when none is open, so its write waits in Lettuce's buffer for the reconnect (or
     * fails at once with failFastWhenDisconnected) and times out.
     */
    private Lane pickLaneLocked() {
        int count = lanes.size();
        int first = rotation;
        rotation = (rotation + 1) % count;
        Lane best = null;
        for (int i = 0; i < count; i++) {
            Lane lane = lanes.get((first + i) % count);
            if (lane.isOpen() && (best == null || better(lane, best))) {
                best = lane;
            }
        }
        return best != null ? best : lanes.get(first);
    }

    private static boolean better(MgetBatchingLoader<?, ?>.Lane lane, MgetBatchingLoader<?, ?>.Lane than) {
        boolean busy = lane.answering >= BUSY_ANSWERING;
        if (busy != than.answering >= BUSY_ANSWERING) {
            return !busy;
        }
        return lane.inFlightKeys < than.inFlightKeys;
    }

    /** Runs the connection's write on its I/O thread: keys that arrive until the thread gets to it join it. */
    private void schedule(Lane lane) {
        Executor loop = lane.connection.eventLoop();
        if (loop != null) {
            try {
                loop.execute(lane.write);
                return;
            } catch (RejectedExecutionException e) {
                // the I/O threads are shutting down: write from here, Lettuce fails or buffers it
            }
        }
        drain(lane);
    }

    /**
     * The scheduled write of {@code lane}: takes what is queued (up to {@link #MAX_BATCHES_PER_WRITE} batches; the
     * rest goes to the next write, maybe on another connection) and writes it in one go. Normally on the connection's
     * I/O thread, where Lettuce writes straight to the socket.
     */
    private void drain(Lane lane) {
        List<Batch> batches = new ArrayList<>(1);
        List<Pending<K, V>> expired = new ArrayList<>(0);
        Lane next;
        lock.lock();
        try {
            if (scheduled != lane) {
                return; // taken over by another connection's write (see below), or the loader closed
            }
            scheduled = null;
            Lane better = lane.isOpen() ? lane : pickLaneLocked();
            if (better != lane && better.isOpen()) {
                scheduled = better; // the connection was lost meanwhile: another one writes
                next = better;
            } else {
                long now = System.nanoTime();
                for (int i = 0; i < MAX_BATCHES_PER_WRITE && !queue.isEmpty(); i++) {
                    Batch batch = takeBatchLocked(lane, now, expired);
                    if (batch != null) {
                        batches.add(batch);
                    }
                }
                next = scheduleLocked();
            }
        } finally {
            lock.unlock();
        }
        failExpired(expired);
        if (!batches.isEmpty()) {
            long generation = lane.connection.generation();
            List<Mget> mgets = new ArrayList<>(batches.size());
            for (Batch batch : batches) {
                batch.generation = generation;
                mgets.addAll(batch.mgets);
            }
            write(lane.connection, mgets);
        }
        if (next != null) {
            schedule(next);
        }
    }

    /** Up to {@code maxBatchSize} queued keys as a batch in flight on {@code lane}; null if all had waited too long. */
    private Batch takeBatchLocked(Lane lane, long now, List<Pending<K, V>> expired) {
        List<Pending<K, V>> items = new ArrayList<>(Math.min(queue.size(), maxBatchSize));
        while (items.size() < maxBatchSize && !queue.isEmpty()) {
            Pending<K, V> pending = queue.poll();
            if (now - pending.enqueuedNanos > commandTimeoutNanos) {
                flights.remove(pending.id, pending);
                expired.add(pending);
                continue;
            }
            pending.sent = true;
            items.add(pending);
        }
        if (items.isEmpty()) {
            return null;
        }
        Batch batch = new Batch(lane, items);
        lane.inFlight.add(batch);
        lane.inFlightKeys += items.size();
        return batch;
    }

    private void failExpired(List<Pending<K, V>> expired) {
        if (expired == null || expired.isEmpty()) {
            return;
        }
        RedisCommandTimeoutException timeout = new RedisCommandTimeoutException("key waited longer than the command"
                + " timeout of " + Duration.ofNanos(commandTimeoutNanos) + " for a free connection to " + endpoint);
        for (Pending<K, V> pending : expired) {
            pending.future.completeExceptionally(timeout);
        }
    }

    /** Writes {@code mgets} on {@code connection} in one write, each told to the observer first. */
    private void write(HookedConnection<K, V> connection, List<Mget> mgets) {
        List<RedisCommand<K, V, ?>> commands = new ArrayList<>(mgets.size() * (readTtls ? 4 : 2));
        List<Mget> sent = new ArrayList<>(mgets.size());
        for (Mget mget : mgets) {
            if (observer != null) {
                try {
                    mget.context = observer.beforeSend(connection, mget.keys);
                } catch (RuntimeException e) {
                    complete(mget.batch, mget, null, null, e);
                    continue;
                }
            }
            mget.build(commands);
            sent.add(mget);
        }
        try {
            if (commands.size() == 1) {
                connection.dispatch(commands.get(0));
            } else if (!commands.isEmpty()) {
                connection.dispatch(commands); // one write: the batch's commands go out as a pipeline
            }
        } catch (RuntimeException e) {
            for (RedisCommand<K, V, ?> command : commands) {
                command.completeExceptionally(e);
            }
        }
        for (Mget mget : sent) {
            if (mget.cachingCommand != null) {
                mget.cachingCommand.whenComplete(mget);
            }
            mget.command.whenComplete(mget);
            if (mget.ttlCommands != null) {
                for (BatchCommand<K, V, long[]> script : mget.ttlCommands) {
                    script.whenComplete(mget);
                }
            }
        }
    }

    private void complete(Batch batch, Mget mget, List<V> values, long[] ttls, Throwable failure) {
        batch.lane.answering = mget.items.size();
        try {
            answer(batch, mget, values, ttls, failure);
        } finally {
            batch.lane.answering = 0;
        }
    }

    private void answer(Batch batch, Mget mget, List<V> values, long[] ttls, Throwable failure) {
        if (failure == null && values.size() != mget.keys.size()) {
            failure = new RedisException("MGET of " + mget.keys.size() + " keys returned " + values.size()
                    + " values");
        }
        if (failure != null) {
            values = null;
            ttls = null;
            log.debug("MGET of {} keys on {} failed: {}", mget.keys.size(), batch.lane.connection, failure.toString());
        }
        List<Mget> retries = failure != null && mget.keys.size() > 1 && belongsToOneKey(failure)
                ? retryAlone(batch, mget) : null;
        if (observer != null) {
            Throwable observed = failure != null ? failure : mget.untracked;
            try {
                if (retries != null) {
                    observer.onRetry(mget.context, mget.keys, failure);
                } else {
                    observer.onReply(mget.context, mget.keys, observed == null ? values : null,
                            observed == null ? ttls : null, observed);
                }
            } catch (RuntimeException e) {
                log.warn("batch observer failed on a reply; the callers still get their values", e);
            }
        }
        if (retries != null) {
            log.debug("an MGET of {} keys failed for a reason of one key; reading them one by one", mget.keys.size());
            write(batch.lane.connection, retries);
            return; // the callers hear from the retries
        }
        lock.lock();
        try {
            for (Pending<K, V> pending : mget.items) {
                flights.remove(pending.id, pending);
            }
            if (--batch.unanswered == 0 && batch.lane.inFlight.remove(batch)) {
                batch.lane.inFlightKeys -= batch.items.size();
            }
        } finally {
            lock.unlock();
        }
        List<Pending<K, V>> items = mget.items;
        for (int i = 0; i < items.size(); i++) {
            if (failure == null) {
                items.get(i).future.complete(values.get(i));
            } else {
                items.get(i).future.completeExceptionally(failure);
            }
        }
    }

    /**
     * Whether a batch's failure may be caused by one of its keys alone: a key outside the user's ACL key patterns
     * ({@code NOPERM}), or a value the codec cannot decode. Then the keys are read again one by one, so that one bad
     * key fails only its own callers; every other failure (timeout, lost connection, redirection) is the batch's.
     */
    private static boolean belongsToOneKey(Throwable failure) {
        return failure instanceof UndecodableValueException || RedisErrors.is(failure, "NOPERM");
    }

    /**
     * Makes each key of a failed MGET an MGET of its own, to be written on the same connection as part of the same
     * batch (the connection stays busy until they are answered). Returns them, or null if the loader is closed.
     */
    private List<Mget> retryAlone(Batch batch, Mget failed) {
        List<Mget> singles = new ArrayList<>(failed.items.size());
        for (Pending<K, V> item : failed.items) {
            singles.add(new Mget(batch, List.of(item), failed.cachingYes));
        }
        lock.lock();
        try {
            if (closed) {
                return null;
            }
            batch.unanswered += singles.size() - 1; // the failed MGET is answered by its singles
            batch.mgets.addAll(singles);
        } finally {
            lock.unlock();
        }
        return singles;
    }

    /**
     * A batch timed out: its connection is presumed broken (DESIGN.md rule 9). A half-open TCP connection never
     * closes by itself and Lettuce reconnects only when it does, so every later batch would time out too; drop the
     * socket, unless the connection was already replaced since the batch was sent.
     */
    private void presumeBroken(Batch batch) {
        HookedConnection<K, V> connection = batch.lane.connection;
        List<Batch> doomed;
        lock.lock();
        try {
            if (closed || batch.reconnected || connection.generation() != batch.generation || !connection.isOpen()) {
                return;
            }
            doomed = new ArrayList<>(batch.lane.inFlight.size());
            for (Batch other : batch.lane.inFlight) {
                if (other.generation == batch.generation) {
                    other.reconnected = true;
                    doomed.add(other);
                }
            }
        } finally {
            lock.unlock();
        }
        Duration timeout = Duration.ofNanos(commandTimeoutNanos);
        log.warn("data connection {} to {} did not answer a batch within the command timeout of {}; dropping it to"
                + " reconnect", connection.index(), endpoint, timeout);
        // the batches behind it on the same connection wait for the same silence: they fail as it did
        RedisCommandTimeoutException cause = new RedisCommandTimeoutException("data connection " + connection.index()
                + " to " + endpoint + " did not answer an earlier batch within the command timeout of " + timeout);
        for (Batch other : doomed) {
            if (other != batch) {
                for (Mget mget : other.mgets) {
                    mget.fail(cause);
                }
            }
        }
        connection.reconnect();
    }

    // ---- connection events (Netty I/O thread) ------------------------------------------------------------------

    @Override
    public void activated(HookedConnection<K, V> connection) {
        for (DataConnectionListener<K, V> listener : listeners) {
            try {
                listener.activated(connection);
            } catch (RuntimeException e) {
                log.warn("data connection listener failed on activation of {}", connection, e);
            }
        }
        if (connection.generation() > 1) {
            log.info("data connection {} to {} is back", connection.index(), endpoint);
        }
    }

    @Override
    public void deactivated(HookedConnection<K, V> connection) {
        List<Batch> lost;
        int keys;
        lock.lock();
        try {
            Lane lane = lanes.get(connection.index());
            lost = new ArrayList<>(lane.inFlight);
            keys = lane.inFlightKeys;
        } finally {
            lock.unlock();
        }
        if (!lost.isEmpty()) {
            // fail them now: Lettuce would otherwise replay them after the reconnect (at-least-once)
            RedisConnectionException cause = new RedisConnectionException("connection " + connection.index()
                    + " to " + endpoint + " was lost with " + keys + " key(s) in flight");
            for (Batch batch : lost) {
                for (Mget mget : batch.mgets) {
                    mget.fail(cause);
                }
            }
        }
        if (!closed) {
            log.info("data connection {} to {} was lost", connection.index(), endpoint);
        }
        for (DataConnectionListener<K, V> listener : listeners) {
            try {
                listener.deactivated(connection);
            } catch (RuntimeException e) {
                log.warn("data connection listener failed on loss of {}", connection, e);
            }
        }
    }

    // ---- lifecycle -----------------------------------------------------------------------------------------------

    @Override
    public void close() {
        List<Pending<K, V>> abandoned;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            scheduled = null;
            abandoned = new ArrayList<>(flights.values());
            flights.clear();
            queue.clear();
        } finally {
            lock.unlock();
        }
        IllegalStateException closedException = closedException();
        for (Pending<K, V> pending : abandoned) {
            pending.future.completeExceptionally(closedException);
        }
        for (Lane lane : lanes) {
            if (lane.connection != null) {
                lane.connection.close();
            }
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    @Override
    public String toString() {
        return "BatchingLoader[" + endpoint + ", " + lanes.size() + " connections, batches of up to " + maxBatchSize
                + "]";
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("the batching loader for " + endpoint + " is closed");
    }

    private RejectedExecutionException queueFull(int keys) {
        return new RejectedExecutionException("cannot queue " + keys + " more key(s) for " + endpoint + ": "
                + maxPendingKeys + " keys are already waiting or in flight (maxPendingKeys); Redis is not keeping up");
    }

    private static Object idOf(Object key) {
        return key instanceof byte[] ? ByteBuffer.wrap((byte[]) key) : key;
    }
}
