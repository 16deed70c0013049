package io.meshwork.controlplane.model;

/** A namespaced object name, written {@code namespace/name}. */
public record ObjectRef(String namespace, String name) implements Comparable<ObjectRef> {

    public ObjectRef {
        if (namespace == null || namespace.isEmpty()) {
            throw new IllegalArgumentException("namespace must not be empty");
        }
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name must not be empty");
        }
    }

    public static ObjectRef of(String namespace, String name) {
        return new ObjectRef(namespace, name);
    }

    /** The cluster-local DNS name of a Service with this ref: {@code name.namespace.svc.cluster.local}. */
    public String serviceFqdn() {
        return name + "." + namespace + ".svc.cluster.local";
    }

    @Override
    public int compareTo(ObjectRef other) {
        int byNamespace = namespace.compareTo(other.namespace);
        return byNamespace != 0 ? byNamespace : name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
