package dev.nearcache.loader;

import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.protocol.CommandWrapper;
import io.lettuce.core.protocol.RedisCommand;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The command timeout, for every command but a batch's untimed ones. */
final class BatchTimeouts extends TimeoutOptions.TimeoutSource {
    private final long timeoutNanos;

    BatchTimeouts(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public long getTimeout(RedisCommand<?, ?, ?> command) {
        BatchCommand<?, ?, ?> batchCommand = command == null ? null
                : CommandWrapper.unwrap(command, BatchCommand.class);
        return batchCommand != null && !batchCommand.timed ? 0 : timeoutNanos;
    }

    @Override
    public TimeUnit getTimeUnit() {
        return TimeUnit.NANOSECONDS;
    }
}
