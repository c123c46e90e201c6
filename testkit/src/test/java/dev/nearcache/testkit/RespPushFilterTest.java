package dev.nearcache.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RespPushFilterTest {
    private static final String PUSH = ">2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\na\r\n$3\r\nbcd\r\n";
    private static final String REPLIES = "+PONG\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n%1\r\n+k\r\n_\r\n-ERR x\r\n";

    /** Feeds {@code text} one byte at a time (the worst split) and returns what was forwarded. */
    private static String byteByByte(RespPushFilter filter, String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            out.writeBytes(filter.feed(new byte[] {b}));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dropsOnlyTopLevelPushFramesWhateverTheChunking() {
        RespPushFilter filter = new RespPushFilter();
        filter.drop = true;
        assertEquals(REPLIES + REPLIES, byteByByte(filter, PUSH + REPLIES + PUSH + REPLIES + PUSH));
        assertEquals(3, filter.dropped());
        filter.drop = false;
        assertEquals(PUSH + REPLIES, new String(filter.feed((PUSH + REPLIES).getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8));
    }

    @Test
    void bytesThatAreNotRespPassThrough() {
        RespPushFilter filter = new RespPushFilter();
        filter.drop = true;
        byte[] tls = {0x16, 0x03, 0x01, 0x00, 0x05, '>', '1', '\r', '\n'};
        assertEquals(tls.length, filter.feed(tls).length);
        assertEquals(PUSH, new String(filter.feed(PUSH.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
    }
}
