package dev.nearcache.invalidation;

import static dev.nearcache.internal.Limits.DEFAULT_HEARTBEAT_INTERVAL;
import static dev.nearcache.internal.Limits.DEFAULT_MAX_RECONNECT_BACKOFF;
import static dev.nearcache.internal.Limits.DEFAULT_RECONNECT_DEBOUNCE;
import static dev.nearcache.internal.Limits.MAX_CONNECT_TIMEOUT;
import static dev.nearcache.internal.Limits.MAX_HEARTBEAT_INTERVAL;
import static dev.nearcache.internal.Limits.MAX_HEARTBEAT_TIMEOUT;
import static dev.nearcache.internal.Limits.MAX_RECONNECT_DEBOUNCE;
import static dev.nearcache.internal.Limits.MIN_CONNECT_TIMEOUT;
import static dev.nearcache.internal.Limits.MIN_HEARTBEAT;
import static dev.nearcache.internal.Limits.isClientName;

import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Configures and builds an {@link InvalidationListener}. Every setter validates its argument at once and names it
 * in the exception. Not thread-safe; the listener it builds is.
 *
 * @param <K> key type
 */
public final class InvalidationListenerBuilder<K> {
    /** Default client name, shown in {@code CLIENT LIST}. */
    static final String DEFAULT_CLIENT_NAME = "nearcache-invalidation";

    private final RedisCodec<K, ?> keyCodec;
    private RedisURI redisUri;
    private ProtocolVersion protocol = ProtocolVersion.RESP3;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration heartbeatTimeout;
    private Duration reconnectDebounce = DEFAULT_RECONNECT_DEBOUNCE;
    private Duration maxReconnectBackoff = DEFAULT_MAX_RECONNECT_BACKOFF;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration handshakeTimeout;
    private SocketOptions socketOptions = SocketOptions.builder().keepAlive(true).build();
    private SslOptions sslOptions;
    private String clientName = DEFAULT_CLIENT_NAME;
    private ClientResources clientResources;
    private boolean readServerRunId;
    private boolean invalidationsOnIoThread;
    private final List<InvalidationHandler<K>> handlers = new ArrayList<>();

    InvalidationListenerBuilder(RedisCodec<K, ?> keyCodec) {
        this.keyCodec = keyCodec;
    }

    private InvalidationListenerBuilder(InvalidationListenerBuilder<?> from, RedisCodec<K, ?> keyCodec) {
        this.keyCodec = keyCodec;
        this.redisUri = from.redisUri;
        this.protocol = from.protocol;
        this.heartbeatInterval = from.heartbeatInterval;
        this.heartbeatTimeout = from.heartbeatTimeout;
        this.reconnectDebounce = from.reconnectDebounce;
        this.maxReconnectBackoff = from.maxReconnectBackoff;
        this.connectTimeout = from.connectTimeout;
        this.handshakeTimeout = from.handshakeTimeout;
        this.socketOptions = from.socketOptions;
        this.sslOptions = from.sslOptions;
        this.clientName = from.clientName;
        this.clientResources = from.clientResources;
        this.readServerRunId = from.readServerRunId;
        this.invalidationsOnIoThread = from.invalidationsOnIoThread;
    }

    /**
     * The server, as {@code redis://[[user]:password@]host[:port][/database]} or {@code rediss://...}.
     *
     * @throws IllegalArgumentException if it is not such a URI (the message never contains the password)
     */
    public InvalidationListenerBuilder<K> redisUri(String uri) {
        Objects.requireNonNull(uri, "redisUri must not be null");
        try {
            return redisUri(RedisURI.create(uri));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("redisUri must look like redis://host:port or rediss://host:port: "
                    + e.getMessage(), null);
        }
    }

    /** The server. */
    public InvalidationListenerBuilder<K> redisUri(RedisURI uri) {
        this.redisUri = Objects.requireNonNull(uri, "redisUri must not be null");
        return this;
    }

