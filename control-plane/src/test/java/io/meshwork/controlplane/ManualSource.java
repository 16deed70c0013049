package io.meshwork.controlplane;

import io.meshwork.controlplane.model.MeshSnapshot;
import java.util.function.Consumer;

/** A snapshot source the test drives by hand. */
final class ManualSource implements MeshSnapshotSource {

    private Consumer<MeshSnapshot> snapshots;
    private Runnable configErrors;
    private volatile boolean healthy = true;

    @Override
    public void start(Consumer<MeshSnapshot> snapshots, Runnable configErrors) {
        this.snapshots = snapshots;
        this.configErrors = configErrors;
    }

    void push(MeshSnapshot snapshot) {
        snapshots.accept(snapshot);
    }

    void rejectInput() {
        configErrors.run();
    }

    void healthy(boolean healthy) {
        this.healthy = healthy;
    }

    @Override
    public boolean healthy() {
        return healthy;
    }

    @Override
    public void close() {
    }
}
