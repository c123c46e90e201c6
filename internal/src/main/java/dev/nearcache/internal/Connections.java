package dev.nearcache.internal;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisChannelWriter;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.protocol.CommandExpiryWriter;
import io.lettuce.core.protocol.DefaultEndpoint;
import java.util.concurrent.ThreadFactory;

/** What every connection of the cache is made with, and done to. Not API. Stateless, so thread-safe. */
public final class Connections {
    private Connections() {
    }

    /**
     * The options every client of the cache shares: its socket options (connect timeout, keep-alive), TLS when given
     * (null: Lettuce's defaults), and whether commands fail at once while disconnected instead of waiting for the
     * reconnect.
     */
    public static <B extends ClientOptions.Builder> B options(B options, SocketOptions sockets, SslOptions tls,
                                                               boolean failFastWhenDisconnected) {
        options.socketOptions(sockets).disconnectedBehavior(failFastWhenDisconnected
                ? ClientOptions.DisconnectedBehavior.REJECT_COMMANDS : ClientOptions.DisconnectedBehavior.DEFAULT);
        if (tls != null) {
            options.sslOptions(tls);
        }
        return options;
    }

    /** Closes the socket under {@code connection}; Lettuce reconnects it (the connection object stays valid). */
    public static void dropSocket(StatefulConnection<?, ?> connection) {
        RedisChannelWriter channel = ((RedisChannelHandler<?, ?>) connection).getChannelWriter();
        if (channel instanceof CommandExpiryWriter) {
            channel = ((CommandExpiryWriter) channel).getDelegate(); // Lettuce 6 and 7 both have it
        }
        if (channel instanceof DefaultEndpoint) {
            ((DefaultEndpoint) channel).disconnect();
        }
    }

    /** Daemon threads named {@code name} (they never keep the JVM alive). */
    public static ThreadFactory daemonThreads(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
