#!/bin/sh
# `mesh` inside the images: the same CLI as ./mesh, without the build step (the jar is baked in).
# JVM flags: MESH_JVM_OPTS, else the lines of MESH_JVM_OPTIONS_FILE (comments skipped).
set -eu
if [ -z "${MESH_JVM_OPTS:-}" ] && [ -n "${MESH_JVM_OPTIONS_FILE:-}" ] && [ -r "$MESH_JVM_OPTIONS_FILE" ]; then
  MESH_JVM_OPTS="$(grep -v '^#' "$MESH_JVM_OPTIONS_FILE" | xargs)"
fi
# shellcheck disable=SC2086 # the options are a list of words on purpose
exec java ${MESH_JVM_OPTS:-} -jar /opt/meshwork/mesh.jar "$@"
