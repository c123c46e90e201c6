package dev.nearcache.testkit;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * A real Redis server for tests, started by {@link RedisServers} or {@link RedisExtension}.
 *
 * <p>A server the kit started runs in its own temporary directory with persistence off, on a loopback port
 * that stays the same across {@link #stop()} and {@link #start()}, so restart tests reconnect to the same
 * address. {@link #close()} stops it, reaps the process and deletes the directory; a JVM shutdown hook does the
 * same for servers nobody closed. An {@link RedisSource#EXTERNAL external} server is only used:
 * its lifecycle methods throw {@link UnsupportedOperationException} and {@link #isControllable()} is false.
 *
 * <p>Thread-safe: lifecycle methods are serialized; {@link #uri()} and friends may be read from any thread.
 */
public interface RedisServer extends AutoCloseable {

    /** The URI clients connect with, e.g. {@code redis://127.0.0.1:23456}; may hold a password for external servers. */
    String uri();

    /** The host clients connect to. */
    String host();

    /** The port clients connect to; the same before and after a restart. */
    int port();

    /** The server's {@code redis_version}, e.g. {@code 7.0.15} (Valkey 8 reports 7.2.4, its own version apart). */
    String version();

    /** Where the server comes from. */
    RedisSource source();

    /**
     * The TLS port of a server started with {@link RedisServers.Builder#tls}, the same across restarts; empty for
     * others.
     */
    default java.util.OptionalInt tlsPort() {
        return java.util.OptionalInt.empty();
    }

    /** Whether {@link #stop()}, {@link #kill()} and {@link #start()} are supported (false for external servers). */
    boolean isControllable();

    /** Whether the server answers PING now. */
    boolean isRunning();

    /** The operating-system process id of a locally started server, if there is one running. */
    OptionalLong pid();

    /**
     * Starts the server again on the same port after {@link #stop()} or {@link #kill()}, with an empty data set,
     * and waits until it answers PING. Does nothing if it is running.
     *
     * @throws IllegalStateException if it cannot start (the message includes the end of the server's log)
     */
    void start();

    /** Shuts the server down gracefully (SIGTERM) and waits until its process is gone. Does nothing if stopped. */
    void stop();

    /** Kills the server abruptly (SIGKILL), as a crash would, and waits until its process is gone. */
    void kill();

    /** {@link #stop()} then {@link #start()} on the same port. */
    default void restart() {
        stop();
        start();
    }

    /** Sends {@code FLUSHALL} (allowed on external servers too: tests own the data they write). */
    void flushAll();

    /**
     * Sends one command and returns the reply (String, Long, List or null) for administrative needs such as
     * {@code CONFIG SET}, {@code CLIENT LIST} or {@code DEBUG SLEEP}.
     *
     * @throws RedisAdminException if the server answers with an error or cannot be reached within {@code timeout}
     */
    Object command(Duration timeout, String... args);

    /** Stops a locally started server, reaps its process and deletes its directory. Idempotent. */
    @Override
    void close();
}
