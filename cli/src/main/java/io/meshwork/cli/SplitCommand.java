package io.meshwork.cli;

import io.meshwork.controlplane.canary.CanaryState;
import io.meshwork.controlplane.canary.SplitControl;
import io.meshwork.controlplane.canary.SplitSnapshot;
import io.meshwork.controlplane.canary.TrafficControl;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mesh split get|set}: read and set the weights of a service's TrafficSplit, or of its HTTPRoute's rule
 * without matches when an HTTPRoute routes it.
 */
@Command(name = "split", description = {"Read and set the backend weights of a service's TrafficSplit.",
        "When an HTTPRoute whose parentRefs name the Service routes it, the weights are that route's: the backendRefs "
                + "of its rule without matches."},
        subcommands = {SplitCommand.Get.class, SplitCommand.Set.class})
final class SplitCommand {

    @Command(name = "get", description = "Show the backends and weights of SERVICE's TrafficSplit (or HTTPRoute).")
    static final class Get implements Callable<Integer> {
        @Mixin
        TrafficTarget target;

        @Parameters(paramLabel = "SERVICE", description = "The root service clients call, e.g. reviews.")
        String service;

        @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT",
                description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
        OutputFormat output;

        @Override
        public Integer call() throws Exception {
            try (TrafficTarget opened = target) {
                SplitControl control = target.control(service);
                SplitControl.Ref ref = control.ref();
                SplitSnapshot split = control.read();
                if (output != OutputFormat.table) {
                    output.print(json(ref, split));
                    return 0;
                }
                System.out.println(ref.title() + " (" + ref.where() + ")");
                Table table = new Table("BACKEND", "WEIGHT", "SHARE");
                long total = total(split.weights());
                split.weights().forEach((backend, weight) -> table.row(backend, Long.toString(weight), share(weight, total)));
                table.print(System.out);
                if (split.status() != null) {
                    System.out.println("status: " + split.status());
                }
                return 0;
            }
        }
    }

    /**
     * A split as JSON/YAML: {@code trafficSplit}, {@code httpRoute} or {@code grpcRoute} (the object holding the weights), {@code file}
     * (local mode) or {@code cluster}, {@code backends} (service, weight, share), {@code status}.
     */
    static tools.jackson.databind.node.ObjectNode json(SplitControl.Ref ref, SplitSnapshot split) {
        tools.jackson.databind.node.ObjectNode node = OutputFormat.JSON.createObjectNode();
        String key = switch (ref.kind()) {
            case "HTTPRoute" -> "httpRoute";
            case "GRPCRoute" -> "grpcRoute";
            default -> "trafficSplit";
        };
        node.put(key, ref.namespace() + "/" + ref.name());
        if (ref.file() != null) {
            node.put("file", ref.file().toString());
        } else {
            node.put("cluster", ref.cluster());
        }
        tools.jackson.databind.node.ArrayNode backends = node.putArray("backends");
        long total = total(split.weights());
        split.weights().forEach((backend, weight) -> backends.addObject().put("service", backend).put("weight", weight)
                .put("share", share(weight, total)));
        node.put("status", split.status());
        return node;
    }

    @Command(name = "set", description = "Set weights, e.g. `mesh split set reviews reviews-v1=90 reviews-v2=10`.")
    static final class Set implements Callable<Integer> {
        @Mixin
        TrafficTarget target;

        @Parameters(index = "0", paramLabel = "SERVICE", description = "The root service clients call.")
        String service;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "BACKEND=WEIGHT",
                description = "Relative integer weights; backends not named keep theirs. A canary status note "
                        + "is removed, except a running promotion's when its primary and canary keep their weights.")
        List<String> assignments;

        @Override
        public Integer call() throws Exception {
            Map<String, Long> weights = parseWeights(assignments);
            try (TrafficTarget opened = target) {
                SplitControl control = target.control(service);
                TrafficControl.Update update = set(control, weights);
                SplitSnapshot before = update.before();
                SplitSnapshot after = update.after();
                SplitControl.Ref ref = control.ref();
                System.out.println(ref.title() + " updated (" + ref.where() + ")");
                Table table = new Table("BACKEND", "BEFORE", "AFTER");
                long totalBefore = total(before.weights());
                long totalAfter = total(after.weights());
                after.weights().forEach((backend, weight) -> table.row(backend,
                        before.weights().containsKey(backend)
                                ? before.weight(backend) + " (" + share(before.weight(backend), totalBefore) + ")"
                                : "-",
                        weight + " (" + share(weight, totalAfter) + ")"));
                table.print(System.out);
                if (before.status() != null && after.status() == null) {
                    System.out.println("canary status cleared (was: " + before.status() + ")");
                } else if (after.status() != null) {
                    System.out.println("canary status kept, the promotion goes on: " + after.status());
                }
                return 0;
            }
        }
    }

    /**
     * Sets the named backends' weights on the split as it is when the lock is held (others keep
     * theirs); the canary note goes unless a running promotion's pair keeps its weights.
     */
    static TrafficControl.Update set(TrafficControl control, Map<String, Long> weights) throws IOException {
        return control.update(now -> {
            Map<String, Long> merged = new LinkedHashMap<>(now.weights());
            merged.putAll(weights);
            return new SplitSnapshot(merged, CanaryState.noteAfterManualSet(now, weights));
        });
    }

    /** Parses {@code BACKEND=WEIGHT} arguments; a bad one is an error naming it. */
    static Map<String, Long> parseWeights(List<String> assignments) {
        Map<String, Long> weights = new LinkedHashMap<>();
        for (String assignment : assignments) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("\"" + assignment + "\" is not BACKEND=WEIGHT");
            }
            String backend = assignment.substring(0, eq);
            String value = assignment.substring(eq + 1);
            long weight;
            try {
                weight = Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of " + backend + " is not an integer: \"" + value + "\"");
            }
            if (weight < 0) {
                throw new IllegalArgumentException("weight of " + backend + " must not be negative: " + weight);
            }
            if (weights.put(backend, weight) != null) {
                throw new IllegalArgumentException("backend " + backend + " is given twice");
            }
        }
        return weights;
    }

    static long total(Map<String, Long> weights) {
        return weights.values().stream().mapToLong(Long::longValue).sum();
    }

    static String share(long weight, long total) {
        return total == 0 ? "0%" : String.format("%.0f%%", 100.0 * weight / total);
    }
}
