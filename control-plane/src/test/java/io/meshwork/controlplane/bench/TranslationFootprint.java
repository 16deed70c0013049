package io.meshwork.controlplane.bench;

import com.google.protobuf.Message;
import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.translate.ProxyNode;
import io.meshwork.controlplane.translate.ProxyResources;
import io.meshwork.controlplane.translate.TranslationCache;
import io.meshwork.controlplane.translate.Translator;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Memory of translated groups for the mesh of {@link TranslationBenchmark}: heap retained (used heap
 * after full GCs, with and without the groups held) and, as a proxy, the serialized size.
 * {@code java -cp ... io.meshwork.controlplane.bench.TranslationFootprint}
 */
public final class TranslationFootprint {

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
        report(sidecars.size() + " sidecar groups through one TranslationCache", () -> {
            TranslationCache cache = Translator.forSnapshot(mesh);
            List<ProxyResources> groups = new ArrayList<>();
            sidecars.forEach(proxy -> groups.add(cache.translate(proxy)));
            return groups;
        });
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
