package dev.nearcache.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Picks free TCP ports on the loopback interface. */
final class Ports {
    /** Redis Cluster 6.2 listens for its bus on port + 10000, so cluster ports stay below this. */
    private static final int LOW = 20000;
    private static final int HIGH = 55000;

    private Ports() {
    }

    /**
     * A port that is free now, and whose cluster-bus twin (port + 10000) is free too when {@code withBus}.
     * Another process may still take it before the server binds; callers retry on a bind failure.
     */
    static int free(boolean withBus) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOW, HIGH);
            if (isFree(port) && (!withBus || isFree(port + 10000))) {
                return port;
            }
        }
        throw new IllegalStateException("found no free loopback port in " + LOW + ".." + HIGH + " after 200 tries");
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
