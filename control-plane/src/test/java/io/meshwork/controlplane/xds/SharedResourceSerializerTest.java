package io.meshwork.controlplane.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import org.junit.jupiter.api.Test;

/** A resource shared by many responses is packed once, into what the library's default would send. */
class SharedResourceSerializerTest {

    private static final RouteConfiguration ROUTES = RouteConfiguration.newBuilder().setName("outbound")
            .addVirtualHosts(VirtualHost.newBuilder().setName("reviews").addDomains("reviews")).build();

    private final SharedResourceSerializer serializer = new SharedResourceSerializer();

    @Test
    void packsWhatTheDefaultSerializerPacks() {
        assertThat(serializer.serialize(ROUTES, Resources.ApiVersion.V3)).isEqualTo(Any.pack(ROUTES));
    }

    @Test
    void packsASharedResourceOnce() {
        Any first = serializer.serialize(ROUTES, Resources.ApiVersion.V3);

        assertThat(serializer.serialize(ROUTES, Resources.ApiVersion.V3)).isSameAs(first);
    }

    @Test
    void aChangedResourceIsPackedAnew() {
        RouteConfiguration changed = ROUTES.toBuilder().setName("inbound").build();
        serializer.serialize(ROUTES, Resources.ApiVersion.V3);

        assertThat(serializer.serialize(changed, Resources.ApiVersion.V3)).isEqualTo(Any.pack(changed));
    }

    @Test
    void namesWhatItPacked() {
        Any packed = serializer.serialize(ROUTES, Resources.ApiVersion.V3);

        assertThat(serializer.nameOf(packed)).isEqualTo("outbound");
    }

    @Test
    void namesWhatItDidNotPackByUnpackingIt() {
        assertThat(serializer.nameOf(Any.pack(ROUTES))).isEqualTo("outbound");
    }
}
