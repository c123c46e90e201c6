package dev.nearcache.testkit;

/**
 * An administrative command the test kit sent to a Redis server failed: the server answered with an error,
 * or could not be reached. The message names the command and the endpoint, never a password.
 */
public final class RedisAdminException extends RuntimeException {
    private final boolean serverReply;

    RedisAdminException(String message, Throwable cause) {
        super(message, cause);
        this.serverReply = cause == null;
    }

    /** True when the server answered with an error reply (so it is up), false when it could not be reached. */
    public boolean isServerReply() {
        return serverReply;
    }
}
