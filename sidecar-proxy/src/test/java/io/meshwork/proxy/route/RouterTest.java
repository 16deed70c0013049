package io.meshwork.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.re2j.Pattern;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {

    private static final Route V2_FOR_TESTERS = new Route(new RouteMatch(RouteMatch.PathKind.REGEX, null,
            Pattern.compile("/api/.*"), List.of(
                    new RouteMatch.HeaderMatch("x-user", RouteMatch.HeaderMatch.Kind.REGEX, null,
                            Pattern.compile("test.*"), false),
                    new RouteMatch.HeaderMatch(":method", RouteMatch.HeaderMatch.Kind.EXACT, "GET", null, false))),
            List.of(new Route.WeightedCluster("v2", 1)), Duration.ZERO);
    private static final Route EXACT_HEALTH = new Route(new RouteMatch(RouteMatch.PathKind.EXACT, "/health", null,
            List.of(new RouteMatch.HeaderMatch("x-probe", RouteMatch.HeaderMatch.Kind.PRESENT, null, null, false))),
            List.of(new Route.WeightedCluster("health", 1)), Duration.ZERO);
    private static final Route DEFAULT = new Route(RouteMatch.prefix("/"),
            List.of(new Route.WeightedCluster("v1", 90), new Route.WeightedCluster("v2", 10)), Duration.ofSeconds(15));
    private static final VirtualHost REVIEWS = new VirtualHost("reviews.default.svc.cluster.local:9080",
            List.of("reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080", "reviews",
                    "reviews:9080"), List.of(V2_FOR_TESTERS, EXACT_HEALTH, DEFAULT));
    private static final VirtualHost OTHER_PORT = new VirtualHost("reviews.default.svc.cluster.local:9443",
            List.of("reviews:9443"), List.of(DEFAULT));
    private static final RouteTable TABLE = new RouteTable("outbound", List.of(OTHER_PORT, REVIEWS));

    private static HttpHeaders headers(String... pairs) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1]);
        }
        return headers;
    }

    @Test
    void findsTheVirtualHostByAuthorityWithOrWithoutPort() {
        assertThat(Router.virtualHost(TABLE, "reviews:9080")).isSameAs(REVIEWS);
        assertThat(Router.virtualHost(TABLE, "reviews:9443")).isSameAs(OTHER_PORT);
        assertThat(Router.virtualHost(TABLE, "REVIEWS")).isSameAs(REVIEWS);
        assertThat(Router.virtualHost(TABLE, "reviews.default.svc.cluster.local:8080")).isSameAs(REVIEWS);
        assertThat(Router.virtualHost(TABLE, "details")).isNull();
    }

    @Test
    void matchesPathRegexHeaderRegexAndMethodTogether() {
        assertThat(Router.route(REVIEWS, "GET", "/api/x?q=1", headers("x-user", "tester"))).isSameAs(V2_FOR_TESTERS);
        assertThat(Router.route(REVIEWS, "POST", "/api/x", headers("x-user", "tester"))).isSameAs(DEFAULT);
        assertThat(Router.route(REVIEWS, "GET", "/api/x", headers("x-user", "someone"))).isSameAs(DEFAULT);
    }

    @Test
    void matchesAnExactPathWithAHeaderPresent() {
        assertThat(Router.route(REVIEWS, "GET", "/health", headers("x-probe", ""))).isSameAs(EXACT_HEALTH);
        assertThat(Router.route(REVIEWS, "GET", "/health", headers())).isSameAs(DEFAULT);
        assertThat(Router.route(REVIEWS, "GET", "/healthz", headers("x-probe", "1"))).isSameAs(DEFAULT);
    }

    @Test
    void picksWeightedClustersInProportion() {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            counts.merge(Router.pick(DEFAULT).cluster(), 1, Integer::sum);
        }
        assertThat(counts.get("v2") / 10_000.0).isBetween(0.08, 0.12);
    }

    /**
     * Route regexes match in time linear in the input (RE2/J): nested repetition against a long
     * path that almost matches, which a backtracking engine (java.util.regex) takes exponential time
     * on and which held the sidecar's event loop 14 s, is decided at once.
     */
    @Test
    void aPathologicalRegexAgainstALongPathIsDecidedInLinearTime() {
        Route nested = new Route(new RouteMatch(RouteMatch.PathKind.REGEX, null, Pattern.compile("/(a+)+b"),
                List.of(new RouteMatch.HeaderMatch("x-user", RouteMatch.HeaderMatch.Kind.REGEX, null,
                        Pattern.compile("(a|aa)*c"), false))), List.of(new Route.WeightedCluster("v2", 1)), Duration.ZERO);
        VirtualHost host = new VirtualHost("evil", List.of("evil"), List.of(nested, DEFAULT));
        String path = "/" + "a".repeat(10_000);
        String header = "a".repeat(10_000);

        long start = System.nanoTime();
        Route chosen = Router.route(host, "GET", path + "b", headers("x-user", header));
        Route fallback = Router.route(host, "GET", path, headers("x-user", header + "c"));
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(chosen).isSameAs(DEFAULT); // the path matches, the header does not
        assertThat(fallback).isSameAs(DEFAULT); // the header matches, the path does not
        // A backtracking engine needs longer than the age of the universe here; RE2/J takes milliseconds.
        assertThat(millis).as("two 10 kB matches took %d ms", millis).isLessThan(2_000);
    }

    @Test
    void aSegmentPrefixTakesThePathAndItsSubpathsButNotALongerSegment() {
        Route api = new Route(new RouteMatch(RouteMatch.PathKind.PATH_SEPARATED_PREFIX, "/api", null, List.of(),
                List.of(new RouteMatch.QueryParameterMatch("v", RouteMatch.HeaderMatch.Kind.REGEX, null,
                        Pattern.compile("[12]")))), List.of(new Route.WeightedCluster("api", 1)), Duration.ZERO);
        VirtualHost host = new VirtualHost("api", List.of("api"), List.of(api));

        assertThat(Router.route(host, "GET", "/api?v=1", headers())).isSameAs(api);
        assertThat(Router.route(host, "GET", "/api/users?x=y&v=2", headers())).isSameAs(api);
        assertThat(Router.route(host, "GET", "/apis?v=1", headers())).isNull();
        assertThat(Router.route(host, "GET", "/api?v=3&v=1", headers())).as("the first value counts").isNull();
        assertThat(Router.route(host, "GET", "/api", headers())).isNull();
    }

    @Test
    void suffixWildcardDomainsMatchByTheLongestSuffixAfterExactNamesAndBeforeStar() {
        VirtualHost exact = new VirtualHost("a", List.of("a.example.com", "a.example.com:8443"), List.of(DEFAULT));
        VirtualHost wide = new VirtualHost("wide", List.of("*.example.com"), List.of(DEFAULT));
        VirtualHost narrow = new VirtualHost("narrow", List.of("*.b.example.com"), List.of(DEFAULT));
        VirtualHost any = new VirtualHost("any", List.of("*"), List.of(DEFAULT));
        RouteTable table = new RouteTable("http.8443", List.of(wide, exact, narrow, any));

        assertThat(Router.virtualHost(table, "a.example.com:8443")).isSameAs(exact);
        assertThat(Router.virtualHost(table, "x.b.example.com")).isSameAs(narrow);
        assertThat(Router.virtualHost(table, "x.y.b.example.com:8443")).isSameAs(narrow);
        assertThat(Router.virtualHost(table, "b.example.com")).as("*.b.example.com needs a label more").isSameAs(wide);
        assertThat(Router.virtualHost(table, "example.com")).isSameAs(any);
        assertThat(Router.virtualHost(table, "other.org")).isSameAs(any);
        assertThat(table.hasSuffixWildcards()).isTrue();
        assertThat(TABLE.hasSuffixWildcards()).as("a sidecar's table never looks suffixes up").isFalse();
    }
}
