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

    @Test
    void refusedCommandsBecomeAnErrorScriptInTheirPlaceWhateverTheChunking() {
        RespCommandFilter filter = new RespCommandFilter();
        String get = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        String tracking = "*5\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n$8\r\nREDIRECT\r\n$1\r\n7\r\n";
        assertEquals(get + tracking, new String(filter.feed((get + tracking).getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8), "nothing is refused until asked");
        filter.refusal = new RespCommandFilter.Refusal(words -> words.contains("REDIRECT"), "ERR no");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : (get + tracking + get).getBytes(StandardCharsets.UTF_8)) {
            out.writeBytes(filter.feed(new byte[] {b}));
        }
        String script = "return redis.error_reply([[ERR no]])";
        assertEquals(get + "*3\r\n$4\r\nEVAL\r\n$" + script.length() + "\r\n" + script + "\r\n$1\r\n0\r\n" + get,
                out.toString(StandardCharsets.UTF_8));
        assertEquals(1, filter.refused());
    }
}
