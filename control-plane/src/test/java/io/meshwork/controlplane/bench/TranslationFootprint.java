package io.meshwork.controlplane.bench;

import com.google.protobuf.Message;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.translate.ProxyNode;
import io.meshwork.controlplane.translate.ProxyResources;
import io.meshwork.controlplane.translate.SnapshotValidator;
import io.meshwork.controlplane.translate.TranslationCache;
import io.meshwork.controlplane.translate.Translator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Memory of translated groups for the mesh of {@link TranslationBenchmark}: heap retained (used heap
 * after full GCs, with and without the groups held) and, as a proxy, the serialized size. Then the
 * CPU time of the benchmark's operations on the measuring thread, which a shared, loaded machine
 * disturbs far less than wall-clock time (GC threads are not counted: see JMH's allocation figures).
 * {@code java -cp ... io.meshwork.controlplane.bench.TranslationFootprint [baseline]}; {@code baseline}
 * measures only what does not use {@code TranslationCache}, so it also runs against the classes of
 * a commit before it.
 */
public final class TranslationFootprint {

    /** Keeps results reachable so the JIT cannot drop the work. */
    private static volatile Object sink;

    private TranslationFootprint() {
    }

    public static void main(String[] args) {
        MeshSnapshot mesh = LargeMesh.of(TranslationBenchmark.SERVICES, TranslationBenchmark.ENDPOINTS_PER_SERVICE);
        ProxyNode sidecar = LargeMesh.sidecarOf(0);
        List<ProxyNode> sidecars = LargeMesh.sidecars(TranslationBenchmark.PROXIES);
        ProxyResources one = Translator.translate(mesh, sidecar);
        System.out.printf("serialized size of one sidecar group: %.1f MiB (clusters %.1f, endpoints %.1f, listeners %.1f, routes %.1f)%n",
                mib(size(one.clusters()) + size(one.endpoints()) + size(one.listeners()) + size(one.routes())),
                mib(size(one.clusters())), mib(size(one.endpoints())), mib(size(one.listeners())), mib(size(one.routes())));
        one = null;
        report("one sidecar group", () -> Translator.translate(mesh, sidecar));
        report(sidecars.size() + " sidecar groups, each translated on its own", () -> {
            List<ProxyResources> groups = new ArrayList<>();
            sidecars.forEach(proxy -> groups.add(Translator.translate(mesh, proxy)));
            return groups;
        });
        boolean baselineOnly = args.length > 0 && args[0].equals("baseline");
        if (baselineOnly) {
            baselineCpuTimes(mesh, sidecar, sidecars);
            return;
        }
        report(sidecars.size() + " sidecar groups through one TranslationCache", () -> {
            TranslationCache cache = Translator.forSnapshot(mesh);
            List<ProxyResources> groups = new ArrayList<>();
            sidecars.forEach(proxy -> groups.add(cache.translate(proxy)));
            return groups;
        });
        cpuTimes(mesh, sidecar, sidecars);
    }

    private static void baselineCpuTimes(MeshSnapshot mesh, ProxyNode sidecar, List<ProxyNode> sidecars) {
        ProxyResources translated = Translator.translate(mesh, sidecar);
        cpuTime("translateOneSidecar", 30, () -> Translator.translate(mesh, sidecar));
        cpuTime("translateTenSidecarsOneByOne", 5, () -> sidecars.stream().map(p -> Translator.translate(mesh, p)).toList());
        cpuTime("validateOneSidecar", 100, () -> SnapshotValidator.validate(translated));
    }

    private static void cpuTimes(MeshSnapshot mesh, ProxyNode sidecar, List<ProxyNode> sidecars) {
        baselineCpuTimes(mesh, sidecar, sidecars);
        TranslationCache warm = Translator.forSnapshot(mesh);
        warm.translate(sidecar);
        ProxyNode another = LargeMesh.sidecarOf(1);
        cpuTime("translateTenSidecarsThroughOneCache", 15, () -> {
            TranslationCache cache = Translator.forSnapshot(mesh);
            return sidecars.stream().map(cache::translate).toList();
        });
        cpuTime("translateOneMoreSidecarThroughAWarmCache", 2000, () -> warm.translate(another));
    }

    /** Median thread CPU time of {@code runs} runs after as many warm-up runs. */
    private static void cpuTime(String what, int runs, Supplier<Object> operation) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] nanos = new long[runs];
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < runs; i++) {
                long start = threads.getCurrentThreadCpuTime();
                sink = operation.get();
                nanos[i] = threads.getCurrentThreadCpuTime() - start;
            }
        }
        Arrays.sort(nanos);
        System.out.printf("thread CPU time of %s: median %.2f ms/op, fastest %.2f ms/op (%d runs after %d warm-up)%n",
                what, nanos[runs / 2] / 1e6, nanos[0] / 1e6, runs, runs);
    }

    private static void report(String what, Supplier<Object> build) {
        long before = usedAfterGc();
        Object held = build.get();
        long after = usedAfterGc();
        System.out.printf("retained heap of %s: %.1f MiB (used heap after GC, %s)%n", what, mib(after - before),
                held.getClass().getSimpleName());
    }

    private static long usedAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        // A few rounds: one System.gc() may leave garbage that finalization or reference processing frees later.
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }

    private static long size(List<? extends Message> messages) {
        return messages.stream().mapToLong(Message::getSerializedSize).sum();
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
