package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.controlplane.model.ObjectRef;
import org.junit.jupiter.api.Test;

class ConfigProblemTest {

    @Test
    void readsAsOneLineNamingFileDocumentLineObjectAndField() {
        ConfigProblem problem = ConfigProblem.error(new SourceLocation("reviews.yaml", 2, 14), "TrafficSplit",
                ObjectRef.of("default", "reviews"), "spec.backends[1].service", "\"reviews-v3\" is not a Service in namespace default");
        assertThat(problem).hasToString("reviews.yaml doc 2 (line 14): TrafficSplit default/reviews: "
                + "spec.backends[1].service: \"reviews-v3\" is not a Service in namespace default");
    }

    @Test
    void leavesOutWhatIsNotKnown() {
        ConfigProblem problem = ConfigProblem.error(new SourceLocation("a.yaml", 1, 0), "", null, "", "cannot be read");
        assertThat(problem).hasToString("a.yaml doc 1: cannot be read");
    }

    @Test
    void foldsLineBreaksInTheMessage() {
        ConfigProblem problem = ConfigProblem.error(new SourceLocation("a.yaml", 1, 3), "", null, "", "not valid YAML:\n  found a tab\n");
        assertThat(problem.toString()).isEqualTo("a.yaml doc 1 (line 3): not valid YAML: found a tab").doesNotContain("\n");
    }
}
