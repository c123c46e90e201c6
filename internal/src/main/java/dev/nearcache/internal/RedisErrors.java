package dev.nearcache.internal;

import io.lettuce.core.RedisCommandExecutionException;

/**
 * What an error reply of Redis says, by its code (the first word of the message: {@code NOPERM}, {@code WRONGPASS},
 * ...), in one place for the loader, the listener and the core. Not API. Stateless, so thread-safe.
 */
public final class RedisErrors {
    private RedisErrors() {
    }

    /** Whether {@code failure} itself (not a cause) is an error reply with one of these codes. */
    public static boolean is(Throwable failure, String... codes) {
        return failure instanceof RedisCommandExecutionException && hasCode(failure.getMessage(), codes);
    }

    /** Whether an error reply's message begins with one of these codes. */
    public static boolean hasCode(String message, String... codes) {
        if (message != null) {
            for (String code : codes) {
                if (message.startsWith(code)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A permission the ACL user lacks. */
    public static boolean permission(String message) {
        return hasCode(message, "NOPERM");
    }

    /** Credentials the server refused, or none given where it wants some. */
    public static boolean credentials(String message) {
        return hasCode(message, "WRONGPASS", "NOAUTH");
    }

    /** A server that cannot serve now but will again: it answered, but not with the value. */
    public static boolean unavailable(String message) {
        return hasCode(message, "CLUSTERDOWN", "MASTERDOWN", "LOADING", "BUSY", "TRYAGAIN");
    }
}
