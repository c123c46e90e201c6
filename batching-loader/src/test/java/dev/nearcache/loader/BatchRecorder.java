package dev.nearcache.loader;

import dev.nearcache.loader.spi.BatchObserver;
import dev.nearcache.loader.spi.DataConnection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the keys of every MGET a loader sends, in the order sent, and every reply it observes. Thread-safe. */
final class BatchRecorder implements BatchObserver<String, String, Object> {
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    final List<Reply> replies = new CopyOnWriteArrayList<>();

    /** What the observer was told of one MGET's answer. */
    record Reply(List<String> keys, long[] ttls, Throwable failure) {
    }

    /** The number of keys of each MGET so far. */
    List<Integer> sizes() {
        return batches.stream().map(List::size).toList();
    }

    @Override
    public Object beforeSend(DataConnection<String, String> connection, List<String> keys) {
        batches.add(List.copyOf(keys));
        return null;
    }

    @Override
    public void onReply(Object context, List<String> keys, List<String> values, long[] ttls, Throwable failure) {
        replies.add(new Reply(List.copyOf(keys), ttls, failure));
    }
}
