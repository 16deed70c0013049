package io.meshwork.controlplane.model;

/** Where a workload runs: region and zone, either may be empty. */
public record Locality(String region, String zone) {
    public static final Locality UNKNOWN = new Locality("", "");

    public Locality {
        region = region == null ? "" : region;
        zone = zone == null ? "" : zone;
    }
}
