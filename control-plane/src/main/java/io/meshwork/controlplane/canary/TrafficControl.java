package io.meshwork.controlplane.canary;

import java.io.IOException;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Reads and changes a service's default TrafficSplit (local files or Kubernetes). Changes are
 * read-decide-write steps that no other writer can interleave with, so no update is lost.
 */
public interface TrafficControl {

    /** The split now. */
    SplitSnapshot read() throws IOException;

    /**
     * Re-reads the split with other writers shut out, passes it to {@code change} and writes what
     * that returns: weights of the backends it names (others keep theirs) and the status note
     * (null removes it). When {@code change} returns null nothing is written; an exception it throws
     * propagates with nothing written.
     */
    Update update(UnaryOperator<SplitSnapshot> change) throws IOException;

    /** The split as {@code update} found it and what it wrote, if anything. */
    record Update(SplitSnapshot before, Optional<SplitSnapshot> written) {

        /** The split after the update: what was written, else what was found. */
        public SplitSnapshot after() {
            return written.orElse(before);
        }
    }
}
