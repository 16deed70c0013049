# The injector image: `mesh webhook` (HTTPS admission webhook on 15017).
# Build from the repository root:  docker build -f docker/webhook.Dockerfile -t HUB/meshwork-webhook:TAG .
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests -Dmaven.javadoc.skip=true package

FROM eclipse-temurin:17-jre-alpine
RUN addgroup -g 1337 -S meshwork && adduser -u 1337 -G meshwork -S -H -h /nonexistent meshwork
COPY --from=build /src/cli/target/mesh.jar /opt/meshwork/mesh.jar
COPY --from=build /src/cli/target/lib/ /opt/meshwork/lib/
COPY docker/mesh-entrypoint.sh /usr/local/bin/mesh
ENV MESH_JVM_OPTS="-XX:+UseSerialGC -XX:MaxRAMPercentage=75"
USER 1337:1337
EXPOSE 15017
ENTRYPOINT ["/usr/local/bin/mesh"]
CMD ["webhook", "--help"]
