package dev.nearcache.loader;

import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.RedisCommand;

/**
 * A command of a batch. Lettuce starts a timer per command; an MGET needs one, on the last command it writes:
 * the connection answers in order, so if the last is answered in time all are, and if it is not, its timeout
 * fails the others too and drops the connection. {@link BatchTimeouts} reads the flag.
 */
final class BatchCommand<K, V, T> extends AsyncCommand<K, V, T> {
    final boolean timed;

    BatchCommand(RedisCommand<K, V, T> command, boolean timed) {
        super(command);
        this.timed = timed;
    }
}
