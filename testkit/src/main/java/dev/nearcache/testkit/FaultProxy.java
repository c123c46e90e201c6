package dev.nearcache.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy between clients and one server whose links can be broken the ways real networks break them.
 * Point a client at {@link #uri()} instead of the server's; each connection the client opens becomes a
 * {@link Link} to the server.
 *
 * <ul>
 *   <li>{@link #cut()}: close every open link (FIN), as a server or middlebox closing it does. New connections are
 *       accepted, so clients can reconnect.</li>
 *   <li>{@link #reset()}: abort every open link with a TCP RST.</li>
 *   <li>{@link #stall()}: keep links open but forward nothing, in either direction, on open and new links: a
 *       half-open connection or a partition. What was sent meanwhile is delivered after {@link #restore()}, as TCP
 *       retransmission would.</li>
 *   <li>{@link #delay(Duration)}: forward every chunk that long after it arrived, on open and new links.</li>
 *   <li>{@link #disconnect()}: cut every link and reset new connections at once, until {@link #restore()}: the
 *       server is unreachable. {@link #refuseNewConnections()} resets only new connections.</li>
 *   <li>{@link #holdWhileServerDown()}: while the server refuses connections, accept the client's and never answer
 *       on it, as some TCP proxies and load balancers do while the server behind them is down.</li>
 *   <li>{@link #restore()}: undo stall, delay, disconnect and hold on the proxy and on every link.</li>
 * </ul>
 * And to emulate a server that lacks a command or an option: {@link #refuseCommands(Predicate, String)} (such as
 * {@link #refuseTrackingRedirect()}), kept until {@link #acceptAllCommands()}.
 * The same faults apply to one {@link Link} at a time. If the server refuses a connection, the client's connection
 * is reset.
 *
 * <p>Thread-safe. Each link uses four daemon threads that end when the link closes; {@link #close()} closes the
 * listening socket and every link. Only loopback addresses are used.
 */
public final class FaultProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
    private static final int CHUNK = 16 * 1024;
    private static final int QUEUE_CHUNKS = 256;
    private static final int CONNECT_TIMEOUT_MS = 5000;

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean stalled;
    private volatile boolean stallNew;
    private volatile boolean dropPushes;
    private volatile RespCommandFilter.Refusal refusal;
    private volatile long delayNanos;
    private volatile boolean disconnected;
    private volatile boolean holdWhileDown;
    /** Client connections accepted and left unanswered while the server was down (see holdWhileServerDown). */
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private FaultProxy(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        try {
            listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("could not open a listening socket for the fault proxy", e);
        }
        Reaper.register(this);
        Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-" + listener.getLocalPort() + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        log.debug("Fault proxy 127.0.0.1:{} -> {}:{}", port(), targetHost, targetPort);
    }

    /** Starts a proxy in front of {@code server}. */
    public static FaultProxy to(RedisServer server) {
        Objects.requireNonNull(server, "server must not be null");
        return to(server.host(), server.port());
    }

    /** Starts a proxy in front of {@code host:port}. */
    public static FaultProxy to(String host, int port) {
        Objects.requireNonNull(host, "host must not be null");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
        return new FaultProxy(host, port);
    }

    /** The proxy's host, always the loopback address. */
    public String host() {
        return "127.0.0.1";
    }

    /** The port clients connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** {@code redis://127.0.0.1:<proxy port>}: connect here instead of to the server. */
    public String uri() {
        return "redis://" + host() + ":" + port();
    }

    /** The links that are open now, oldest first. */
    public List<Link> links() {
        return List.copyOf(links);
    }

    /** How many client connections the proxy has accepted since it started, refused ones included. */
    public int acceptedConnections() {
        return accepted.get();
    }

    /**
     * Waits until at least {@code count} links are open.
     *
     * @throws IllegalStateException if they are not within {@code timeout}
     */
    public List<Link> awaitLinks(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (links.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("expected " + count + " open links within " + timeout + ", have "
                        + links.size());
            }
            LocalRedisServer.sleepQuietly(5);
        }
        return links();
    }

    /** Closes every open link with a FIN; new connections are still accepted. */
    public void cut() {
        links.forEach(Link::cut);
    }

    /** Aborts every open link with a TCP RST; new connections are still accepted. */
    public void reset() {
        links.forEach(Link::reset);
    }

    /** Stops forwarding on every open link and on links opened from now on, until {@link #restore()}. */
    public void stall() {
        stalled = true;
        links.forEach(Link::stall);
    }

    /**
     * Stalls links opened from now on, until {@link #restore()}, while open links carry on: a client that loses its
     * connection reconnects, and its new connection hangs (in Redis's handshake, say) instead of being refused.
     */
    public void stallNewConnections() {
        stallNew = true;
    }

    /** Delays every chunk on open and new links by {@code delay}, until {@link #restore()}. */
    public void delay(Duration delay) {
        long nanos = checkDelay(delay);
        delayNanos = nanos;
        links.forEach(link -> link.delay(delay));
    }

    /**
     * Leaves out the RESP3 push frames (invalidations, pub/sub messages) the server sends on every open and new link,
     * until {@link #restore()}, forwarding everything else: connections stay up and answer PING, and every
     * invalidation is lost. See {@link Link#dropPushes(boolean)}.
     */
    public void dropPushes() {
        dropPushes = true;
        links.forEach(link -> link.dropPushes(true));
    }

    /**
     * Makes the server look as if it lacked a command or an option: every command whose words (as sent, e.g.
     * {@code [CLIENT, TRACKING, ON, REDIRECT, 7]}) {@code command} matches is answered with {@code error} instead,
     * in its place among the replies, on open and new links, until {@link #acceptAllCommands()} ({@link #restore()}
     * leaves it: it is what the server is, not a fault). The proxy has the server answer a script that returns the
     * error, so it needs the server's {@code EVAL}; TLS links pass unchanged.
     *
     * @param error the error reply's text, such as {@code "ERR unknown option"}; must not contain {@code "]]"}
     */
    public void refuseCommands(Predicate<List<String>> command, String error) {
        Objects.requireNonNull(command, "command must not be null");
        Objects.requireNonNull(error, "error must not be null");
        if (error.contains("]]") || error.contains("\r") || error.contains("\n") || error.isBlank()) {
            throw new IllegalArgumentException("error must be one line without \"]]\", got " + error);
        }
        refusal = new RespCommandFilter.Refusal(command, error);
        links.forEach(link -> link.commands.refusal = refusal);
    }

    /**
     * Refuses {@code CLIENT TRACKING ON ... REDIRECT <id> ...} as servers that offer client-side caching only on the
     * same connection do (Redis Software and Redis Cloud, Dragonfly): see {@link #refuseCommands}.
     */
    public void refuseTrackingRedirect() {
        refuseCommands(words -> words.size() > 2 && words.get(0).equalsIgnoreCase("CLIENT")
                        && words.get(1).equalsIgnoreCase("TRACKING") && words.get(2).equalsIgnoreCase("ON")
                        && words.stream().anyMatch(w -> w.toUpperCase(Locale.ROOT).equals("REDIRECT")),
                "ERR REDIRECT is not supported by this server (the fault proxy refused it)");
    }

    /** Ends {@link #refuseCommands}: every command is forwarded as sent again. */
    public void acceptAllCommands() {
        refusal = null;
        links.forEach(link -> link.commands.refusal = null);
    }

    /** Resets every open link and every new connection until {@link #restore()}: the server looks unreachable. */
    public void disconnect() {
        disconnected = true;
        reset();
    }

    /**
     * Resets every new connection until {@link #restore()} while open links carry on: clients that lose their
     * connection cannot get a new one.
     */
    public void refuseNewConnections() {
        disconnected = true;
    }

    /**
     * From now on, until {@link #restore()}: a connection accepted while the server refuses connections is kept open
     * and never answered (nor closed), instead of being reset; it stays so after the server is back. A client sees
     * its connect succeed and its handshake hang.
     */
    public void holdWhileServerDown() {
        holdWhileDown = true;
    }

    /** How many connections {@link #holdWhileServerDown()} has held so far. */
    public int heldConnections() {
        return held.size();
    }

    /**
     * Undoes {@link #stall()}, {@link #stallNewConnections()}, {@link #delay(Duration)}, {@link #disconnect()},
     * {@link #refuseNewConnections()}, {@link #holdWhileServerDown()} and {@link #dropPushes()} on the proxy and every
     * link; connections held are closed.
     */
    public void restore() {
        holdWhileDown = false;
        held.forEach(FaultProxy::closeQuietly);
        dropPushes = false;
        stalled = false;
        stallNew = false;
        delayNanos = 0;
        disconnected = false;
        links.forEach(Link::restore);
    }

    /** Stops accepting and aborts every link. Idempotent. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            log.debug("closing the fault proxy listener failed", e);
        }
        links.forEach(Link::reset);
        held.forEach(FaultProxy::closeQuietly);
        Reaper.forget(this);
    }

    @Override
    public String toString() {
        return "FaultProxy[127.0.0.1:" + port() + " -> " + targetHost + ":" + targetPort + "]";
    }

    private static long checkDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay must not be null");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        return delay.toNanos();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("fault proxy on port {} stopped accepting: {}", port(), e.toString());
                }
                return;
            }
            accepted.incrementAndGet();
            if (disconnected) {
                abort(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MS);
            } catch (IOException e) {
                log.debug("fault proxy could not reach {}:{}: {}", targetHost, targetPort, e.toString());
                abort(upstream);
                if (holdWhileDown) {
                    held.add(client); // accepted, and never a byte in answer
                } else {
                    abort(client);
                }
                continue;
            }
            Link link = new Link(accepted.get(), client, upstream);
            if (stalled || stallNew) {
                link.stalled = true;
            }
            link.delayNanos = delayNanos;
            link.pushes.drop = dropPushes;
            link.commands.refusal = refusal;
            links.add(link);
            link.begin();
        }
    }

    private static void abort(Socket socket) {
        try {
            if (!socket.isClosed()) {
                socket.setSoLinger(true, 0);
            }
        } catch (SocketException e) {
            // already gone: closing below is all that is left
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do: the link is going away
        }
    }

    private record Chunk(byte[] bytes, long arrivedNanos) {
    }

    /** One client connection and its connection to the server. Thread-safe. */
    public final class Link {
        private final int id;
        private final Socket client;
        private final Socket upstream;
        private final int clientPort;
        private final int upstreamLocalPort;
        private final Object lock = new Object();
        private final List<Thread> threads = new CopyOnWriteArrayList<>();
        private final AtomicLong fromClient = new AtomicLong();
        private final AtomicLong fromServer = new AtomicLong();
        private volatile boolean stalled;
        private volatile long delayNanos;
        /** Frames the server's bytes; leaves out RESP3 push frames while dropping them (see {@link #dropPushes}). */
        private final RespPushFilter pushes = new RespPushFilter();
        /** Frames the client's commands; answers refused ones with an error (see {@link #refuseCommands}). */
        private final RespCommandFilter commands = new RespCommandFilter();
        private volatile boolean open = true;

        private Link(int id, Socket client, Socket upstream) {
            this.id = id;
            this.client = client;
            this.upstream = upstream;
            this.clientPort = client.getPort();
            this.upstreamLocalPort = upstream.getLocalPort();
        }

        private void begin() {
            pump(client, upstream, "c2s", fromClient, commands);
            pump(upstream, client, "s2c", fromServer, pushes);
        }

        /**
         * While {@code drop}, leaves out the RESP3 push frames the server sends on this link (invalidations, pub/sub
         * messages) and forwards everything else, replies to PING included: a link that stays up and answers, but
         * loses every invalidation. {@link #restore()} turns it off too.
         */
        public void dropPushes(boolean drop) {
            pushes.drop = drop;
        }

        /** RESP3 push frames left out on this link so far. */
        public long droppedPushes() {
            return pushes.dropped();
        }

        /** Commands answered with an error on this link so far (see {@link #refuseCommands}). */
        public long refusedCommands() {
            return commands.refused();
        }

        /**
         * Bytes the proxy has received from the client on this link, forwarded or not: tells a test that the
         * client has written a request even while the link is stalled or delayed.
         */
        public long bytesFromClient() {
            return fromClient.get();
        }

        /** Bytes the proxy has received from the server on this link, forwarded or not. */
        public long bytesFromServer() {
            return fromServer.get();
        }

        /** The number of this link among the proxy's accepted connections, from 1. */
        public int id() {
            return id;
        }

        /** The client's local port: tells which client connection this link carries. */
        public int clientPort() {
            return clientPort;
        }

        /** The port the server sees this link come from ({@code addr=127.0.0.1:<port>} in CLIENT LIST). */
        public int upstreamLocalPort() {
            return upstreamLocalPort;
        }

        /** Whether the link is still open. */
        public boolean isOpen() {
            return open;
        }

        /** Closes both sides with a FIN. */
        public void cut() {
            if (markClosed()) {
                shutdownAndClose(client);
                shutdownAndClose(upstream);
                log.debug("fault proxy {} cut link {}", port(), id);
            }
        }

        /** Aborts both sides with a TCP RST. */
        public void reset() {
            if (markClosed()) {
                abort(client);
                abort(upstream);
                log.debug("fault proxy {} reset link {}", port(), id);
            }
        }

        /** Stops forwarding in both directions; the link stays open. */
        public void stall() {
            stalled = true;
        }

        /** Forwards every chunk {@code delay} after it arrived. */
        public void delay(Duration delay) {
            delayNanos = checkDelay(delay);
            wake();
        }

        /** Forwards normally again; what a stall held back is delivered now. */
        public void restore() {
            stalled = false;
            delayNanos = 0;
            pushes.drop = false;
            wake();
        }

        @Override
        public String toString() {
            return "Link[" + id + " client port " + clientPort + " upstream port " + upstreamLocalPort
                    + (open ? "" : " closed") + (stalled ? " stalled" : "") + "]";
        }

        private boolean markClosed() {
            synchronized (lock) {
                if (!open) {
                    return false;
                }
                open = false;
                lock.notifyAll();
            }
            links.remove(this);
            threads.forEach(Thread::interrupt);
            return true;
        }

        private void wake() {
            synchronized (lock) {
                lock.notifyAll();
            }
        }

        private void shutdownAndClose(Socket socket) {
            try {
                socket.shutdownOutput();
            } catch (IOException e) {
                // already closed or reset by the peer
            }
            closeQuietly(socket);
        }

        /** Reader thread: socket to queue. Writer thread: queue to socket, honouring stall and delay. */
        private void pump(Socket from, Socket to, String direction, AtomicLong received, RespFrameFilter filter) {
            BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>(QUEUE_CHUNKS);
            String name = "fault-proxy-" + port() + "-link-" + id + "-" + direction;
            start(name + "-read", () -> {
                try (InputStream in = from.getInputStream()) {
                    byte[] buffer = new byte[CHUNK];
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        received.addAndGet(n);
                        byte[] bytes = Arrays.copyOf(buffer, n);
                        if (filter != null) {
                            bytes = filter.feed(bytes);
                        }
                        if (bytes.length > 0) { // an empty chunk means the end of the stream
                            queue.put(new Chunk(bytes, System.nanoTime()));
                        }
                    }
                    // end of stream: forward what came before, then close the link
                    queue.put(new Chunk(new byte[0], System.nanoTime()));
                } catch (IOException | InterruptedException e) {
                    reset(); // the peer reset, or the link was closed on purpose
                }
            });
            start(name + "-write", () -> {
                try {
                    OutputStream out = to.getOutputStream();
                    while (true) {
                        Chunk chunk = queue.take();
                        awaitForwarding(chunk.arrivedNanos());
                        if (chunk.bytes().length == 0) {
                            cut();
                            return;
                        }
                        out.write(chunk.bytes());
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    reset();
                }
            });
        }

        private void awaitForwarding(long arrived) throws InterruptedException {
            synchronized (lock) {
                while (open) {
                    if (stalled) {
                        lock.wait();
                        continue;
                    }
                    long wait = arrived + delayNanos - System.nanoTime();
                    if (wait <= 0) {
                        return;
                    }
                    lock.wait(Math.max(1, wait / 1_000_000));
                }
            }
            throw new InterruptedException("link closed");
        }

        private void start(String name, Runnable body) {
            Thread thread = new Thread(body, name);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }
}
