package io.meshwork.controlplane.translate;

import io.meshwork.controlplane.model.HttpRoute;
import java.time.Instant;
import java.util.Comparator;

/**
 * The order of HTTPRoute matches, as the Gateway API spec gives it for every rule of every route attached to one
 * Service port: an Exact path first, then (where the spec leaves it to the implementation, as Envoy Gateway does) a
 * RegularExpression path, longer first, then the longest PathPrefix; then a match naming a method, then the most
 * headers, then the most query parameters; GRPCRoute matches as that spec orders them: the most characters of the
 * service, then of the method, then the most headers. Ties go to the oldest route ({@code creationTimestamp}; one without comes
 * last), then the first by namespace/name, then the rule and match written first.
 */
final class RoutePrecedence {

    /** One match of one rule of one route: what is ordered. */
    record Candidate(HttpRoute route, int ruleIndex, int matchIndex) {

        HttpRoute.Rule rule() {
            return route.rules().get(ruleIndex);
        }

        HttpRoute.Match match() {
            return rule().matches().get(matchIndex);
        }
    }

    private static final Comparator<Candidate> HTTP = Comparator
            .comparingInt((Candidate c) -> pathRank(c.match().path().type()))
            .thenComparing(c -> c.match().path().value().length(), Comparator.reverseOrder())
            .thenComparing(c -> c.match().method().isEmpty())
            .thenComparing(c -> c.match().headers().size(), Comparator.reverseOrder())
            .thenComparing(c -> c.match().queryParams().size(), Comparator.reverseOrder());

    /** GRPCRoute's own order: the most characters of service, then of method, then the most headers. */
    private static final Comparator<Candidate> GRPC = Comparator
            .comparing((Candidate c) -> c.match().grpc().service().length(), Comparator.reverseOrder())
            .thenComparing(c -> c.match().grpc().method().length(), Comparator.reverseOrder())
            .thenComparing(c -> c.match().headers().size(), Comparator.reverseOrder());

    /** HTTPRoute matches before GRPCRoute matches (one port has only one kind: the snapshot sees to it). */
    static final Comparator<Candidate> ORDER = Comparator
            .comparing((Candidate c) -> c.match().grpc() != null)
            .thenComparing((a, b) -> a.match().grpc() == null ? HTTP.compare(a, b) : GRPC.compare(a, b))
            .thenComparing(c -> c.route().created(), Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
            .thenComparing(c -> c.route().ref())
            .thenComparingInt(Candidate::ruleIndex)
            .thenComparingInt(Candidate::matchIndex);

    private RoutePrecedence() {
    }

    private static int pathRank(HttpRoute.PathType type) {
        return switch (type) {
            case EXACT -> 0;
            case REGULAR_EXPRESSION -> 1;
            case PATH_PREFIX -> 2;
        };
    }
}
