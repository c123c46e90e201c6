package dev.nearcache.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The demo as a process of its own, started as the README's command starts it (on an embedded Redis, no
 * {@code REDIS_URL}) and stopped by a signal to its pid: nothing may be left behind, neither the embedded
 * redis-server nor a bound port nor the server's directory.
 */
class DemoProcessIT {
    private static final Pattern REDIS = Pattern.compile("started an embedded Redis \\S+ at redis://127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern HTTP = Pattern.compile("^Try: curl localhost:(\\d+)/");
    private static final Pattern DIRECTORY = Pattern.compile(" in (\\S*nearcache-redis-\\d+)");

    private Process demo;

    @AfterEach
    void killLeftovers() {
        if (demo != null) {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
        }
    }

    /** Starts DemoMain in a JVM of its own with this test's class path; its output lines go to {@code lines}. */
    private Process start(String port, BlockingQueue<String> lines) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DemoMain.class.getName()).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("REDIS_") || name.startsWith("NEARCACHE_"));
        builder.environment().put("PORT", port);
        Process process = builder.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
            lines.add("<end>");
        }, "demo-output");
        reader.setDaemon(true);
        reader.start();
        return process;
    }

    /** Waits for a line matching {@code pattern} (10 s at most) and returns its first group. */
    private static String await(BlockingQueue<String> lines, Pattern pattern, StringBuilder seen)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            seen.append(line).append('\n');
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m.group(1);
            }
            if (line.equals("<end>")) {
                break;
            }
        }
        throw new AssertionError("the demo never printed " + pattern + "; it printed:\n" + seen);
    }

    private static void assertNothingListens(int port, String what) {
        assertThrows(ConnectException.class, () -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            }
        }, what + " still listens on port " + port);
    }

    @Test
    void sigtermLeavesNoProcessPortOrDirectoryBehind() throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        StringBuilder seen = new StringBuilder();
        demo = start("0", lines);
        int redisPort = Integer.parseInt(await(lines, REDIS, seen));
        int httpPort = Integer.parseInt(await(lines, HTTP, seen));
        List<ProcessHandle> children = demo.descendants().toList();
        assertFalse(children.isEmpty(), "the embedded redis-server runs as a child of the demo");
        Matcher dir = DIRECTORY.matcher(seen);
        Path directory = dir.find() ? Paths.get(dir.group(1)) : null;

        demo.destroy(); // SIGTERM, as `kill <pid>` and process managers send it
        assertTrue(demo.waitFor(30, TimeUnit.SECONDS), "the demo exits on SIGTERM");
        for (ProcessHandle child : children) {
            child.onExit().get(10, TimeUnit.SECONDS);
            assertFalse(child.isAlive(), "child " + child.pid() + " outlived the demo");
        }
        assertNothingListens(httpPort, "the demo's HTTP server");
        assertNothingListens(redisPort, "the embedded Redis");
        if (directory != null) {
            assertFalse(Files.exists(directory), "the embedded Redis's directory " + directory + " is left");
        }
    }

    @Test
    void aTakenPortIsNamedWithTheVariableAndNothingIsLeftRunning() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            StringBuilder seen = new StringBuilder();
            demo = start(Integer.toString(taken.getLocalPort()), lines);
            int redisPort = Integer.parseInt(await(lines, REDIS, seen));
            String message = await(lines, Pattern.compile("^(demo: port .*)$"), seen);
            assertTrue(demo.waitFor(30, TimeUnit.SECONDS), "the demo exits when its port is taken");
            assertEquals(2, demo.exitValue(), "a setting's error exits with status 2");
            assertTrue(message.contains("port " + taken.getLocalPort() + " is already in use"), message);
            assertTrue(message.contains("PORT="), message);
            assertNothingListens(redisPort, "the embedded Redis");
            assertTrue(demo.descendants().findAny().isEmpty(), "no child of the demo is left");
            String rest = String.join("\n", lines);
            assertFalse((seen + rest).contains("Exception"), "no stack trace for a taken port:\n" + seen + rest);
        }
    }
}
