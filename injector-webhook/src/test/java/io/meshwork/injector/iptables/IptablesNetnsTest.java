package io.meshwork.injector.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * mesh-init's rules for real: a pod network namespace (10.77.0.1) wired by a veth pair to a
 * "rest of the cluster" namespace (10.77.0.2). The rules go into the pod namespace through
 * {@link IptablesApplier}; connections are made by processes running as different UIDs.
 */
class IptablesNetnsTest {

    private static final String POD_IP = "10.77.0.1";
    private static final String PEER_IP = "10.77.0.2";
    private static final String SUFFIX = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    private static final String POD_NS = "mw-pod-" + SUFFIX;
    private static final String PEER_NS = "mw-peer-" + SUFFIX;
    private static final CaptureConfig CAPTURE = CaptureConfig.fromFlags(15001, 15006, 1337, 1337, "*",
            "15021,15090", "", "*", "");
    private static final List<Process> peers = new ArrayList<>();
    /** NetnsPeer's class file, where the unprivileged UIDs the test runs it as can read it. */
    private static Path peerClasspath;

    /** Why this machine cannot run the test, or null when it can. */
    private static String missing;

    @BeforeAll
    static void createNamespaces() throws Exception {
        missing = whatIsMissing();
        if (missing != null) {
            // Each test then reports itself skipped with this reason (an assumption failing here would skip the
            // class as a whole, which Surefire shows as "Tests run: 0" with the reason nowhere).
            System.err.println("IptablesNetnsTest skipped: " + missing);
            return;
        }
        // The checkout may sit in a folder only root can enter (mktemp -d is 0700): the peers run as other UIDs.
        peerClasspath = Files.createTempDirectory("mw-netns-peer",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        String classFile = NetnsPeer.class.getName().replace('.', '/') + ".class";
        Path copy = peerClasspath.resolve(classFile);
        Files.createDirectories(copy.getParent());
        try (var in = NetnsPeer.class.getClassLoader().getResourceAsStream(classFile)) {
            Files.copy(in, copy);
        }
        for (Path p = copy; !p.equals(peerClasspath); p = p.getParent()) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
        String podEnd = "mwp" + SUFFIX;
        String peerEnd = "mwq" + SUFFIX;
        run("ip", "netns", "add", POD_NS);
        run("ip", "netns", "add", PEER_NS);
        run("ip", "link", "add", podEnd, "type", "veth", "peer", "name", peerEnd);
        run("ip", "link", "set", podEnd, "netns", POD_NS);
        run("ip", "link", "set", peerEnd, "netns", PEER_NS);
        inNs(POD_NS, "ip", "addr", "add", POD_IP + "/24", "dev", podEnd);
        inNs(PEER_NS, "ip", "addr", "add", PEER_IP + "/24", "dev", peerEnd);
        for (String[] nsAndLink : new String[][] {{POD_NS, podEnd}, {PEER_NS, peerEnd}}) {
            inNs(nsAndLink[0], "ip", "link", "set", "lo", "up");
            inNs(nsAndLink[0], "ip", "link", "set", nsAndLink[1], "up");
        }
        // A rule someone else owns: re-applying ours must keep it.
        inNs(POD_NS, "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", podEnd, "-j", "RETURN");

        new IptablesApplier(List.of("ip", "netns", "exec", POD_NS), "iptables").apply(CAPTURE);

        startPeer(PEER_NS, PEER_IP + ":8080=direct");
        startPeer(POD_NS, "127.0.0.1:15001=outbound-capture", POD_IP + ":15006=inbound-capture",
                POD_IP + ":8080=app");
    }

    @BeforeEach
    void needsRootAndTheTools() {
        assumeTrue(missing == null, missing);
    }

    private static String whatIsMissing() throws IOException, InterruptedException {
        if (!"0".equals(output("id", "-u").trim())) {
            return "not root: the netns test needs root to create network namespaces (.ci/run runs it as root)";
        }
        for (String tool : new String[] {"ip", "iptables-save", "iptables-restore", "setpriv"}) {
            if (!onPath(tool)) {
                return tool + " is not installed (apt-get install iproute2 iptables util-linux; .ci/run does)";
            }
        }
        return null;
    }

    @AfterAll
    static void deleteNamespaces() throws Exception {
        if (missing != null) {
            return;
        }
        peers.forEach(Process::destroyForcibly);
        for (Process p : peers) {
            p.waitFor(5, TimeUnit.SECONDS);
        }
        for (String ns : new String[] {POD_NS, PEER_NS}) {
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor(5, TimeUnit.SECONDS);
        }
        if (peerClasspath != null) {
            try (var files = Files.walk(peerClasspath)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    void appConnectionFromAnotherUidLandsOnTheOutboundPort() throws Exception {
        assertThat(connectAs(1000, POD_NS, PEER_IP + ":8080")).isEqualTo("outbound-capture");
    }

    @Test
    void proxyUidConnectionGoesStraightToItsDestination() throws Exception {
        assertThat(connectAs(1337, POD_NS, PEER_IP + ":8080")).isEqualTo("direct");
    }

    @Test
    void connectionIntoThePodLandsOnTheInboundPort() throws Exception {
        assertThat(connectAs(1000, PEER_NS, POD_IP + ":8080")).isEqualTo("inbound-capture");
    }

    @Test
    void appTalkingToItselfOverLoopbackIsNotCaptured() throws Exception {
        assertThat(connectAs(1000, POD_NS, POD_IP + ":8080")).isEqualTo("app");
    }

    @Test
    void applyingAgainLeavesOneCopyOfOurRulesAndKeepsOthers() throws Exception {
        String before = output("ip", "netns", "exec", POD_NS, "iptables-save", "-t", "nat");

        new IptablesApplier(List.of("ip", "netns", "exec", POD_NS), "iptables").apply(CAPTURE);

        String after = output("ip", "netns", "exec", POD_NS, "iptables-save", "-t", "nat");
        assertThat(rules(after)).isEqualTo(rules(before));
        assertThat(rules(after)).containsOnlyOnce("-A OUTPUT -p tcp -j MESH_OUTPUT", "-A MESH_OUTPUT -j MESH_REDIRECT")
                .anyMatch(l -> l.startsWith("-A POSTROUTING -o mwp" + SUFFIX));
    }

    private static List<String> rules(String iptablesSave) {
        return Arrays.stream(iptablesSave.split("\n")).filter(l -> l.startsWith("-A ")).toList();
    }

    private static String connectAs(int uid, String ns, String target) throws Exception {
        return output("ip", "netns", "exec", ns, "setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                java(), "-XX:-UsePerfData", "-cp", classpath(), NetnsPeer.class.getName(), "connect", target).trim();
    }

    private static void startPeer(String ns, String... listeners) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns, java(), "-XX:-UsePerfData",
                "-cp", classpath(), NetnsPeer.class.getName(), "listen"));
        command.addAll(List.of(listeners));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        peers.add(process);
        String ready = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertThat(ready).as("peer in %s", ns).isEqualTo("listening");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classpath() {
        return peerClasspath.toString();
    }

    private static void inNs(String ns, String... command) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        run(full.toArray(String[]::new));
    }

    private static void run(String... command) throws Exception {
        output(command);
    }

    private static String output(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }

    private static boolean onPath(String tool) {
        return Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
