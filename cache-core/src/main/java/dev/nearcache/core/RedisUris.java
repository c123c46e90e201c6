package dev.nearcache.core;

import io.lettuce.core.RedisURI;
import java.util.Locale;

/**
 * Parses the Redis URIs the builder and the environment are given, refusing what Lettuce would misread (an
 * unencoded reserved character in a password, a port that is no number) with a message that names the setting and
 * never echoes any part of the value, which may hold a password.
 */
final class RedisUris {
    private RedisUris() {
    }

    /**
     * Parses a Redis URI. The message names {@code name} and never echoes any part of the value, which may hold a
     * password; it says which part is wrong.
     */
    static RedisURI parse(String name, String value) {
        String expected = name + " must look like redis://[[user]:password@]host[:port][/database] or rediss://...";
        String trimmed = value.trim();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("redis://") && !lower.startsWith("rediss://")) {
            throw new NearCacheConfigurationException(expected + "; it does not start with redis:// or rediss://"
                    + (lower.startsWith("redis-sentinel://") ? " (Sentinel is not supported yet)" : ""));
        }
        String rest = trimmed.substring(trimmed.indexOf("://") + 3);
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            if (userInfo.matches(".*[#?/@\\\\].*") || userInfo.matches(".*%(?![0-9A-Fa-f]{2}).*")) {
                throw new NearCacheConfigurationException(expected + "; its user or password holds a character that"
                        + " must be percent-encoded in a URL (# ? / \\ % @ as %23 %3F %2F %5C %25 %40), or give the"
                        + " password in REDIS_PASSWORD");
            }
        }
        String authority = rest.substring(at + 1).split("[/?#]", 2)[0];
        if (authority.isEmpty() || authority.startsWith(":")) {
            throw new NearCacheConfigurationException(expected + "; it names no host");
        }
        int colon = authority.lastIndexOf(':');
        if (colon > authority.lastIndexOf(']')) {
            String port = authority.substring(colon + 1);
            if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new NearCacheConfigurationException(expected + "; its port is not a number from 1 to 65535");
            }
        }
        RedisURI uri;
        try {
            uri = RedisURI.create(trimmed);
        } catch (RuntimeException e) {
            throw new NearCacheConfigurationException(expected + "; it could not be parsed");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new NearCacheConfigurationException(expected + "; it names no host");
        }
        return uri;
    }
}
