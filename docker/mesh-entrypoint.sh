#!/bin/sh
# `mesh` inside the images: the same CLI as ./mesh, without the build step (the jar is baked in).
# JVM flags: MESH_JVM_OPTS, else MESH_JVM_OPTIONS_FILE as a java argument file (`#` comments and all).
set -eu
if [ -z "${MESH_JVM_OPTS:-}" ] && [ -n "${MESH_JVM_OPTIONS_FILE:-}" ]; then
  MESH_JVM_OPTS="@$MESH_JVM_OPTIONS_FILE"
fi
# `mesh proxy` also maps the sidecar's class-data archive when the image has one (docker/proxy.Dockerfile).
if [ "${1:-}" = proxy ] && [ -r /opt/meshwork/proxy.jsa ]; then
  MESH_JVM_OPTS="${MESH_JVM_OPTS:-} -XX:SharedArchiveFile=/opt/meshwork/proxy.jsa"
fi
# shellcheck disable=SC2086 # the options are a list of words on purpose
exec java ${MESH_JVM_OPTS:-} -jar /opt/meshwork/mesh.jar "$@"
