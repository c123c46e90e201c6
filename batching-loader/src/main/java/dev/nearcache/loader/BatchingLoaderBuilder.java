package dev.nearcache.loader;

import static dev.nearcache.internal.Limits.DEFAULT_COMMAND_TIMEOUT;
import static dev.nearcache.internal.Limits.DEFAULT_CONNECTIONS;
import static dev.nearcache.internal.Limits.DEFAULT_MAX_BATCH_SIZE;
import static dev.nearcache.internal.Limits.DEFAULT_MAX_PENDING_KEYS;
import static dev.nearcache.internal.Limits.MAX_COMMAND_TIMEOUT;
import static dev.nearcache.internal.Limits.MAX_CONNECT_TIMEOUT;
import static dev.nearcache.internal.Limits.MIN_COMMAND_TIMEOUT;
import static dev.nearcache.internal.Limits.MIN_CONNECT_TIMEOUT;
import static dev.nearcache.internal.Limits.isClientName;
import static dev.nearcache.internal.Limits.defaultConnectTimeout;

import dev.nearcache.loader.spi.BatchObserver;
import dev.nearcache.loader.spi.DataConnectionListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Configures and builds a {@link BatchingLoader}. Every setter validates its argument at once and names it in the
 * exception. Not thread-safe; the loader it builds is.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class BatchingLoaderBuilder<K, V> {

    private RedisURI redisUri;
    private final RedisCodec<K, V> codec;
    private int connections = DEFAULT_CONNECTIONS;
    private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
    private int maxPendingKeys = DEFAULT_MAX_PENDING_KEYS;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private Duration connectTimeout;
    private SocketOptions socketOptions = SocketOptions.builder().keepAlive(true).build();
    private boolean readTtls;
    private boolean failFastWhenDisconnected;
    private SslOptions sslOptions;
    private ClientResources clientResources;
    private String clientName = "nearcache-data";
    private boolean groupBySlot;
    private boolean requireResp3;
    private java.util.function.Predicate<? super K> optIn;
    private BatchObserver<K, V, Object> observer;
    private final List<DataConnectionListener<K, V>> listeners = new ArrayList<>();

    BatchingLoaderBuilder(RedisCodec<K, V> codec) {
        this.codec = codec;
    }

    private BatchingLoaderBuilder(BatchingLoaderBuilder<?, ?> from, RedisCodec<K, V> codec) {
        this.codec = codec;
        this.redisUri = from.redisUri;
        this.connections = from.connections;
        this.maxBatchSize = from.maxBatchSize;
        this.maxPendingKeys = from.maxPendingKeys;
        this.commandTimeout = from.commandTimeout;
        this.connectTimeout = from.connectTimeout;
        this.socketOptions = from.socketOptions;
        this.readTtls = from.readTtls;
        this.failFastWhenDisconnected = from.failFastWhenDisconnected;
        this.sslOptions = from.sslOptions;
        this.clientResources = from.clientResources;
        this.clientName = from.clientName;
        this.groupBySlot = from.groupBySlot;
        this.requireResp3 = from.requireResp3;
        // optIn is a predicate of the old key type: a new codec leaves it unset
    }

    /**
     * The server, as {@code redis://[[user]:password@]host[:port][/database]} or {@code rediss://...}.
     *
     * @throws IllegalArgumentException if it is not such a URI (the message never contains the password)
     */
    public BatchingLoaderBuilder<K, V> redisUri(String uri) {
        Objects.requireNonNull(uri, "redisUri must not be null");
        try {
            return redisUri(RedisURI.create(uri));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("redisUri must look like redis://host:port or rediss://host:port: "
                    + e.getMessage(), null);
        }
    }

    /** The server. */
    public BatchingLoaderBuilder<K, V> redisUri(RedisURI uri) {
        this.redisUri = Objects.requireNonNull(uri, "redisUri must not be null");
        return this;
    }

    /**
     * The codec for keys and values; returns a builder of the codec's types, keeping the settings made so far
     * except the observer and listeners, which are typed by the old codec.
     */
    public <K1, V1> BatchingLoaderBuilder<K1, V1> codec(RedisCodec<K1, V1> codec) {
        Objects.requireNonNull(codec, "codec must not be null");
        return new BatchingLoaderBuilder<>(this, codec);
    }

    /** The number of data connections, each with any number of MGETs in flight (1 to 64; default 2). */
    public BatchingLoaderBuilder<K, V> connections(int connections) {
        if (connections < 1 || connections > 64) {
            throw new IllegalArgumentException("connections must be between 1 and 64, got " + connections);
        }
        this.connections = connections;
        return this;
    }

    /** The most keys one MGET carries (1 to 100,000; default 512). */
    public BatchingLoaderBuilder<K, V> maxBatchSize(int maxBatchSize) {
        if (maxBatchSize < 1 || maxBatchSize > 100_000) {
            throw new IllegalArgumentException("maxBatchSize must be between 1 and 100000, got " + maxBatchSize);
        }
        this.maxBatchSize = maxBatchSize;
        return this;
    }

    /**
     * The most keys that may be waiting to be sent or in flight before new loads are rejected (at least 1; default
     * 100,000).
     */
    public BatchingLoaderBuilder<K, V> maxPendingKeys(int maxPendingKeys) {
        if (maxPendingKeys < 1) {
            throw new IllegalArgumentException("maxPendingKeys must be at least 1, got " + maxPendingKeys);
        }
        this.maxPendingKeys = maxPendingKeys;
        return this;
    }

    /**
     * How long a batch may take, from being sent, before its futures fail (1 ms to 10 minutes; default 2 s). A
     * batch that times out leaves its connection presumed broken: the connection is dropped and reconnects.
     */
    public BatchingLoaderBuilder<K, V> commandTimeout(Duration timeout) {
        this.commandTimeout = checkRange("commandTimeout", timeout, MIN_COMMAND_TIMEOUT, MAX_COMMAND_TIMEOUT);
        return this;
    }

    /**
     * How long connecting a data connection may take, handshake included (100 ms to 5 minutes; default five command
     * timeouts, kept between 1 s and 10 s).
     */
    public BatchingLoaderBuilder<K, V> connectTimeout(Duration timeout) {
        this.connectTimeout = checkRange("connectTimeout", timeout, MIN_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT);
        return this;
    }

    /**
     * The data connections' socket options, such as TCP keepalive and {@code TCP_USER_TIMEOUT} (default: keepalive
     * on, Lettuce's defaults otherwise). Their connect timeout is replaced by {@link #connectTimeout(Duration)}.
     */
    public BatchingLoaderBuilder<K, V> socketOptions(SocketOptions options) {
        this.socketOptions = Objects.requireNonNull(options, "socketOptions must not be null");
        return this;
    }

    /**
     * Whether each batch also reads its keys' remaining time to live (default false): a short read-only script that
     * returns each key's {@code PTTL}, written in the same pipeline right behind the batch's MGET, and handed to the
     * {@link BatchObserver} with the values. It needs the {@code EVAL} command (an ACL user needs {@code +eval}).
     */
    public BatchingLoaderBuilder<K, V> readTtls(boolean enabled) {
        this.readTtls = enabled;
        return this;
    }

    /**
     * TLS options (trusted CAs, a client certificate) for {@code rediss://} servers; null for Lettuce's defaults,
     * which trust what the JVM trusts.
     */
    public BatchingLoaderBuilder<K, V> sslOptions(SslOptions options) {
        this.sslOptions = options;
        return this;
    }

    /**
     * Whether a load fails at once while its connection is down, instead of waiting in Lettuce's buffer for the
     * reconnect until the command timeout (default false: a short outage then costs latency, not errors).
     */
    public BatchingLoaderBuilder<K, V> failFastWhenDisconnected(boolean enabled) {
        this.failFastWhenDisconnected = enabled;
        return this;
    }

    /**
     * Lettuce resources (event loops, timers) to share with other clients; the loader does not shut them down.
     * Without them the loader creates its own and releases them on close.
     */
    public BatchingLoaderBuilder<K, V> clientResources(ClientResources resources) {
        this.clientResources = Objects.requireNonNull(resources, "clientResources must not be null");
        return this;
    }

    /**
     * The name the data connections show in {@code CLIENT LIST}, followed by {@code -<index>} (letters, digits,
     * {@code -_.:}; default nearcache-data).
     */
    public BatchingLoaderBuilder<K, V> clientName(String name) {
        Objects.requireNonNull(name, "clientName must not be null");
        if (!isClientName(name, 60)) {
            throw new IllegalArgumentException("clientName must be 1 to 60 letters, digits or -_.: (Redis forbids"
                    + " spaces), got '" + name + "'");
        }
        this.clientName = name;
        return this;
    }

    /**
     * For connections whose tracking is {@code CLIENT TRACKING ON ... OPTIN}: the keys {@code tracked} accepts are
     * read with {@code CLIENT CACHING YES} written right before their MGET, on the same connection and in the same
     * write, so Redis tracks exactly those reads; the other keys go in MGETs of their own without it, untracked. If
     * a {@code CLIENT CACHING YES} fails (a connection whose tracking is not on yet), its MGET still answers the
     * callers, but the observer is told it failed, so nothing of an untracked read is stored. Default: none (every
     * read as the connection's tracking has it). Set it after {@code codec(...)}, which starts a builder of the new
     * key type without it.
     */
    public BatchingLoaderBuilder<K, V> optIn(java.util.function.Predicate<? super K> tracked) {
        this.optIn = java.util.Objects.requireNonNull(tracked, "tracked must not be null");
        return this;
    }

    java.util.function.Predicate<? super K> optIn() {
        return optIn;
    }

    /**
     * Whether the data connections must speak RESP3 (default false: RESP3 where the server offers it, else RESP2).
     * Required where the connections receive push messages of their own, such as invalidations of their own
     * {@code CLIENT TRACKING ON} without REDIRECT; a server without RESP3 then fails the connect.
     */
    public BatchingLoaderBuilder<K, V> requireResp3(boolean required) {
        this.requireResp3 = required;
        return this;
    }

    boolean requireResp3() {
        return requireResp3;
    }

    /**
     * Whether to split each batch into one MGET per hash slot, written together as one pipeline (default false).
     * Required when the server is a Redis Cluster node, which refuses an MGET whose keys span slots; a slot the
     * node does not serve fails only its own keys, with the node's {@code MOVED} or {@code ASK} error.
     */
    public BatchingLoaderBuilder<K, V> groupBySlot(boolean enabled) {
        this.groupBySlot = enabled;
        return this;
    }

    /** The observer of every batch (at most one). */
    @SuppressWarnings("unchecked") // the loader hands each batch's context back to the observer that made it
    public <C> BatchingLoaderBuilder<K, V> observer(BatchObserver<K, V, C> observer) {
        this.observer = (BatchObserver<K, V, Object>) Objects.requireNonNull(observer, "observer must not be null");
        return this;
    }

    /**
     * Adds a connection listener. Listeners added here also see the first activation of each connection, which
     * happens inside {@link #build()}.
     */
    public BatchingLoaderBuilder<K, V> listener(DataConnectionListener<K, V> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener must not be null"));
        return this;
    }

    /**
     * Connects the data connections and returns the loader.
     *
     * @throws IllegalStateException if no redisUri was given
     * @throws io.lettuce.core.RedisConnectionException naming host and port if the server cannot be reached
     */
    public BatchingLoader<K, V> build() {
        if (redisUri == null) {
            throw new IllegalStateException("redisUri must be set before build()");
        }
        return new MgetBatchingLoader<>(this).connect();
    }

    private static Duration checkRange(String name, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " must be between " + readable(min) + " and " + readable(max)
                    + ", got " + value);
        }
        return value;
    }

    /** 100 ms, 10 s, 5 minutes. */
    private static String readable(Duration d) {
        long ms = d.toMillis();
        if (ms >= 60_000 && ms % 60_000 == 0) {
            return ms / 60_000 + (ms == 60_000 ? " minute" : " minutes");
        }
        return ms >= 1000 && ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    RedisURI redisUri() {
        return redisUri;
    }

    RedisCodec<K, V> codec() {
        return codec;
    }

    int connections() {
        return connections;
    }

    int maxBatchSize() {
        return maxBatchSize;
    }

    int maxPendingKeys() {
        return maxPendingKeys;
    }

    Duration commandTimeout() {
        return commandTimeout;
    }

    Duration connectTimeout() {
        return connectTimeout != null ? connectTimeout : defaultConnectTimeout(commandTimeout);
    }

    SocketOptions socketOptions() {
        return socketOptions.mutate().connectTimeout(connectTimeout()).build();
    }

    boolean readTtls() {
        return readTtls;
    }

    SslOptions sslOptions() {
        return sslOptions;
    }

    boolean failFastWhenDisconnected() {
        return failFastWhenDisconnected;
    }

    ClientResources clientResources() {
        return clientResources;
    }

    String clientName() {
        return clientName;
    }

    boolean groupBySlot() {
        return groupBySlot;
    }

    BatchObserver<K, V, Object> observer() {
        return observer;
    }

    List<DataConnectionListener<K, V>> listeners() {
        return listeners;
    }
}
