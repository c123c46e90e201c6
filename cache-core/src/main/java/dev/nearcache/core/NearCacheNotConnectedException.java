package dev.nearcache.core;

/**
 * Thrown by a cache built with {@link NearCacheBuilder#startWithoutRedis(boolean) startWithoutRedis(true)} for a
 * read or write it cannot serve because it has not connected to Redis yet (it keeps trying in the background). Read
 * through {@link NearCache#get(Object, java.util.function.Function)} instead to be served by the loader meanwhile.
 */
public final class NearCacheNotConnectedException extends NearCacheException {
    NearCacheNotConnectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
