package io.meshwork.controlplane.source.local;

/** What became of one YAML document: accepted, rejected (with the object it meant, when known) or ignored. */
sealed interface DocumentOutcome {

    /** @param warnings fields that were ignored (unknown, probably mistyped) */
    record Accepted(ConfigObject object, java.util.List<ConfigProblem> warnings) implements DocumentOutcome {
    }

    /** @param key the object the document declares, null when even that could not be read */
    record Rejected(ConfigProblem problem, ConfigObject.Key key) implements DocumentOutcome {
    }

    /** A kind local mode does not read: a warning, not an error. */
    record Ignored(ConfigProblem warning) implements DocumentOutcome {
    }
}
