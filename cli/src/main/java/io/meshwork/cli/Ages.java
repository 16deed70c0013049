package io.meshwork.cli;

import java.time.Duration;
import java.time.Instant;

/** Durations as kubectl's AGE column shows them: {@code 45s}, {@code 3m12s}, {@code 2h5m}, {@code 4d3h}. */
final class Ages {

    private Ages() {
    }

    static String of(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + (s % 60 > 0 ? s % 60 + "s" : "");
        }
        if (s < 86_400) {
            return s / 3600 + "h" + (s % 3600 / 60 > 0 ? s % 3600 / 60 + "m" : "");
        }
        return s / 86_400 + "d" + (s % 86_400 / 3600 > 0 ? s % 86_400 / 3600 + "h" : "");
    }

    /** The age of {@code instant}. */
    static String since(Instant instant) {
        return of(Duration.between(instant, Instant.now()));
    }

    /** {@code age} of an ISO-8601 timestamp; "-" when there is none, the text itself when it does not parse. */
    static String ofTimestamp(String timestamp, java.util.function.Function<Instant, String> age) {
        if (timestamp.isEmpty()) {
            return "-";
        }
        try {
            return age.apply(Instant.parse(timestamp));
        } catch (java.time.format.DateTimeParseException e) {
            return timestamp;
        }
    }

    /** How long until {@code instant}: "in 23h59m", or "expired 5m ago". */
    static String until(Instant instant) {
        Duration left = Duration.between(Instant.now(), instant);
        return left.isNegative() ? "expired " + of(left.negated()) + " ago" : "in " + of(left);
    }
}