    /**
     * The codec that decodes invalidated keys (only its key half is used); returns a builder of its key type,
     * keeping the settings made so far except the handlers, which are typed by the old codec.
     */
    public <K1> InvalidationListenerBuilder<K1> keyCodec(RedisCodec<K1, ?> codec) {
        Objects.requireNonNull(codec, "keyCodec must not be null");
        return new InvalidationListenerBuilder<>(this, codec);
    }

    /** RESP3 (default: push messages) or RESP2 (a subscription to {@code __redis__:invalidate}). */
    public InvalidationListenerBuilder<K> protocol(ProtocolVersion protocol) {
        this.protocol = Objects.requireNonNull(protocol, "protocol must not be null");
        return this;
    }

    /** Time between heartbeat PINGs (10 ms to 1 minute; default 1 s). */
    public InvalidationListenerBuilder<K> heartbeatInterval(Duration interval) {
        this.heartbeatInterval = checkRange("heartbeatInterval", interval, MIN_HEARTBEAT, MAX_HEARTBEAT_INTERVAL);
        return this;
    }

    /** How late a PONG may be before the connection counts as lost (10 ms to 5 minutes; default two intervals). */
    public InvalidationListenerBuilder<K> heartbeatTimeout(Duration timeout) {
        this.heartbeatTimeout = checkRange("heartbeatTimeout", timeout, MIN_HEARTBEAT, MAX_HEARTBEAT_TIMEOUT);
        return this;
    }

    /**
     * The least time between the starts of two reconnect attempts once an attempt has failed or a connection has
     * dropped within this time of being ready (0 to 1 minute; default 1500 ms): a flapping link produces at most
     * one lost/ready pair per debounce.
     */
    public InvalidationListenerBuilder<K> reconnectDebounce(Duration debounce) {
        this.reconnectDebounce = checkRange("reconnectDebounce", debounce, Duration.ZERO, MAX_RECONNECT_DEBOUNCE);
        return this;
    }

    /** The longest wait between reconnect attempts as failures repeat (100 ms to 10 minutes; default 30 s). */
    public InvalidationListenerBuilder<K> maxReconnectBackoff(Duration max) {
        this.maxReconnectBackoff = checkRange("maxReconnectBackoff", max, Duration.ofMillis(100),
                Duration.ofMinutes(10));
        return this;
    }

    /** How long {@link #build()} and each connect attempt may take (100 ms to 5 minutes; default 10 s). */
    public InvalidationListenerBuilder<K> connectTimeout(Duration timeout) {
        this.connectTimeout = checkRange("connectTimeout", timeout, MIN_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT);
        return this;
    }

    /**
     * How long the handshake of each connect attempt (HELLO, AUTH, CLIENT SETNAME) may take once the socket is
     * connected (100 ms to 5 minutes; default: the connect timeout). Shorter than the connect timeout, a server or
     * proxy that accepts the connection and never answers holds an attempt no longer than this.
     */
    public InvalidationListenerBuilder<K> handshakeTimeout(Duration timeout) {
        this.handshakeTimeout = checkRange("handshakeTimeout", timeout, MIN_CONNECT_TIMEOUT, MAX_CONNECT_TIMEOUT);
        return this;
    }

    /**
     * The connection's socket options, such as TCP keepalive and {@code TCP_USER_TIMEOUT} (default: keepalive on,
     * Lettuce's defaults otherwise). Their connect timeout is replaced by {@link #connectTimeout(Duration)}. The
     * heartbeat notices a silent connection whatever these say.
     */
    public InvalidationListenerBuilder<K> socketOptions(SocketOptions options) {
        this.socketOptions = Objects.requireNonNull(options, "socketOptions must not be null");
        return this;
    }

    /**
     * TLS options (trusted CAs, a client certificate) for {@code rediss://} servers; null for Lettuce's defaults,
     * which trust what the JVM trusts.
     */
    public InvalidationListenerBuilder<K> sslOptions(SslOptions options) {
        this.sslOptions = options;
        return this;
    }

