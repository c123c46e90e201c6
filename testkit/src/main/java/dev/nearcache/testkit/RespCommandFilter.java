package dev.nearcache.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;

/**
 * The client-to-server side of a link: a command the {@link Refusal} matches is not forwarded as sent but replaced
 * by a script that makes the server answer with the refusal's error, so the error reply takes the refused
 * command's place among the replies, as a server without that command answers it. Other commands pass unchanged.
 */
final class RespCommandFilter extends RespFrameFilter {
    /** Which commands to refuse (their words, as sent), and the error to answer them with. */
    record Refusal(Predicate<List<String>> command, String error) {
    }

    volatile Refusal refusal;
    private long refused;

    @Override
    boolean active() {
        return refusal != null;
    }

    @Override
    void frame(byte[] data, int start, int end, ByteArrayOutputStream out) {
        Refusal r = refusal;
        List<String> words = commandWords(data, start, end);
        if (r == null || words.isEmpty() || !r.command().test(words)) {
            out.write(data, start, end - start);
            return;
        }
        refused++;
        // a Lua long string holds any error text without escaping (the error must not contain "]]")
        byte[] replacement = command("EVAL", "return redis.error_reply([[" + r.error() + "]])", "0");
        out.write(replacement, 0, replacement.length);
    }

    /** Commands refused so far. */
    long refused() {
        return refused;
    }

    private static byte[] command(String... words) {
        StringBuilder b = new StringBuilder("*").append(words.length).append("\r\n");
        for (String word : words) {
            b.append('$').append(word.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(word)
                    .append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
