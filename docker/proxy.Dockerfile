# The sidecar image: `mesh proxy` (the mesh-proxy container) and `mesh init-iptables` (the
# mesh-init init container, which the injector runs as root with NET_ADMIN/NET_RAW only).
# Build from the repository root:  docker build -f docker/proxy.Dockerfile -t HUB/meshwork-proxy:TAG .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests -Dmaven.javadoc.skip=true package

# The Java runtime: only the modules the sidecar loads (docker/proxy-runtime.sh), from the JDK of the final
# image's libc (musl); 62 MB from the Debian JDK 17 here (BENCHMARKS.md, "Sidecar footprint").
FROM eclipse-temurin:17-jdk-alpine AS runtime
COPY docker/proxy-runtime.sh /proxy-runtime.sh
RUN sh /proxy-runtime.sh /opt/java

FROM alpine:3.20
COPY --from=runtime /opt/java /opt/java
ENV JAVA_HOME=/opt/java PATH=/opt/java/bin:$PATH
# iptables for mesh-init (both nft and legacy backends: `mesh init-iptables --iptables iptables-legacy`);
# busybox sh + wget serve the postStart hook that waits for /healthz/ready.
RUN apk add --no-cache iptables iptables-legacy \
    && addgroup -g 1337 -S meshwork && adduser -u 1337 -G meshwork -S -H -h /nonexistent meshwork
COPY --from=build /src/cli/target/mesh.jar /opt/meshwork/mesh.jar
COPY --from=build /src/cli/target/lib/ /opt/meshwork/lib/
COPY sidecar-proxy/src/main/resources/proxy-jvm.options /opt/meshwork/proxy-jvm.options
COPY docker/mesh-entrypoint.sh /usr/local/bin/mesh
# The sidecar's class-data archive, made by this image's JDK from these jars (a training run on loopback);
# the entrypoint passes it to `mesh proxy`. Without it (the training failed) sidecars start as before.
COPY sidecar-proxy/src/main/sh/cds-archive.sh /opt/meshwork/cds-archive.sh
RUN sh /opt/meshwork/cds-archive.sh /opt/meshwork/proxy.jsa /opt/meshwork/proxy-jvm.options /opt/meshwork/mesh.jar \
    || echo "no class-data archive" >&2
# The proxy's heap holds config and connection state only: the small-footprint flags apply to it.
ENV MESH_JVM_OPTIONS_FILE=/opt/meshwork/proxy-jvm.options
USER 1337:1337
EXPOSE 15001 15006 15021 15090
ENTRYPOINT ["/usr/local/bin/mesh"]
CMD ["proxy", "--help"]
