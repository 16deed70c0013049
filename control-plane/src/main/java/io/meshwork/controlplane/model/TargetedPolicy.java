package io.meshwork.controlplane.model;

/** A policy aimed at a Service (or one of its ports) by {@code spec.targetRef}. */
public interface TargetedPolicy {

    ObjectRef ref();

    PolicyTarget target();
}
