package io.meshwork.controlplane;

import io.meshwork.controlplane.model.MeshSnapshot;
import java.util.function.Consumer;

/** Where mesh snapshots come from (a folder of YAML files, Kubernetes); delivers each new one to a consumer. */
public interface MeshSnapshotSource extends AutoCloseable {

    /**
     * Starts delivering snapshots, the first one as soon as the initial config is read.
     *
     * @param configErrors called once for each input the source rejects, to count it
     */
    void start(Consumer<MeshSnapshot> snapshots, Runnable configErrors) throws Exception;

    /**
     * False while the source cannot deliver changes (its watcher failed or died): the control plane is
     * then not ready, since what it serves may be stale without end.
     */
    default boolean healthy() {
        return true;
    }

    @Override
    void close() throws Exception;
}
