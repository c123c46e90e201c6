package dev.nearcache.internal;

import java.time.Duration;

/**
 * The defaults and bounds the loader, the listener and the core share, so that the core's builder accepts only what
 * the parts it builds accept. Not API. Constants and pure functions, so thread-safe.
 */
public final class Limits {
    private Limits() {
    }

    /**
     * Default number of data connections. Batches pipeline on a connection, so one connection no longer waits for
     * a round trip between batches; the second is there for its I/O thread: a write goes to a connection whose I/O
     * thread is not busy handing a reply to its callers. Measured on the near cache's uniform miss-heavy load (Redis
     * 7.0 on loopback, 2 cores, 64 blocking callers): 77,000 reads/s while writes waited for the busy thread, 103,000
     * to 110,000 with two connections sharing the work; at 16 callers one connection gave 77,000 to 90,000, two 82,000
     * to 87,000 and four 70,000 to 85,000 over the same runs: within this machine's run-to-run noise.
     */
    public static final int DEFAULT_CONNECTIONS = 2;
    /**
     * Default maximum keys per MGET. Measured with two connections at 1,600 concurrent loads: batches of 32 gave
     * 0.52 M keys/s, 128 gave 0.8-1.05 M, 256 gave 0.97 M, 512 gave 1.17-1.30 M, 1,024 gave 0.81 M; at 16 and 64
     * callers the size makes no difference, as batches never fill there. An MGET of 512 values of 100 bytes holds
     * Redis's thread for well under a millisecond.
     */
    public static final int DEFAULT_MAX_BATCH_SIZE = 512;
    /** Default bound of the queue of keys waiting to be sent. */
    public static final int DEFAULT_MAX_PENDING_KEYS = 100_000;
    /** Default time a batch may take before its futures fail; a cache must fail fast rather than hang. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** The shortest command timeout accepted. */
    public static final Duration MIN_COMMAND_TIMEOUT = Duration.ofMillis(1);
    /** The longest command timeout accepted. */
    public static final Duration MAX_COMMAND_TIMEOUT = Duration.ofMinutes(10);
    /** The shortest connect timeout accepted. */
    public static final Duration MIN_CONNECT_TIMEOUT = Duration.ofMillis(100);
    /** The longest connect timeout accepted. */
    public static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(5);

    /** Default time between heartbeat PINGs. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
    /** Default minimum time between reconnect attempts after a failure or a quick drop. */
    public static final Duration DEFAULT_RECONNECT_DEBOUNCE = Duration.ofMillis(1500);
    /** Default longest wait between reconnect attempts. */
    public static final Duration DEFAULT_MAX_RECONNECT_BACKOFF = Duration.ofSeconds(30);
    /** The shortest heartbeat interval and timeout accepted. */
    public static final Duration MIN_HEARTBEAT = Duration.ofMillis(10);
    /** The longest heartbeat interval accepted. */
    public static final Duration MAX_HEARTBEAT_INTERVAL = Duration.ofMinutes(1);
    /** The longest heartbeat timeout accepted. */
    public static final Duration MAX_HEARTBEAT_TIMEOUT = Duration.ofMinutes(5);
    /** The longest reconnect debounce accepted. */
    public static final Duration MAX_RECONNECT_DEBOUNCE = Duration.ofMinutes(1);

    /**
     * How long a connection's handshake (HELLO, AUTH, CLIENT SETNAME, on every connect and reconnect) may take: one
     * command timeout, at least 1 s, at most the connect timeout. It is a round of commands like any other (rule 9):
     * a server, or a proxy in front of one, that accepts a connection and never answers holds a reconnect no longer.
     */
    public static Duration handshakeTimeout(Duration commandTimeout, Duration connectTimeout) {
        Duration atLeast = commandTimeout.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : commandTimeout;
        return atLeast.compareTo(connectTimeout) > 0 ? connectTimeout : atLeast;
    }

    /**
     * Five command timeouts, kept between 1 s and 10 s: a connect is a TCP and often a TLS handshake plus HELLO,
     * which a loaded machine does not finish in a few milliseconds however short the command timeout is.
     */
    public static Duration defaultConnectTimeout(Duration commandTimeout) {
        Duration fiveTimes = commandTimeout.multipliedBy(5);
        Duration atLeast = Duration.ofSeconds(1);
        Duration atMost = Duration.ofSeconds(10);
        return fiveTimes.compareTo(atLeast) < 0 ? atLeast : fiveTimes.compareTo(atMost) > 0 ? atMost : fiveTimes;
    }

    /**
     * Whether {@code name} may name a connection in {@code CLIENT LIST}: 1 to {@code maxLength} letters, digits or
     * {@code -_.:} (Redis refuses spaces and other characters in a client name).
     */
    public static boolean isClientName(String name, int maxLength) {
        return name.length() <= maxLength && name.matches("[A-Za-z0-9_.:-]+");
    }
}
