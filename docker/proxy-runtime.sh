#!/bin/sh
# The proxy image's Java runtime: a jlink image of only the JDK modules `mesh proxy` and `mesh init-iptables`
# load (and local mode's control plane, which the class-data archive's training run starts), with the JDK's
# own class-data archive regenerated for it. docker/proxy.Dockerfile runs it in its runtime stage;
# SidecarRuntimeImageTest runs it and proxies a request with a sidecar on the result.
#
#   docker/proxy-runtime.sh OUT      (the JDK: $JAVA_HOME, else the one `java` on the PATH belongs to)
#
# The modules, each for what needs it (jdeps --print-module-deps over mesh.jar and its jars, plus the
# service providers jdeps cannot see):
#   java.base          everything
#   java.logging       grpc-java's and Netty's loggers (java.util.logging)
#   java.management    the JVM's own MXBeans, which jdk.management extends
#   jdk.management     Micrometer's JVM and process metrics (com.sun.management)
#   java.naming        grpc-java's DNS name resolver, Bouncy Castle's LDAP store classes
#   java.net.http      the control plane's and the CLI's HTTP client (local mode: sidecar metrics, the CA check)
#   java.sql           java.sql.Timestamp/Date in protobuf-java-util, fabric8's model, Bouncy Castle
#   jdk.crypto.ec      the SunEC provider: the workload key pair (EC P-256) and ECDHE in TLS
#   jdk.unsupported    sun.misc.Unsafe for Netty's and protobuf's fast paths
#   jdk.jfr            Flight Recorder, to profile a sidecar in place (jcmd PID JFR.start)
# Left out: java.desktop (java.beans in Micrometer binders the sidecar does not use: 12 MB), jdk.compiler, the
# tools. --strip-debug drops Java line numbers from JDK frames only (the jars keep theirs).
set -eu
OUT="${1:?usage: proxy-runtime.sh OUT}"
JDK="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
[ -d "$JDK/jmods" ] || { echo "proxy-runtime: $JDK has no jmods folder (a JDK, not a JRE, is needed)" >&2; exit 1; }
MODULES=java.base,java.logging,java.management,jdk.management,java.naming,java.net.http,java.sql,jdk.crypto.ec,jdk.unsupported,jdk.jfr
rm -rf "$OUT"
"$JDK/bin/jlink" --module-path "$JDK/jmods" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
  --compress=2 --generate-cds-archive --output "$OUT" >/dev/null
echo "proxy-runtime: $OUT: $(du -sm "$OUT" | cut -f1) MB, modules $MODULES"
