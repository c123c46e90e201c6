package dev.nearcache.core;

/**
 * Redis could not serve a read or a write: it is unreachable, timed out, or answered with an error. The message
 * names the endpoint (host and port, never a password); the cause is Lettuce's exception.
 */
public class NearCacheException extends RuntimeException {
    public NearCacheException(String message, Throwable cause) {
        super(message, cause);
    }
}
