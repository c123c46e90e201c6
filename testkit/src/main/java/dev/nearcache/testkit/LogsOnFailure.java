package dev.nearcache.testkit;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Keeps green test runs quiet and failing ones explained: tests log to a file (slf4j-simple's
 * {@code org.slf4j.simpleLogger.logFile} system property, which this build sets to {@code target/unit-tests.log} and
 * {@code target/integration-tests.log}), and when a test fails, or a class's set-up does, this prints what was logged
 * while it ran to standard error, where the test runner shows it next to the failure.
 *
 * <p>Registered for every test by JUnit's extension auto-detection ({@code junit.jupiter.extensions.autodetection.enabled}),
 * or explicitly with {@code @ExtendWith(LogsOnFailure.class)}. Does nothing when slf4j-simple logs to the console.
 * Prints at most the last {@value #MAX_LINES} lines of a test's log; the file holds all of it.
 */
public final class LogsOnFailure implements BeforeAllCallback, BeforeEachCallback, TestWatcher,
        LifecycleMethodExecutionExceptionHandler {
    /** slf4j-simple's setting of where it logs. */
    static final String LOG_FILE = "org.slf4j.simpleLogger.logFile";
    static final int MAX_LINES = 400;
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LogsOnFailure.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        logFile().ifPresent(file -> context.getStore(NAMESPACE).put("offset", length(file)));
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        logFile().ifPresent(file -> context.getStore(NAMESPACE).put("offset", length(file)));
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        print(context, context.getDisplayName());
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure)
            throws Throwable {
        if (!(failure instanceof org.opentest4j.TestAbortedException)) { // a failed assumption is a skip, not a failure
            print(context, "set-up");
        }
        throw failure;
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure)
            throws Throwable {
        if (!(failure instanceof org.opentest4j.TestAbortedException)) {
            print(context, "set-up of " + context.getDisplayName());
        }
        throw failure;
    }

    private static Optional<Path> logFile() {
        String file = System.getProperty(LOG_FILE);
        if (file == null || file.isBlank() || file.equals("System.err") || file.equals("System.out")) {
            return Optional.empty();
        }
        return Optional.of(Paths.get(file));
    }

    private static long length(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void print(ExtensionContext context, String what) {
        Optional<Path> file = logFile();
        if (file.isEmpty()) {
            return;
        }
        Long offset = context.getStore(NAMESPACE).get("offset", Long.class);
        Deque<String> lines = new ArrayDeque<>();
        long skipped = 0;
        try (RandomAccessFile in = new RandomAccessFile(file.get().toFile(), "r")) {
            in.seek(offset == null ? 0 : Math.min(offset, in.length()));
            byte[] rest = new byte[(int) Math.min(Integer.MAX_VALUE - 8, in.length() - in.getFilePointer())];
            in.readFully(rest);
            for (String line : new String(rest, StandardCharsets.UTF_8).split("\n", -1)) {
                if (lines.size() == MAX_LINES) {
                    lines.removeFirst();
                    skipped++;
                }
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("(could not read " + file.get() + ": " + e + ")");
        }
        PrintStream err = System.err;
        String name = context.getRequiredTestClass().getSimpleName() + " " + what;
        err.println("---- log of " + name + (skipped > 0 ? " (its last " + MAX_LINES + " lines; all in " + file.get()
                + ")" : "") + " ----");
        for (String line : lines) {
            if (!line.isEmpty()) {
                err.println(line);
            }
        }
        err.println("---- end of the log of " + name + " ----");
    }
}
