package io.meshwork.controlplane.canary;

import java.util.List;

/** How a promotion ended, why, and every interval it watched. */
public record CanaryOutcome(Result result, String reason, List<StepReport> reports) {

    public CanaryOutcome {
        reports = List.copyOf(reports);
    }

    /** The end state of a promotion. */
    public enum Result {
        /** All traffic on the canary. */
        PROMOTED,
        /** Too many failed checks: all traffic back on the primary. */
        ROLLED_BACK,
        /** Someone else changed the weights (for example {@code mesh canary abort}); the promotion stopped. */
        ABORTED
    }
}
