package io.meshwork.controlplane.model;

/**
 * One port of a Service. {@code targetPort} is either a number or the name of a port of the
 * selected workloads, as in Kubernetes; empty means "same as {@code port}".
 */
public record ServicePort(String name, int port, String targetPort, Protocol protocol) {
}
