package io.meshwork.certs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A CA kept in a folder under the four file names of Istio's plug-in {@code cacerts}, so a folder
 * made for Istio works here and the other way round:
 * <ul>
 * <li>{@code ca-cert.pem}: the certificate that signs workload certificates (an intermediate, or the root itself)</li>
 * <li>{@code ca-key.pem}: its private key</li>
 * <li>{@code cert-chain.pem}: {@code ca-cert.pem} followed by the certificates above it, up to the root</li>
 * <li>{@code root-cert.pem}: the root that every cluster of the mesh trusts</li>
 * </ul>
 * A folder made by {@code mesh certs root} also holds {@code root-key.pem}, which signs
 * intermediates and belongs offline once they are made.
 */
public final class CaDirectory {

    public static final String CA_CERT = "ca-cert.pem";
    public static final String CA_KEY = "ca-key.pem";
    public static final String CERT_CHAIN = "cert-chain.pem";
    public static final String ROOT_CERT = "root-cert.pem";
    public static final String ROOT_KEY = "root-key.pem";
    private static final List<String> FILES = List.of(CA_CERT, CA_KEY, CERT_CHAIN, ROOT_CERT);

    /** Ten years, as Istio's self-signed root. */
    public static final Duration ROOT_VALIDITY = Duration.ofDays(3650);
    /** An intermediate lives shorter than the root that signs it. */
    public static final Duration INTERMEDIATE_VALIDITY = Duration.ofDays(5 * 365);

    private CaDirectory() {
    }

    /** What {@link #loadOrCreate} found: the CA, and whether it was just made. */
    public record Loaded(CertificateAuthority ca, boolean created) {
    }

    /**
     * Loads the CA in {@code dir}; when none of the four files is there, makes a self-signed root
     * named {@code commonName}, writes it there and says so through {@link Loaded#created()}.
     * Some files but not all is an error naming the missing one.
     */
    public static Loaded loadOrCreate(Path dir, String commonName) {
        if (FILES.stream().noneMatch(f -> Files.exists(dir.resolve(f)))) {
            CertificateAuthority root = CertificateAuthority.createSelfSigned(commonName, ROOT_VALIDITY);
            writeRoot(root, dir);
            return new Loaded(root, true);
        }
        return new Loaded(load(dir), false);
    }

    /** Loads and checks the four files; every error names the file it is about. */
    public static CertificateAuthority load(Path dir) {
        for (String file : FILES) {
            if (!Files.isRegularFile(dir.resolve(file))) {
                throw new IllegalArgumentException(dir.resolve(file) + ": missing (a CA folder holds " + String.join(", ", FILES) + ")");
            }
        }
        X509Certificate caCert = Pem.readCertificates(dir.resolve(CA_CERT)).get(0);
        PrivateKey caKey = Pem.readPrivateKey(dir.resolve(CA_KEY));
        List<X509Certificate> chain = Pem.readCertificates(dir.resolve(CERT_CHAIN));
        X509Certificate root = Pem.readCertificates(dir.resolve(ROOT_CERT)).get(0);
        if (!KeyPairs.matches(caKey, caCert.getPublicKey())) {
            throw new IllegalArgumentException(dir.resolve(CA_KEY) + ": this private key does not belong to " + CA_CERT);
        }
        if (!chain.get(0).equals(caCert)) {
            throw new IllegalArgumentException(dir.resolve(CERT_CHAIN) + ": must begin with " + CA_CERT + " ("
                    + caCert.getSubjectX500Principal() + "), begins with " + chain.get(0).getSubjectX500Principal());
        }
        List<X509Certificate> parents = new ArrayList<>(chain.subList(1, chain.size()));
        X509Certificate top = parents.isEmpty() ? caCert : parents.get(parents.size() - 1);
        if (!top.equals(root)) {
            if (parents.contains(root)) {
                throw new IllegalArgumentException(dir.resolve(CERT_CHAIN) + ": must end with " + ROOT_CERT);
            }
            parents.add(root); // Istio's cert-chain.pem may stop below the root
        }
        try {
            return CertificateAuthority.of(caCert, caKey, parents);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.resolve(CERT_CHAIN) + ": " + e.getMessage(), e);
        }
    }

    /** Writes a root as a CA folder: the four files (the root signing for itself) and {@code root-key.pem}. */
    public static void writeRoot(CertificateAuthority root, Path dir) {
        write(root, dir);
        writeFile(dir.resolve(ROOT_KEY), root.privateKeyPem(), true);
    }

    /** Writes the four files of {@code ca}. Keys are readable by their owner only. */
    public static void write(CertificateAuthority ca, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        files(ca).forEach((name, content) -> writeFile(dir.resolve(name), content, name.equals(CA_KEY)));
    }

    /**
     * The four files of {@code ca} by name, as a folder or a Kubernetes Secret ({@code mesh install}) holds them:
     * its certificate and key, the chain from it to the root, and the root.
     */
    public static java.util.Map<String, String> files(CertificateAuthority ca) {
        java.util.Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put(CA_CERT, ca.certificatePem());
        files.put(CA_KEY, ca.privateKeyPem());
        files.put(CERT_CHAIN, pem(ca.chain()));
        files.put(ROOT_CERT, Pem.write(ca.root()));
        return files;
    }

    /** Reads the root that {@code mesh certs root} wrote ({@code root-cert.pem} and {@code root-key.pem}). */
    public static CertificateAuthority loadRoot(Path dir) {
        X509Certificate root = Pem.readCertificates(dir.resolve(ROOT_CERT)).get(0);
        PrivateKey key = Pem.readPrivateKey(dir.resolve(ROOT_KEY));
        try {
            return CertificateAuthority.of(root, key, List.of());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(dir.resolve(ROOT_KEY) + ": " + e.getMessage(), e);
        }
    }

    static String pem(List<X509Certificate> certificates) {
        StringBuilder out = new StringBuilder();
        certificates.forEach(c -> out.append(Pem.write(c)));
        return out.toString();
    }

    /** Writes a private key readable by its owner only, replacing the file in one step. */
    public static void writeKeyFile(Path file, String pem) {
        writeFile(file, pem, true);
    }

    private static void writeFile(Path file, String content, boolean secret) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            if (secret && supportsPosix(file)) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(tmp, content);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean supportsPosix(Path file) {
        return file.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
