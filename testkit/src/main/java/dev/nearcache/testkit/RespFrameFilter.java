package dev.nearcache.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds the boundaries of the RESP frames on one direction of a link and lets a subclass forward, leave out or
 * replace each top-level frame, in order. Fed the bytes from the stream's first byte, chunk by chunk; keeps an
 * incomplete frame until the rest arrives. Not thread-safe: one link direction's reader thread uses it.
 *
 * <p>If it meets bytes that are not RESP (a TLS link, an inline command), it stops parsing and passes everything
 * through from then on.
 */
abstract class RespFrameFilter {
    private byte[] pending = new byte[0];
    private boolean passThrough;

    /** Whether frames may be changed now; while not, chunks are still framed (to stay in step) but not copied. */
    abstract boolean active();

    /** Writes what to forward for the complete frame {@code data[start, end)} to {@code out}: itself, or not. */
    abstract void frame(byte[] data, int start, int end, ByteArrayOutputStream out);

    /** The bytes to forward for this chunk (possibly none, possibly held back in part). */
    final byte[] feed(byte[] chunk) {
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
            if (active()) {
                frame(data, start, end, out);
            } else {
                out.write(data, start, end - start);
            }
            start = end;
        }
        pending = Arrays.copyOfRange(data, start, data.length);
        return out.toByteArray();
    }

    /**
     * The bulk strings of a command frame ({@code *N} of {@code $len} strings, as clients send them), or an empty
     * list for any other frame.
     */
    static List<String> commandWords(byte[] data, int start, int end) {
        if (data[start] != '*') {
            return List.of();
        }
        int lineEnd = lineEnd(data, start + 1);
        long count = number(data, start + 1, lineEnd);
        List<String> words = new ArrayList<>((int) Math.max(0, count));
        int at = lineEnd + 2;
        for (long i = 0; i < count && at < end; i++) {
            if (data[at] != '$') {
                return List.of();
            }
            int headerEnd = lineEnd(data, at + 1);
            int length = (int) number(data, at + 1, headerEnd);
            words.add(new String(data, headerEnd + 2, length, StandardCharsets.UTF_8));
            at = headerEnd + 2 + length + 2;
        }
        return words;
    }

    /** The index just past the frame starting at {@code at}, or -1 if it is not complete yet. */
    static int frameEnd(byte[] data, int at) {
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
        String text = new String(data, from, to - from, StandardCharsets.US_ASCII);
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
