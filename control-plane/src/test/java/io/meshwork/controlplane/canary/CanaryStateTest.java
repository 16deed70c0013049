package io.meshwork.controlplane.canary;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.canary.CanaryState.Phase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CanaryStateTest {

    private static final CanaryPlan PLAN = new CanaryPlan("reviews", "reviews-v1", "reviews-v2", List.of(10, 25, 50, 100),
            Duration.ofSeconds(10), 99, Duration.ofMillis(500), 2);

    /** v1, v2, v3 in that order (a map's equality ignores the order). */
    private static Map<String, Long> v(long v1, long v2, long v3) {
        return Map.of("reviews-v1", v1, "reviews-v2", v2, "reviews-v3", v3);
    }

    @Test
    void noNoteOrAForeignOneIsIdle() {
        assertThat(CanaryState.of(null).phase()).isEqualTo(Phase.IDLE);
        assertThat(CanaryState.of("edited by hand").phase()).isEqualTo(Phase.IDLE);
    }

    @Test
    void eachNoteReadsBackAsTheStateThatWroteIt() {
        CanaryState promoting = CanaryState.of(CanaryState.promotingNote(PLAN, 2, 25, 1));

        assertThat(promoting).isEqualTo(new CanaryState(Phase.PROMOTING, "reviews-v2", "reviews-v1", 2, 4,
                "step 2/4 at 25% of the pair, failed checks 1/2"));
        assertThat(promoting.title()).isEqualTo("Promoting (step 2/4)");
        for (Phase end : List.of(Phase.PROMOTED, Phase.ROLLED_BACK, Phase.ABORTED)) {
            CanaryState state = CanaryState.of(CanaryState.note(end, PLAN, "why"));
            assertThat(state.phase()).isEqualTo(end);
            assertThat(state.primary()).isEqualTo("reviews-v1");
            assertThat(state.canary()).isEqualTo("reviews-v2");
        }
    }

    @Test
    void stepsArePercentOfThePairsShareAndOtherBackendsKeepTheirWeight() {
        Map<String, Long> start = v(100, 50, 50);

        assertThat(PLAN.pairShare(start)).isEqualTo(150);
        assertThat(PLAN.weightsAt(start, 150, 10)).isEqualTo(v(135, 15, 50));
        assertThat(PLAN.weightsAt(start, 150, 25)).isEqualTo(v(112, 38, 50));
        assertThat(PLAN.weightsAt(start, 150, 100)).isEqualTo(v(0, 150, 50));
        assertThat(PLAN.weightsAt(start, 150, 0)).isEqualTo(v(150, 0, 50));
    }

    @Test
    void aSmallShareStillGivesTheCanaryTrafficAndThePrimarySomeBelowTheLastStep() {
        assertThat(PLAN.weightsAt(v(3, 0, 97), 3, 10)).isEqualTo(v(2, 1, 97));
        assertThat(PLAN.weightsAt(v(3, 0, 97), 3, 90)).isEqualTo(v(1, 2, 97));
    }

    @Test
    void manualSetKeepsARunningPromotionsNoteOnlyWhileItsPairKeepsItsWeights() {
        String note = CanaryState.promotingNote(PLAN, 1, 10, 0);
        SplitSnapshot running = new SplitSnapshot(v(135, 15, 50), note);

        assertThat(CanaryState.noteAfterManualSet(running, Map.of("reviews-v3", 80L))).isEqualTo(note);
        assertThat(CanaryState.noteAfterManualSet(running, Map.of("reviews-v1", 135L, "reviews-v3", 0L))).isEqualTo(note);
        assertThat(CanaryState.noteAfterManualSet(running, Map.of("reviews-v2", 0L))).isNull();
        assertThat(CanaryState.noteAfterManualSet(running, Map.of("reviews-v1", 100L))).isNull();
    }

    @Test
    void manualSetRemovesTheNoteOfAFinishedPromotion() {
        SplitSnapshot rolledBack = new SplitSnapshot(v(150, 0, 50), CanaryState.note(Phase.ROLLED_BACK, PLAN, "why"));

        assertThat(CanaryState.noteAfterManualSet(rolledBack, Map.of("reviews-v3", 40L))).isNull();
    }
}
