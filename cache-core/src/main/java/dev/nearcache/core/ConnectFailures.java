package dev.nearcache.core;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLException;

/**
 * Names the root cause of a failed connection in words (an unknown host, a refused connection, a failed TLS
 * handshake, a refused password, no answer), which Lettuce buries under "Unable to connect to host/&lt;unresolved&gt;".
 * Uses only the causes' types and messages: Redis's replies and the JDK's never hold the password.
 */
final class ConnectFailures {
    private ConnectFailures() {
    }

    /**
     * The root cause of {@code failure} to connect to {@code endpoint} (host:port, or a cluster's seed list), for a
     * top-level message; {@code tls} says whether the connection was to use TLS.
     */
    static String describe(Throwable failure, String endpoint, boolean tls) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        Throwable innermost = failure;
        for (Throwable t = failure; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
            innermost = t;
            if (t instanceof UnknownHostException) {
                int colon = endpoint.lastIndexOf(':');
                return "unknown host '" + (colon > 0 ? endpoint.substring(0, colon) : endpoint) + "' ("
                        + t.getMessage() + ")";
            }
            if (t instanceof ConnectException) {
                String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
                if (message.contains("refused")) {
                    return "connection refused: nothing listens on " + endpoint;
                }
                return "cannot reach " + endpoint + " (" + t.getMessage() + ")";
            }
            if (t instanceof SSLException) {
                return "TLS handshake failed: " + tlsReason(t);
            }
            if (t instanceof RedisCommandExecutionException) {
                String message = String.valueOf(t.getMessage());
                if (message.startsWith("WRONGPASS") || message.startsWith("NOAUTH")
                        || message.contains("invalid password") || message.contains("AUTH")) {
                    return "authentication failed: " + message;
                }
                return "Redis refused the connection's set-up: " + message;
            }
            if (String.valueOf(t.getMessage()).contains("Connection closed prematurely")) {
                // Lettuce reports a refused AUTH this way when the channel's close wins the race with the reply
                return "the connection closed during the handshake (a wrong user or password? a server that"
                        + " refuses clients: maxclients, protected mode?)";
            }
            if (t instanceof RedisCommandTimeoutException) {
                return "no answer from " + endpoint + " in time (" + t.getMessage() + ")" + (tls ? "; a plain port"
                        + " never answers the TLS handshake: is it the server's TLS port?" : "");
            }
        }
        return String.valueOf(innermost.getMessage());
    }

    private static String tlsReason(Throwable tls) {
        String message = String.valueOf(tls.getMessage());
        if (tls.getClass().getSimpleName().equals("NotSslRecordException")) {
            return "the server does not answer in TLS (a plain port? use redis:// or its TLS port)";
        }
        if (message.contains("PKIX") || message.contains("unable to find valid certification path")) {
            return "the server's certificate is not signed by a trusted CA (give it with tlsCaFile / REDIS_TLS_CA_FILE)";
        }
        if (message.contains("No subject alternative") || message.contains("doesn't match")) {
            return "the server's certificate does not name this host (" + message + ")";
        }
        return message;
    }
}
