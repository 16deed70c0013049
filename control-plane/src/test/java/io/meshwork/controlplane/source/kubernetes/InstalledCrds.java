package io.meshwork.controlplane.source.kubernetes;

import io.meshwork.injector.install.InstallManifests;
import io.meshwork.injector.install.InstallOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The CustomResourceDefinitions {@code mesh install} prints, and what an API server holding them
 * does with a custom resource written at one version and read at another (conversion None).
 */
final class InstalledCrds {

    private final List<JsonNode> definitions;

    private InstalledCrds(List<JsonNode> definitions) {
        this.definitions = List.copyOf(definitions);
    }

    static InstalledCrds ofMeshInstall() {
        List<JsonNode> crds = new ArrayList<>();
        for (JsonNode document : new InstallManifests(InstallOptions.defaults()).documents()) {
            if (document.path("kind").asString("").equals("CustomResourceDefinition")) {
                crds.add(document);
            }
        }
        return new InstalledCrds(crds);
    }

    List<JsonNode> definitions() {
        return definitions;
    }

    /** The CRD of {@code kind} in API group {@code group}. */
    Optional<JsonNode> definition(String group, String kind) {
        return definitions.stream().filter(crd -> crd.path("spec").path("group").asString("").equals(group)
                && crd.path("spec").path("names").path("kind").asString("").equals(kind)).findFirst();
    }

    /** The CRD of an object's apiVersion and kind. */
    Optional<JsonNode> definitionOf(JsonNode object) {
        return definition(groupOf(object.path("apiVersion").asString("")), object.path("kind").asString(""));
    }

    /** The versions a CRD serves, in its order. */
    static List<String> servedVersions(JsonNode crd) {
        List<String> served = new ArrayList<>();
        for (JsonNode version : crd.path("spec").path("versions")) {
            if (version.path("served").asBoolean(false)) {
                served.add(version.path("name").asString());
            }
        }
        return served;
    }

    static Optional<JsonNode> version(JsonNode crd, String name) {
        for (JsonNode version : crd.path("spec").path("versions")) {
            if (version.path("name").asString("").equals(name)) {
                return Optional.of(version);
            }
        }
        return Optional.empty();
    }

    static StructuralSchema schema(JsonNode crd, String version) {
        return new StructuralSchema(version(crd, version).orElseThrow(() -> new IllegalArgumentException(
                crd.path("metadata").path("name").asString() + " has no version " + version))
                .path("schema").path("openAPIV3Schema"));
    }

    static String storageVersion(JsonNode crd) {
        for (JsonNode version : crd.path("spec").path("versions")) {
            if (version.path("storage").asBoolean(false)) {
                return version.path("name").asString();
            }
        }
        throw new IllegalArgumentException(crd.path("metadata").path("name").asString() + " has no storage version");
    }

    /** Why the API server would refuse {@code object} (unknown kind, unserved version, schema violations); empty when it accepts it. */
    List<String> violations(JsonNode object) {
        String apiVersion = object.path("apiVersion").asString("");
        Optional<JsonNode> crd = definitionOf(object);
        if (crd.isEmpty()) {
            return List.of("no CRD for " + apiVersion + " " + object.path("kind").asString(""));
        }
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        if (!servedVersions(crd.get()).contains(version)) {
            return List.of(apiVersion + " is not served (served: " + servedVersions(crd.get()) + ")");
        }
        return schema(crd.get(), version).violations(object);
    }

    /**
     * What a client reading at {@code readVersion} gets of {@code written}, as a real API server with
     * these CRDs hands it out: the write is validated and pruned at its own version, relabelled to the
     * storage version and pruned there (that is what is stored), then relabelled to the version read
     * and pruned there. Conversion None changes nothing but apiVersion.
     */
    JsonNode servedAt(JsonNode written, String readVersion) {
        List<String> refused = violations(written);
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("the API server refuses " + written.path("kind").asString() + " "
                    + written.path("metadata").path("name").asString() + ": " + refused);
        }
        JsonNode crd = definitionOf(written).orElseThrow();
        String writtenVersion = written.path("apiVersion").asString().substring(group(crd).length() + 1);
        JsonNode stored = relabel(schema(crd, writtenVersion).pruned(written), crd, storageVersion(crd));
        stored = schema(crd, storageVersion(crd)).pruned(stored);
        return schema(crd, readVersion).pruned(relabel(stored, crd, readVersion));
    }

    private static JsonNode relabel(JsonNode object, JsonNode crd, String version) {
        ObjectNode copy = (ObjectNode) object.deepCopy();
        copy.put("apiVersion", group(crd) + "/" + version);
        return copy;
    }

    private static String group(JsonNode crd) {
        return crd.path("spec").path("group").asString();
    }

    private static String groupOf(String apiVersion) {
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }
}
