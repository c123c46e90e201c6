package dev.nearcache.internal;

/** Fields of an {@code INFO} reply. Not API. Stateless, so thread-safe. */
public final class RedisInfo {
    private RedisInfo() {
    }

    /** The value of {@code name} in an {@code INFO} reply, or null (also for a null reply). */
    public static String field(String info, String name) {
        if (info != null) {
            for (String line : info.split("\r?\n")) {
                if (line.startsWith(name + ":")) {
                    return line.substring(name.length() + 1).trim();
                }
            }
        }
        return null;
    }
}
