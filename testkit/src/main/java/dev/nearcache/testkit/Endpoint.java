package dev.nearcache.testkit;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Where a server listens and how to log in; {@link #toString()} and {@link #redacted()} never show the password. */
record Endpoint(String host, int port, boolean tls, String username, String password, int database) {

    static Endpoint local(int port) {
        return new Endpoint("127.0.0.1", port, false, null, null, 0);
    }

    /**
     * Parses {@code redis://[[user]:password@]host[:port][/db]} or {@code rediss://...}.
     *
     * @throws IllegalArgumentException naming {@code variable} and the expected form
     */
    static Endpoint parse(String variable, String value) {
        String expected = variable + " must look like redis://[[user]:password@]host[:port][/database]"
                + " or rediss://...";
        URI uri;
        try {
            uri = URI.create(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(expected + ", but it is not a valid URI", e);
        }
        String scheme = uri.getScheme();
        if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
            throw new IllegalArgumentException(expected + ", but its scheme is '" + scheme + "'");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(expected + ", but it names no host");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            if (colon < 0) {
                password = decode(info);
            } else {
                user = colon == 0 ? null : decode(info.substring(0, colon));
                password = decode(info.substring(colon + 1));
            }
        }
        int db = 0;
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            try {
                db = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(expected + ", but its database '" + path.substring(1)
                        + "' is not a number", e);
            }
        }
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        return new Endpoint(uri.getHost(), port, "rediss".equals(scheme), user, password, db);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    String redacted() {
        return (tls ? "rediss://" : "redis://") + (password != null ? "***@" : "") + host + ":" + port
                + (database != 0 ? "/" + database : "");
    }

    @Override
    public String toString() {
        return redacted();
    }
}
