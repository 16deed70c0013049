package io.meshwork.proxy.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshwork.proxy.tls.DownstreamTls;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a TLS connection's server name (SNI) picks a gateway listener's filter chain, as Envoy's server_names. */
class ServerNameChainsTest {

    private static ListenerConfig.FilterChain chain(String certificate, String... serverNames) {
        return new ListenerConfig.FilterChain(null, null, new DownstreamTls(null, false, List.of(), List.of(certificate)),
                null, new ListenerConfig.TcpProxy(certificate)).withServerNames(List.of(serverNames));
    }

    private static final ListenerConfig.FilterChain A = chain("a", "a.example.com");
    private static final ListenerConfig.FilterChain WIDE = chain("wide", "*.example.com");
    private static final ListenerConfig.FilterChain NARROW = chain("narrow", "*.b.example.com");
    private static final ListenerConfig.FilterChain ANY = chain("any");

    private static Optional<ListenerConfig.FilterChain> pick(ListenerConfig listener, String serverName) {
        return listener.chainFor(8443, ListenerConfig.TLS, serverName);
    }

    @Test
    void anExactNameBeatsTheLongestSuffixWhichBeatsAChainWithoutNames() {
        ListenerConfig listener = new ListenerConfig("0.0.0.0_8443", "0.0.0.0", 8443, List.of(ANY, WIDE, NARROW, A), true);

        assertThat(listener.usesServerNames()).isTrue();
        assertThat(pick(listener, "A.example.com")).contains(A);
        assertThat(pick(listener, "x.b.example.com")).contains(NARROW);
        assertThat(pick(listener, "b.example.com")).contains(WIDE);
        assertThat(pick(listener, "example.com")).as("a wildcard needs one label more").contains(ANY);
        assertThat(pick(listener, null)).as("no SNI").contains(ANY);
    }

    @Test
    void withoutAChainForAnyNameAnUnknownNameIsRefused() {
        ListenerConfig listener = new ListenerConfig("0.0.0.0_8443", "0.0.0.0", 8443, List.of(A, WIDE), true);

        assertThat(pick(listener, "other.org")).isEmpty();
        assertThat(pick(listener, null)).isEmpty();
        assertThat(pick(listener, "z.example.com")).contains(WIDE);
    }
}
