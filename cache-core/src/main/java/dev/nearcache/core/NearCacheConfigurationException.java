package dev.nearcache.core;

/**
 * A configuration value is malformed or out of range. The message names the setting or environment variable and
 * the form it expects, and never echoes a password.
 */
public class NearCacheConfigurationException extends IllegalArgumentException {
    public NearCacheConfigurationException(String message) {
        super(message);
    }
}
