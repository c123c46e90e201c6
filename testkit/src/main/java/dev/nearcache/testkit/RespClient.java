package dev.nearcache.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLSocketFactory;

/**
 * A one-command-per-connection RESP2 client for administering test servers (PING, INFO, CLUSTER ...).
 *
 * <p>Written by hand on purpose: the test kit runs inside the JVM whose Redis client is under test, and
 * must not add Netty event loops, Lettuce connections or client state there (later tests count threads and
 * connections). Each call opens a socket, sends one command, reads one reply and closes.
 *
 * <p>Replies map to: simple string and bulk string to {@link String}, integer to {@link Long}, array to
 * {@link List}, null to {@code null}; an error reply throws {@link RedisAdminException}.
 */
final class RespClient {
    private RespClient() {
    }

    static Object call(Endpoint endpoint, Duration timeout, String... args) {
        try (Socket socket = open(endpoint, timeout)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            if (endpoint.password() != null) {
                write(out, endpoint.username() == null
                        ? new String[] {"AUTH", endpoint.password()}
                        : new String[] {"AUTH", endpoint.username(), endpoint.password()});
                read(in);
            }
            if (endpoint.database() != 0) {
                write(out, "SELECT", Integer.toString(endpoint.database()));
                read(in);
            }
            write(out, args);
            return read(in);
        } catch (IOException e) {
            throw new RedisAdminException(args[0] + " to " + endpoint.redacted() + " failed: " + e, e);
        }
    }

    /**
     * Whether the server answers PING; an error reply (such as NOAUTH or LOADING) also shows it is up and
     * listening, and only a failure to connect or to get a reply counts as down.
     */
    static boolean ping(Endpoint endpoint, Duration timeout) {
        try {
            return "PONG".equals(call(endpoint, timeout, "PING"));
        } catch (RedisAdminException e) {
            return e.isServerReply();
        }
    }

    private static Socket open(Endpoint endpoint, Duration timeout) throws IOException {
        int millis = (int) Math.max(1, timeout.toMillis());
        Socket socket = endpoint.tls() ? SSLSocketFactory.getDefault().createSocket() : new Socket();
        try {
            socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), millis);
            socket.setSoTimeout(millis);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private static void write(OutputStream out, String... args) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64 + args.length * 8);
        buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(bytes);
            buf.writeBytes(new byte[] {'\r', '\n'});
        }
        out.write(buf.toByteArray());
        out.flush();
    }

    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new IOException("connection closed before a reply");
        }
        String line = readLine(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new RedisAdminException(line, null);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                byte[] data = in.readNBytes(len + 2);
                if (data.length != len + 2) {
                    throw new IOException("connection closed inside a bulk reply");
                }
                return new String(data, 0, len, StandardCharsets.UTF_8);
            }
            case '*': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(len);
                for (int i = 0; i < len; i++) {
                    items.add(read(in));
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type byte '" + (char) type + "'");
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\r') {
                in.read(); // '\n'
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed inside a reply line");
    }
}
