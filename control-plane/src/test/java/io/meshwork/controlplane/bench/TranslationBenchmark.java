package io.meshwork.controlplane.bench;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.translate.ProxyNode;
import io.meshwork.controlplane.translate.ProxyResources;
import io.meshwork.controlplane.translate.SnapshotValidator;
import io.meshwork.controlplane.translate.TranslationCache;
import io.meshwork.controlplane.translate.Translator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Translation of a mesh of 1,000 services × 10 meshed endpoints: one sidecar, the validation of its
 * result, ten sidecars of one snapshot (one by one, and through one {@link TranslationCache}), and one
 * more sidecar once the cache is warm. Run as BENCHMARKS.md says.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g"})
public class TranslationBenchmark {

    static final int SERVICES = 1_000;
    static final int ENDPOINTS_PER_SERVICE = 10;
    static final int PROXIES = 10;

    private MeshSnapshot mesh;
    private ProxyNode sidecar;
    private List<ProxyNode> sidecars;
    private ProxyResources translated;
    private TranslationCache warmCache;
    private ProxyNode anotherSidecar;

    @Setup
    public void buildMesh() {
        mesh = LargeMesh.of(SERVICES, ENDPOINTS_PER_SERVICE);
        sidecar = LargeMesh.sidecarOf(0);
        sidecars = LargeMesh.sidecars(PROXIES);
        translated = Translator.translate(mesh, sidecar);
        List<String> problems = SnapshotValidator.validate(translated);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the benchmark mesh does not validate: " + problems.get(0));
        }
        warmCache = Translator.forSnapshot(mesh);
        warmCache.translate(sidecar);
        anotherSidecar = LargeMesh.sidecarOf(1);
    }

    @Benchmark
    public ProxyResources translateOneSidecar() {
        return Translator.translate(mesh, sidecar);
    }

    @Benchmark
    public List<String> validateOneSidecar() {
        return SnapshotValidator.validate(translated);
    }

    /** Ten sidecars (two per namespace) of one snapshot, each translated on its own. */
    @Benchmark
    public int translateTenSidecarsOneByOne() {
        int resources = 0;
        for (ProxyNode proxy : sidecars) {
            resources += Translator.translate(mesh, proxy).clusters().size();
        }
        return resources;
    }

    /** The same ten sidecars through one {@link TranslationCache}: shared parts built once. */
    @Benchmark
    public int translateTenSidecarsThroughOneCache() {
        TranslationCache cache = Translator.forSnapshot(mesh);
        int resources = 0;
        for (ProxyNode proxy : sidecars) {
            resources += cache.translate(proxy).clusters().size();
        }
        return resources;
    }

    /** What one more sidecar (same namespace) costs once the snapshot's shared parts exist. */
    @Benchmark
    public ProxyResources translateOneMoreSidecarThroughAWarmCache() {
        return warmCache.translate(anotherSidecar);
    }
}
