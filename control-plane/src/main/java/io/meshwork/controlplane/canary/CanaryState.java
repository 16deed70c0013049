package io.meshwork.controlplane.canary;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the canary of a service stands, as recorded in its TrafficSplit's status note
 * ({@code meshwork.io/canary-status}: {@code <state> canary=<B> primary=<A>: <detail>}), and what
 * each command does in each state.
 *
 * <p>A promotion owns the primary/canary pair and nothing else: it moves the weight the two held
 * together when it started (the pair's share) between them and never writes another backend's
 * weight. Steps are percent of that share, so with {@code v1=100 v2=50 v3=50} a promotion of v2
 * over v1 moves 150 (step 10% writes {@code v1=135 v2=15}) and v3 keeps 50, as in Flagger or
 * Argo Rollouts, where the rollout owns stable and canary and nothing else. A step's canary weight
 * is rounded to the nearest integer, at least 1 above 0% and below the share under 100%. Before
 * every write the promotion re-reads the split: a change to the primary's or the canary's weight
 * or to the status note is an outside change and stops it; a change to any other backend is not
 * (the pair keeps its share and its ratio, its share of all traffic moves with the others).
 *
 * <table>
 * <caption>States and what each command does in them</caption>
 * <tr><th>state (note)</th><th>{@code canary promote}</th><th>{@code canary abort}</th>
 *     <th>{@code canary status}</th><th>{@code split set}</th></tr>
 * <tr><td>Idle (no note)</td>
 *     <td>checks every precondition (backends, plan, pair share &gt; 0, config valid at every weight it
 *         may write, metrics reachable), then writes step 1: Promoting(1/N)</td>
 *     <td>with {@code --primary} (and {@code --canary} unless the split has two backends): the pair's
 *         share to the primary: Aborted; without: refused</td>
 *     <td>weights, "no promotion has run"</td>
 *     <td>writes; stays Idle</td></tr>
 * <tr><td>Promoting(step n/N)</td>
 *     <td>refused, nothing written (abort first)</td>
 *     <td>the pair's share to the primary: Aborted; the running promotion sees its note replaced and
 *         stops without writing weights</td>
 *     <td>weights, the note</td>
 *     <td>changes the primary's or canary's weight: note removed (Idle), the running promotion stops;
 *         changes only other backends: note kept, the promotion goes on</td></tr>
 * <tr><td>Promoted</td>
 *     <td>as in Idle: Promoting(1/N)</td>
 *     <td>refused, nothing written (nothing runs; move traffic back with a promotion or {@code split set})</td>
 *     <td>weights, the note</td>
 *     <td>writes; note removed (Idle)</td></tr>
 * <tr><td>RolledBack</td>
 *     <td>as in Idle</td>
 *     <td>nothing to abort: writes nothing, prints the weights</td>
 *     <td>weights, the note</td>
 *     <td>writes; note removed (Idle)</td></tr>
 * <tr><td>Aborted</td>
 *     <td>as in Idle</td>
 *     <td>nothing to abort, as RolledBack</td>
 *     <td>weights, the note</td>
 *     <td>writes; note removed (Idle)</td></tr>
 * </table>
 *
 * <p>The promotion's own transitions: Promoting(n/N) → Promoting(n+1/N) when step n passes its
 * check; → Promoted after the last step (the pair's share on the canary); → RolledBack after
 * {@code threshold} failed checks, an interval whose metrics could not be read counting as one
 * (the pair's share on the primary); → Aborted on an outside change (the note is set only if it is
 * still the promotion's own; the weights stay as the other writer left them).
 *
 * @param step the step of a promotion in progress (1-based), else 0
 * @param steps the number of steps of a promotion in progress, else 0
 */
public record CanaryState(Phase phase, String canary, String primary, int step, int steps, String detail) {

    /** The states; {@code label} starts the note. */
    public enum Phase {
        IDLE(""), PROMOTING("promoting"), PROMOTED("promoted"), ROLLED_BACK("rolled back"), ABORTED("aborted");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public static final CanaryState IDLE = new CanaryState(Phase.IDLE, null, null, 0, 0, "");

    private static final Pattern NOTE = Pattern.compile(
            "(promoting|promoted|rolled back|aborted) canary=(\\S+) primary=(\\S+?): (.*)", Pattern.DOTALL);
    private static final Pattern STEP = Pattern.compile("^step (\\d+)/(\\d+)");
    private static final Pattern FAILED = Pattern.compile("failed checks (\\d+)/\\d+$");

    /** The state a note records; no note, or one this class did not write, is Idle. */
    public static CanaryState of(String note) {
        Matcher m = note == null ? null : NOTE.matcher(note);
        if (m == null || !m.matches()) {
            return IDLE;
        }
        Phase phase = switch (m.group(1)) {
            case "promoting" -> Phase.PROMOTING;
            case "promoted" -> Phase.PROMOTED;
            case "rolled back" -> Phase.ROLLED_BACK;
            default -> Phase.ABORTED;
        };
        Matcher step = STEP.matcher(m.group(4));
        boolean promoting = phase == Phase.PROMOTING && step.find();
        return new CanaryState(phase, m.group(2), m.group(3), promoting ? Integer.parseInt(step.group(1)) : 0,
                promoting ? Integer.parseInt(step.group(2)) : 0, m.group(4));
    }

    /** The note that records {@code phase} for this pair. */
    public static String note(Phase phase, CanaryPlan plan, String detail) {
        return phase.label() + " canary=" + plan.canary() + " primary=" + plan.primary() + ": " + detail;
    }

    /** The note of step {@code step} of a running promotion. */
    public static String promotingNote(CanaryPlan plan, int step, int weight, int failedChecks) {
        return note(Phase.PROMOTING, plan, "step " + step + "/" + plan.steps().size() + " at " + weight
                + "% of the pair, failed checks " + failedChecks + "/" + plan.threshold());
    }

    /** The failed checks a Promoting note records ({@code failed checks 1/2}), else 0. */
    public int failedChecks() {
        Matcher m = FAILED.matcher(detail);
        return isPromoting() && m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    public boolean isPromoting() {
        return phase == Phase.PROMOTING;
    }

    /**
     * The note a split carries after a manual {@code split set} of {@code assigned} on {@code before}:
     * a running promotion keeps its note while neither of its backends changes weight; otherwise
     * the weights are no longer any promotion's doing and the note goes.
     */
    public static String noteAfterManualSet(SplitSnapshot before, Map<String, Long> assigned) {
        CanaryState state = of(before.status());
        if (state.isPromoting() && !changes(before, assigned, state.primary()) && !changes(before, assigned, state.canary())) {
            return before.status();
        }
        return null;
    }

    private static boolean changes(SplitSnapshot before, Map<String, Long> assigned, String backend) {
        return assigned.containsKey(backend)
                && (!before.weights().containsKey(backend) || assigned.get(backend) != before.weight(backend));
    }

    /** How {@code mesh canary status} names the state: {@code Promoting (step 2/4)}, {@code Idle}, ... */
    public String title() {
        return switch (phase) {
            case IDLE -> "Idle";
            case PROMOTING -> "Promoting (step " + step + "/" + steps + ")";
            case PROMOTED -> "Promoted";
            case ROLLED_BACK -> "RolledBack";
            case ABORTED -> "Aborted";
        };
    }
}
