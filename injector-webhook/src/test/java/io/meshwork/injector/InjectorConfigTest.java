package io.meshwork.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InjectorConfigTest {

    @TempDir
    Path dir;

    @Test
    void fileOverridesOnlyTheKeysItNames() throws Exception {
        Path file = Files.writeString(dir.resolve("config.yaml"), "proxyImage: r.example/meshwork-proxy:2\nproxyCpuRequest: 50m\n");

        InjectorConfig config = InjectorConfig.load(file);

        assertThat(config.proxyImage()).isEqualTo("r.example/meshwork-proxy:2");
        assertThat(config.proxyCpuRequest()).isEqualTo("50m");
        assertThat(config.xdsAddress()).isEqualTo(InjectorConfig.defaults().xdsAddress());
    }

    @Test
    void unknownKeysAreAnErrorNamingFileAndKey() throws Exception {
        Path file = Files.writeString(dir.resolve("config.yaml"), "proxyImg: typo\n");

        assertThatThrownBy(() -> InjectorConfig.load(file))
                .hasMessage(file + ": unknown injector config keys [proxyImg]");
    }

    @Test
    void nativeSidecarsFromKubernetes129() {
        assertThat(InjectorConfig.defaults().with(Map.of("kubernetesVersion", "v1.30.2")).nativeSidecars()).isTrue();
        assertThat(InjectorConfig.defaults().with(Map.of("kubernetesVersion", "1.28")).nativeSidecars()).isFalse();
        assertThatThrownBy(() -> InjectorConfig.defaults().with(Map.of("kubernetesVersion", "2.0")))
                .hasMessageContaining("kubernetesVersion \"2.0\"");
    }

    @Test
    void xdsAddressMustBeHostAndPort() {
        assertThatThrownBy(() -> InjectorConfig.defaults().with(Map.of("xdsAddress", "meshwork-control-plane")))
                .hasMessage("injector config: xdsAddress \"meshwork-control-plane\" is not HOST:PORT");
    }
}
