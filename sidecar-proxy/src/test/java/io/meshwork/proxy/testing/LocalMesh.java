package io.meshwork.proxy.testing;

import io.meshwork.proxy.testing.MeshResources.Backend;
import java.util.List;

/**
 * Serves one HTTP service ({@code bench:8080} → a backend port) from a real java-control-plane
 * server, for measuring a `mesh proxy` by hand: {@code LocalMesh XDS_PORT BACKEND_PORT [WORKLOAD]}.
 */
public final class LocalMesh {

    private LocalMesh() {
    }

    public static void main(String[] args) throws Exception {
        int xdsPort = Integer.parseInt(args[0]);
        int backendPort = Integer.parseInt(args[1]);
        String workload = args.length > 2 ? args[2] : "client";
        TestControlPlane controlPlane = new TestControlPlane().startOn(xdsPort);
        controlPlane.setSnapshot(workload, "default", new MeshResources("default")
                .service("bench", 8080, "http", List.of(Backend.of(backendPort, "bench-v1", "v1")))
                .virtualHost("bench", 8080, List.of()).snapshot("1"));
        System.out.println("LocalMesh: xDS on " + controlPlane.target() + ", bench:8080 -> 127.0.0.1:" + backendPort);
        Thread.currentThread().join();
    }
}
