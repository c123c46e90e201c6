package dev.nearcache.core;

import dev.nearcache.internal.RedisErrors;
import dev.nearcache.internal.RedisInfo;
import dev.nearcache.loader.BatchingLoader;
import dev.nearcache.loader.spi.DataConnection;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.protocol.ProtocolVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link NodeShard} asks its server at start, before it serves: which tracking mode the server offers (for
 * AUTO), which commands the ACL user may not run, and (Sentinel) whether a data connection is on the listener's
 * master. Stateless: each probe takes what it needs and returns what it found, and the shard acts on it.
 */
final class NodeProbes {
    private static final Logger log = LoggerFactory.getLogger(NodeProbes.class);

    private NodeProbes() {
    }

    /**
     * The mode to use: as configured, or for AUTO, REDIRECT if the server accepts it. The probe asks on data
     * connection 0 for {@code CLIENT TRACKING ON REDIRECT <its own id>} and turns it off again; nothing has been read
     * on the connection yet. A server that answers with an error other than a missing permission (which the
     * permission check reports) does not offer REDIRECT. No answer within the connect timeout decides nothing:
     * REDIRECT, and rule 9 sees to the connection.
     *
     * @throws NearCacheConfigurationException if SAME_CONNECTION is needed but the data connections speak RESP2
     */
    static <K, V> TrackingMode decideMode(TrackingMode configured, List<DataConnection<K, V>> connections,
                                          Duration connectTimeout, String endpoint) {
        if (configured == TrackingMode.REDIRECT) {
            return TrackingMode.REDIRECT;
        }
        DataConnection<K, V> first = connections.get(0);
        String sameConnectionRefusal = null;
        if (configured == TrackingMode.AUTO) {
            var commands = first.commands().async();
            try {
                long deadline = System.nanoTime() + connectTimeout.toNanos();
                long id = commands.clientId().get(connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
                commands.clientTracking(TrackingArgs.Builder.enabled().redirect(id))
                        .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                commands.clientTracking(TrackingArgs.Builder.enabled(false));
                return TrackingMode.REDIRECT;
            } catch (ExecutionException e) {
                String message = String.valueOf(e.getCause().getMessage());
                if (!(e.getCause() instanceof RedisCommandExecutionException) || RedisErrors.permission(message)) {
                    return TrackingMode.REDIRECT;
                }
                log.info("Redis at {} refused CLIENT TRACKING ON REDIRECT ({}): each data connection will receive"
                        + " the invalidations of its own reads (SAME_CONNECTION)", endpoint, message);
                sameConnectionRefusal = message;
            } catch (TimeoutException e) {
                return TrackingMode.REDIRECT;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NearCacheException("interrupted while connecting to " + endpoint, e);
            }
        }
        for (DataConnection<K, V> connection : connections) {
            ProtocolVersion protocol = connection.protocolVersion();
            if (connection.isOpen() && protocol != null && protocol != ProtocolVersion.RESP3) {
                throw new NearCacheConfigurationException("Redis at " + endpoint + (sameConnectionRefusal != null
                        ? " refused CLIENT TRACKING ON REDIRECT (" + sameConnectionRefusal + "), and" : "")
                        + " its data connections speak " + protocol + ", so it cannot push invalidations on them"
                        + " either: same-connection tracking needs RESP3 (HELLO 3)");
            }
        }
        return TrackingMode.SAME_CONNECTION;
    }

    /**
     * The commands the ACL user may not run, each as the server said it, from probes on {@code first} (an MGET of
     * one key and, with server TTLs, the TTL script), waited for until {@code deadline} ({@link System#nanoTime()}).
     * A user whose key patterns exclude the probe's key is fine: the refusal then names the key, not the command, and
     * Redis checks commands first. No answer in time concludes nothing (rule 9 sees to the connection).
     */
    @SuppressWarnings("unchecked") // a one-key K[] for the varargs mget and eval: a probe of K's codec, never kept
    static <K, V> Set<String> refusedCommands(NearCacheSettings<K, V> settings, DataConnection<K, V> first,
                                              long deadline, String endpoint) {
        K probe = settings.codec().decodeKey(StandardCharsets.UTF_8.encode("nearcache:permission-probe"));
        var commands = first.commands().async();
        List<CompletableFuture<?>> probes = new ArrayList<>();
        probes.add(commands.mget(probe).toCompletableFuture());
        if (settings.serverTtl()) {
            probes.add(commands.eval(BatchingLoader.PTTL_SCRIPT,
                    ScriptOutputType.MULTI, probe).toCompletableFuture());
        }
        Set<String> refused = new LinkedHashSet<>();
        for (CompletableFuture<?> f : probes) {
            try {
                f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                String message = String.valueOf(e.getCause().getMessage());
                if (message.contains("NOPERM") && message.contains("run the")) {
                    refused.add(message.substring(message.indexOf("NOPERM")));
                } else if (message.contains("can't run this command")) { // a command the script calls
                    refused.add("the TTL script may not run PTTL (" + message.trim() + ")");
                }
            } catch (TimeoutException e) {
                break; // the connection is slow or stalled: rule 9 will see to it; nothing to conclude here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NearCacheException("interrupted while connecting to " + endpoint, e);
            }
        }
        return refused;
    }

    /**
     * Sentinel: why a data connection is not on the master the invalidation listener is on, or null if it is
     * ({@code ROLE} says master and, with REDIRECT, {@code INFO server}'s run_id is the listener's).
     */
    static String notOnTheMaster(List<Object> roleReply, String infoReply, boolean redirect, String listenerRunId) {
        String serverRole = roleReply == null || roleReply.isEmpty() ? "?" : text(roleReply.get(0));
        if (!"master".equals(serverRole)) {
            return "the server is a " + serverRole + ", not the master";
        }
        if (!redirect) {
            return null;
        }
        String runId = RedisInfo.field(infoReply, "run_id");
        return runId != null && runId.equals(listenerRunId) ? null : "it is on server " + runId
                + ", the invalidation connection on " + listenerRunId;
    }

    /** A word of a reply decoded with the connection's codec: a String, or the bytes of a byte[] codec. */
    static String text(Object word) {
        if (word instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (word instanceof java.nio.ByteBuffer buffer) {
            return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
        }
        return String.valueOf(word);
    }
}
