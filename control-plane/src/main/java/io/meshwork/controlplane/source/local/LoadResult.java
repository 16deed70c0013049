package io.meshwork.controlplane.source.local;

import io.meshwork.controlplane.model.MeshSnapshot;
import java.util.List;

/** The outcome of one load of the config folder: the snapshot to serve and what was wrong with the input. */
public record LoadResult(MeshSnapshot snapshot, List<ConfigProblem> problems) {

    public LoadResult {
        problems = List.copyOf(problems);
    }

    /** The problems that rejected something (warnings left out). */
    public List<ConfigProblem> errors() {
        return problems.stream().filter(p -> p.severity() == ConfigProblem.Severity.ERROR).toList();
    }

    public boolean hasErrors() {
        return !errors().isEmpty();
    }
}
