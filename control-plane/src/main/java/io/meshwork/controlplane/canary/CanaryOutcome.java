package io.meshwork.controlplane.canary;

import java.util.List;

/** How a promotion ended, why, and every interval it watched. */
public record CanaryOutcome(Result result, String reason, List<StepReport> reports) {

    public CanaryOutcome {
        reports = List.copyOf(reports);
    }

    /** The end state of a promotion. */
    public enum Result {
        /** The pair's share on the canary. */
        PROMOTED,
        /** Too many failed checks: the pair's share back on the primary. */
        ROLLED_BACK,
        /**
         * Someone else changed the primary's or canary's weight or the status note (for example
         * {@code mesh canary abort}); the promotion stopped without writing weights.
         */
        ABORTED
    }
}
