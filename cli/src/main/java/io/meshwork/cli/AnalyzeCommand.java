package io.meshwork.cli;

import io.meshwork.controlplane.model.MeshSnapshot;
import io.meshwork.controlplane.source.local.ConfigProblem;
import io.meshwork.controlplane.source.local.LoadResult;
import io.meshwork.controlplane.source.local.LocalConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mesh analyze}: validates a local config folder without serving it, as {@code istioctl analyze}. */
@Command(name = "analyze", description = "Check a config folder without serving it: every problem with file and field.")
final class AnalyzeCommand implements Callable<Integer> {

    @Option(names = "--config-dir", paramLabel = "DIR",
            description = "The folder to check (default: the running demo's, when `mesh demo` runs).")
    Path configDir;

    @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT",
            description = "table, json or yaml: counts and every problem with its severity (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    public Integer call() throws Exception {
        if (configDir == null) {
            throw new IllegalArgumentException("--config-dir DIR: which folder to check? (no `mesh demo` is running to take "
                    + "its folder from)");
        }
        if (!Files.isDirectory(configDir)) {
            throw new IllegalArgumentException("config dir " + configDir + " does not exist or is not a folder");
        }
        LoadResult result = new LocalConfigLoader().load(configDir);
        if (output != OutputFormat.table) {
            output.print(json(result));
            return result.errors().isEmpty() ? 0 : 3;
        }
        for (ConfigProblem problem : result.problems()) {
            System.out.println((problem.severity() == ConfigProblem.Severity.ERROR ? "Error   " : "Warning ") + problem);
        }
        MeshSnapshot s = result.snapshot();
        int errors = result.errors().size();
        int warnings = result.problems().size() - errors;
        System.out.printf("%s: %s, %s, %s, %s; %s, %s%n", configDir, count(s.services().size(), "service"),
                count(s.workloads().size(), "workload"), count(s.splits().size(), "traffic split"),
                count(s.routeGroups().size(), "route group"), count(errors, "error"), count(warnings, "warning"));
        return errors == 0 ? 0 : 3;
    }

    private tools.jackson.databind.node.ObjectNode json(LoadResult result) {
        MeshSnapshot s = result.snapshot();
        tools.jackson.databind.node.ObjectNode node = OutputFormat.JSON.createObjectNode();
        node.put("configDir", configDir.toString());
        node.put("services", s.services().size());
        node.put("workloads", s.workloads().size());
        node.put("trafficSplits", s.splits().size());
        node.put("routeGroups", s.routeGroups().size());
        node.put("errors", result.errors().size());
        node.put("warnings", result.problems().size() - result.errors().size());
        tools.jackson.databind.node.ArrayNode problems = node.putArray("problems");
        for (ConfigProblem problem : result.problems()) {
            problems.addObject().put("severity", problem.severity() == ConfigProblem.Severity.ERROR ? "error" : "warning")
                    .put("message", problem.toString());
        }
        return node;
    }

    /** "1 route group", "2 route groups". */
    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
