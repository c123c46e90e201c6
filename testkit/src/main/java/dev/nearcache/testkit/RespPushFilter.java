package dev.nearcache.testkit;

import java.io.ByteArrayOutputStream;

/**
 * The server-to-client side of a link: while {@link #drop} is on, leaves out the top-level RESP3 push frames
 * ({@code >}: invalidations, pub/sub messages), passing every reply through unchanged and in order.
 */
final class RespPushFilter extends RespFrameFilter {
    volatile boolean drop;
    private long dropped;

    @Override
    boolean active() {
        return drop;
    }

    @Override
    void frame(byte[] data, int start, int end, ByteArrayOutputStream out) {
        if (data[start] == '>') {
            dropped++;
        } else {
            out.write(data, start, end - start);
        }
    }

    /** Push frames left out so far. */
    long dropped() {
        return dropped;
    }
}