    /**
     * Whether each connection also reads its server's {@code run_id} ({@code INFO server}) before it is ready, for
     * {@link InvalidationHandler#ready(long, String)} (default false). Where the server behind one address can change
     * (Redis Sentinel), a client compares it with its data connections' to know they are on the same server, since a
     * REDIRECT names a client id of one server. An ACL user then needs {@code +info}.
     */
    public InvalidationListenerBuilder<K> readServerRunId(boolean enabled) {
        this.readServerRunId = enabled;
        return this;
    }

    /**
     * Whether {@link InvalidationHandler#invalidated} runs on the connection's I/O thread, right where each message
     * is decoded, instead of on the listener's event thread (default false). It saves a thread hand-off per message:
     * the time from Redis's write to the handler's eviction shrinks to a socket read and the handler's own work. The
     * calls stay in order and never concurrent with each other (one connection, one I/O thread), but may run
     * concurrently with the other events, which stay on the event thread; the handler must be thread-safe and must
     * not block. Invalidations of a connection that has ended are not delivered.
     */
    public InvalidationListenerBuilder<K> invalidationsOnIoThread(boolean enabled) {
        this.invalidationsOnIoThread = enabled;
        return this;
    }

    /**
     * The name the connection shows in {@code CLIENT LIST} (1 to 64 letters, digits or {@code -_.:}; default
     * nearcache-invalidation).
     */
    public InvalidationListenerBuilder<K> clientName(String name) {
        Objects.requireNonNull(name, "clientName must not be null");
        if (!isClientName(name, 64)) {
            throw new IllegalArgumentException("clientName must be 1 to 64 letters, digits or -_.: (Redis forbids"
                    + " spaces), got '" + name + "'");
        }
        this.clientName = name;
        return this;
    }

    /** Lettuce resources to share with other clients; the listener does not shut them down. */
    public InvalidationListenerBuilder<K> clientResources(ClientResources resources) {
        this.clientResources = Objects.requireNonNull(resources, "clientResources must not be null");
        return this;
    }

    /** Adds a handler; handlers added here see the first {@code ready}. */
    public InvalidationListenerBuilder<K> handler(InvalidationHandler<K> handler) {
        handlers.add(Objects.requireNonNull(handler, "handler must not be null"));
        return this;
    }

    /**
     * Connects, waits until the connection is ready (its client id known and, over RESP2, the subscription
     * confirmed) and returns the listener.
     *
     * @throws IllegalStateException if no redisUri was given
     * @throws io.lettuce.core.RedisConnectionException naming host and port if it is not ready within the
     *         connect timeout
     */
    public InvalidationListener<K> build() {
        if (redisUri == null) {
            throw new IllegalStateException("redisUri must be set before build()");
        }
        return TrackingRedirectListener.start(this);
    }

    private static Duration checkRange(String name, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    RedisCodec<K, ?> keyCodec() {
        return keyCodec;
    }

    RedisURI redisUri() {
        return redisUri;
    }

    ProtocolVersion protocol() {
        return protocol;
    }

    Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    Duration heartbeatTimeout() {
        return heartbeatTimeout != null ? heartbeatTimeout : heartbeatInterval.multipliedBy(2);
    }

    Duration reconnectDebounce() {
        return reconnectDebounce;
    }

    Duration maxReconnectBackoff() {
        return maxReconnectBackoff;
    }

    Duration connectTimeout() {
        return connectTimeout;
    }

    Duration handshakeTimeout() {
        return handshakeTimeout != null && handshakeTimeout.compareTo(connectTimeout) < 0 ? handshakeTimeout
                : connectTimeout;
    }

    SslOptions sslOptions() {
        return sslOptions;
    }

    SocketOptions socketOptions() {
        return socketOptions.mutate().connectTimeout(connectTimeout).build();
    }

    String clientName() {
        return clientName;
    }

    boolean readServerRunId() {
        return readServerRunId;
    }

    boolean invalidationsOnIoThread() {
        return invalidationsOnIoThread;
    }

    ClientResources clientResources() {
        return clientResources;
    }

    List<InvalidationHandler<K>> handlers() {
        return handlers;
    }
}
