package dev.nearcache.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made for a test with openssl, in a directory of the test's: a CA, another CA, a server certificate
 * for localhost and 127.0.0.1 signed by the first, and a client certificate signed by it. EC P-256 keys, PEM, keys
 * unencrypted PKCS#8. For tests of real TLS; needs {@code openssl} on the PATH.
 */
public final class Certificates {
    private final Path dir;

    private Certificates(Path dir) {
        this.dir = dir;
    }

    /** Whether openssl can be run here. */
    public static boolean opensslAvailable(Path dir) {
        return run(dir, "openssl", "version");
    }

    /** Makes them in {@code dir}; {@code serverNames} is the server certificate's subjectAltName list. */
    public static Certificates make(Path dir, String serverNames) throws IOException {
        Certificates c = new Certificates(dir);
        c.ca("ca");
        c.ca("other-ca");
        c.signed("server", "/CN=localhost", "subjectAltName=" + serverNames
                + "\nextendedKeyUsage=serverAuth,clientAuth");
        c.signed("client", "/CN=nearcache-client", "extendedKeyUsage=clientAuth");
        return c;
    }

    /** The file. */
    public Path ca() {
        return dir.resolve("ca.crt");
    }

    /** The file. */
    public Path otherCa() {
        return dir.resolve("other-ca.crt");
    }

    /** The file. */
    public Path serverCert() {
        return dir.resolve("server.crt");
    }

    /** The file. */
    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /** The file. */
    public Path clientCert() {
        return dir.resolve("client.crt");
    }

    /** The file. */
    public Path clientKey() {
        return dir.resolve("client.key");
    }

    private void ca(String name) {
        require(run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", file(name + ".key"), "-out", file(name + ".crt"), "-days", "2", "-subj",
                "/CN=nearcache test " + name), name);
    }

    private void signed(String name, String subject, String extensions) throws IOException {
        Files.writeString(dir.resolve(name + ".ext"), extensions + "\n");
        require(run(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", file(name + ".key"), "-out", file(name + ".csr"), "-subj", subject), name + " request");
        require(run(dir, "openssl", "x509", "-req", "-in", file(name + ".csr"), "-CA", file("ca.crt"), "-CAkey",
                file("ca.key"), "-CAcreateserial", "-out", file(name + ".crt"), "-days", "2", "-extfile",
                file(name + ".ext")), name);
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    private void require(boolean done, String what) {
        if (!done) {
            throw new IllegalStateException("openssl could not make " + what + "; see " + dir.resolve("openssl.log"));
        }
    }

    private static boolean run(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("openssl.log").toFile())).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
