package dev.nearcache.core;

import io.lettuce.core.SocketOptions;
import io.lettuce.core.resource.EpollProvider;
import io.lettuce.core.resource.IOUringProvider;
import java.time.Duration;

/**
 * The socket options of every connection the cache opens (data, invalidation, writes), so that the kernel also
 * notices a peer that is gone (DESIGN.md rule 9). The heartbeat (rule 5) and the command timeout notice a silent
 * connection first; these catch a dead peer on an idle connection and data that is never acknowledged:
 * <ul>
 *   <li>TCP keepalive: the first probe after {@value #KEEPALIVE_IDLE_SECONDS} s without traffic, then one every
 *       {@value #KEEPALIVE_INTERVAL_SECONDS} s, the connection closed after {@value #KEEPALIVE_COUNT} unanswered
 *       probes (on NIO with Java 11 or later, and on the native transports);</li>
 *   <li>{@code TCP_USER_TIMEOUT} of {@value #USER_TIMEOUT_SECONDS} s: the connection is closed when data it sent is
 *       not acknowledged for that long. Linux supports it only on Netty's native transports: add
 *       {@code io.netty:netty-transport-native-epoll} (classifier {@code linux-x86_64} or {@code linux-aarch_64})
 *       or io_uring to the application, and Lettuce uses it; on NIO it is left off.</li>
 * </ul>
 */
final class SocketSettings {
    static final int KEEPALIVE_IDLE_SECONDS = 5;
    static final int KEEPALIVE_INTERVAL_SECONDS = 1;
    static final int KEEPALIVE_COUNT = 3;
    static final int USER_TIMEOUT_SECONDS = 8;

    private SocketSettings() {
    }

    /** The options, with {@code connectTimeout}. */
    static SocketOptions options(Duration connectTimeout) {
        SocketOptions.Builder b = SocketOptions.builder().connectTimeout(connectTimeout)
                .keepAlive(SocketOptions.KeepAliveOptions.builder().enable()
                        .idle(Duration.ofSeconds(KEEPALIVE_IDLE_SECONDS))
                        .interval(Duration.ofSeconds(KEEPALIVE_INTERVAL_SECONDS))
                        .count(KEEPALIVE_COUNT).build());
        if (EpollProvider.isAvailable() || IOUringProvider.isAvailable()) {
            b.tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable()
                    .tcpUserTimeout(Duration.ofSeconds(USER_TIMEOUT_SECONDS)).build());
        }
        return b.build();
    }
}
