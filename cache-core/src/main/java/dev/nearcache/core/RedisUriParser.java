package dev.nearcache.core;

import io.lettuce.core.RedisURI;
import java.util.Locale;

/**
 * Parses the Redis URIs the builder and the environment are given, refusing what Lettuce would misread (an
 * unencoded reserved character in a password, a port that is no number) with a message that names the setting and
 * never echoes any part of the value, which may hold a password.
 */
final class RedisUriParser {
    private RedisUriParser() {
    }

    /**
     * Parses a Redis URI. The message names {@code name} and never echoes any part of the value, which may hold a
     * password; it says which part is wrong.
     */
    static RedisURI parse(String name, String value) {
        String expected = name + " must look like redis://[[user]:password@]host[:port][/database] or rediss://..."
                + " (or redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/database]#master)";
        String trimmed = value.trim();
        String lower = trimmed.toLowerCase(Locale.ROOT);
        boolean sentinel = lower.startsWith("redis-sentinel://") || lower.startsWith("rediss-sentinel://");
        if (!lower.startsWith("redis://") && !lower.startsWith("rediss://") && !sentinel) {
            throw new NearCacheConfigurationException(expected + "; it does not start with redis://, rediss:// or"
                    + " redis-sentinel://");
        }
        String rest = trimmed.substring(trimmed.indexOf("://") + 3);
        // a Sentinel URI ends in #master; elsewhere a # before the last @ is an unencoded one in the password
        int hash = rest.indexOf('#');
        int at = sentinel && hash >= 0 ? rest.lastIndexOf('@', hash) : rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            if (userInfo.matches(".*[#?/@\\\\].*") || userInfo.matches(".*%(?![0-9A-Fa-f]{2}).*")) {
                throw new NearCacheConfigurationException(expected + "; its user or password holds a character that"
                        + " must be percent-encoded in a URL (# ? / \\ % @ as %23 %3F %2F %5C %25 %40), or give the"
                        + " password in REDIS_PASSWORD");
            }
        }
        String authority = rest.substring(at + 1).split("[/?#]", 2)[0];
        for (String node : sentinel ? authority.split(",", -1) : new String[] {authority}) {
            checkHostPort(expected, node.trim(), sentinel);
        }
        if (sentinel) {
            if (hash < 0 || rest.substring(hash + 1).isBlank()) {
                throw new NearCacheConfigurationException(expected + "; it names no master (#name at the end)");
            }
        }
        RedisURI uri;
        try {
            uri = RedisURI.create(trimmed);
        } catch (RuntimeException e) {
            throw new NearCacheConfigurationException(expected + "; it could not be parsed");
        }
        if (sentinel ? uri.getSentinels().isEmpty() : uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new NearCacheConfigurationException(expected + "; it names no host");
        }
        return uri;
    }

    private static void checkHostPort(String expected, String authority, boolean sentinel) {
        if (authority.isEmpty() || authority.startsWith(":")) {
            throw new NearCacheConfigurationException(expected + "; it names no host" + (sentinel ? " (a sentinel"
                    + " entry is empty)" : ""));
        }
        int colon = authority.lastIndexOf(':');
        if (colon > authority.lastIndexOf(']')) {
            String port = authority.substring(colon + 1);
            if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new NearCacheConfigurationException(expected + "; its port is not a number from 1 to 65535");
            }
        }
    }

}
