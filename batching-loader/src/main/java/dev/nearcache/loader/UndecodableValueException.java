package dev.nearcache.loader;

import io.lettuce.core.RedisException;

/** A value read from Redis that the codec could not decode. */
final class UndecodableValueException extends RedisException {
    UndecodableValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
