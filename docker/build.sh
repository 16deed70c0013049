#!/usr/bin/env bash
# Builds (and with --push, pushes) the three Meshwork images under HUB with TAG, the names that
# `mesh install --hub HUB --tag TAG` puts into the manifests.
#   docker/build.sh registry.example.com/mesh 0.1.0 [--push]
set -euo pipefail
HUB="${1:?usage: docker/build.sh HUB TAG [--push]}"
TAG="${2:?usage: docker/build.sh HUB TAG [--push]}"
cd "$(dirname "$0")/.."
for image in control-plane proxy webhook; do
  DOCKER_BUILDKIT=1 docker build -f "docker/$image.Dockerfile" -t "$HUB/meshwork-$image:$TAG" .
  if [[ "${3:-}" == "--push" ]]; then
    docker push "$HUB/meshwork-$image:$TAG"
  fi
done
echo "now: ./mesh install --hub $HUB --tag $TAG | kubectl apply -f -"
