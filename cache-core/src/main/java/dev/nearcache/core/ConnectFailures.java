package dev.nearcache.core;

import dev.nearcache.internal.RedisErrors;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import io.lettuce.core.RedisCommandTimeoutException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
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
                if (RedisErrors.credentials(message)
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

    /** What {@link #describe} says when Lettuce closed the channel before it reported the server's reply. */
    static boolean closedDuringHandshake(String description) {
        return description.startsWith("the connection closed during the handshake");
    }

    /**
     * Asks the server directly what it says to {@code uri}'s credentials ({@code AUTH}, or {@code PING} without
     * any): over a plain socket, one request, one line of reply, within {@code timeout}. For when Lettuce closed the
     * channel before it reported the reply. Returns the server's error line (WRONGPASS, NOAUTH, max clients,
     * protected mode...), or null if it accepted, did not answer, or the connection uses TLS or Sentinel. Redis's
     * replies never hold the password.
     */
    static String askServer(RedisURI uri, Duration timeout) {
        if (uri.isSsl() || !uri.getSentinels().isEmpty() || uri.getHost() == null) {
            return null;
        }
        List<String> words = new ArrayList<>();
        RedisCredentials credentials = uri.getCredentialsProvider() == null ? null
                : uri.getCredentialsProvider().resolveCredentials().block(timeout);
        if (credentials != null && credentials.hasPassword()) {
            words.add("AUTH");
            if (credentials.hasUsername()) {
                words.add(credentials.getUsername());
            }
            words.add(new String(credentials.getPassword()));
        } else {
            words.add("PING");
        }
        int millis = (int) Math.max(1, timeout.toMillis());
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), millis);
            socket.setSoTimeout(millis);
            StringBuilder request = new StringBuilder("*").append(words.size()).append("\r\n");
            for (String word : words) {
                byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
                request.append('$').append(bytes.length).append("\r\n").append(word).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c >= 0 && c != '\r' && line.length() < 512; c = in.read()) {
                line.append((char) c);
            }
            return line.length() > 1 && line.charAt(0) == '-' ? line.substring(1) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
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
