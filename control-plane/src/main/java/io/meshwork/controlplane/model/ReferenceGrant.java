package io.meshwork.controlplane.model;

import java.util.List;

/**
 * A Gateway API {@code ReferenceGrant} (v1beta1): objects of the {@code from} kinds and namespaces may refer to the
 * {@code to} kinds (all of a kind, or one by name) in this grant's namespace. Groups are as written, the core group
 * empty.
 */
public record ReferenceGrant(ObjectRef ref, List<From> from, List<To> to) {

    public ReferenceGrant {
        from = List.copyOf(from);
        to = List.copyOf(to);
    }

    public record From(String group, String kind, String namespace) {
    }

    /** @param name one object, or empty for every object of the kind */
    public record To(String group, String kind, String name) {
    }

    /** Whether a {@code fromGroup/fromKind} of {@code fromNamespace} may refer to {@code toGroup/toKind} {@code target}. */
    public boolean permits(String fromGroup, String fromKind, String fromNamespace, String toGroup, String toKind,
                           ObjectRef target) {
        return ref.namespace().equals(target.namespace())
                && from.stream().anyMatch(f -> f.group().equals(fromGroup) && f.kind().equals(fromKind)
                        && f.namespace().equals(fromNamespace))
                && to.stream().anyMatch(t -> t.group().equals(toGroup) && t.kind().equals(toKind)
                        && (t.name().isEmpty() || t.name().equals(target.name())));
    }
}
