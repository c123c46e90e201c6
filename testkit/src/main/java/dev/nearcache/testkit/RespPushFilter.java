package dev.nearcache.testkit;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Finds the boundaries of the RESP frames a server sends and, while {@link #drop} is on, leaves out the top-level
 * RESP3 push frames ({@code >}: invalidations, pub/sub messages), passing every reply through unchanged and in
 * order. Fed the server-to-client bytes of one link from its first byte, chunk by chunk; keeps an incomplete frame
 * until the rest arrives. Not thread-safe: one link direction's reader thread uses it.
 *
 * <p>If it meets bytes that are not RESP (a TLS link), it stops parsing and passes everything through from then on.
 */
final class RespPushFilter {
    volatile boolean drop;
    private byte[] pending = new byte[0];
    private boolean passThrough;
    private long dropped;

    /** The bytes to forward for this chunk (possibly none, possibly held back in part). */
    byte[] feed(byte[] chunk) {
        if (passThrough) {
            return chunk;
        }
        byte[] data = pending.length == 0 ? chunk : concat(pending, chunk);
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
        int start = 0;
        while (start < data.length) {
            int end;
            try {
                end = frameEnd(data, start);
            } catch (IllegalStateException notResp) {
                passThrough = true;
                out.write(data, start, data.length - start);
                pending = new byte[0];
                return out.toByteArray();
            }
            if (end < 0) {
                break; // incomplete: wait for more bytes
            }
            if (drop && data[start] == '>') {
                dropped++;
            } else {
                out.write(data, start, end - start);
            }
            start = end;
        }
        pending = Arrays.copyOfRange(data, start, data.length);
        return out.toByteArray();
    }

    /** Push frames left out so far. */
    long dropped() {
        return dropped;
    }

    /** The index just past the frame starting at {@code at}, or -1 if it is not complete yet. */
    private static int frameEnd(byte[] data, int at) {
        if (at >= data.length) {
            return -1;
        }
        byte type = data[at];
        int lineEnd = lineEnd(data, at + 1);
        if (lineEnd < 0) {
            return -1;
        }
        switch (type) {
            case '+', '-', ':', '_', '#', ',', '(' -> {
                return lineEnd + 2;
            }
            case '$', '=', '!' -> {
                long length = number(data, at + 1, lineEnd);
                if (length < 0) {
                    return lineEnd + 2; // null bulk string
                }
                long end = lineEnd + 2 + length + 2;
                return end <= data.length ? (int) end : -1;
            }
            case '*', '>', '~', '%', '|' -> {
                long count = number(data, at + 1, lineEnd);
                if (type == '%' || type == '|') {
                    count *= 2;
                }
                int next = lineEnd + 2;
                for (long i = 0; i < count; i++) {
                    next = frameEnd(data, next);
                    if (next < 0) {
                        return -1;
                    }
                }
                // an attribute is followed by the value it describes: both make one frame
                return type == '|' ? frameEnd(data, next) : next;
            }
            default -> throw new IllegalStateException("not RESP: type byte " + type);
        }
    }

    private static int lineEnd(byte[] data, int from) {
        for (int i = from; i + 1 < data.length; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static long number(byte[] data, int from, int to) {
        String text = new String(data, from, to - from, java.nio.charset.StandardCharsets.US_ASCII);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("not RESP: length " + text, e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
