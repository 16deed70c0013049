package io.meshwork.controlplane.model;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them in config and on the command line: a number with a unit, or several
 * ({@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 1m30s}, {@code 1h}), as Go and Kubernetes write them.
 */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final BigDecimal MAX_MILLIS = BigDecimal.valueOf(Duration.ofDays(365).toMillis());

    private Durations() {
    }

    /**
     * A duration with units ({@code 250ms}, {@code 1m30s}, {@code 1.5s}); anything else, one finer than a
     * millisecond or longer than a year is an {@link IllegalArgumentException} saying so. What config files and
     * the CRDs accept.
     */
    public static Duration parseWithUnits(String value) {
        return units(value, MAX_MILLIS);
    }

    private static Duration units(String value, BigDecimal maxMillis) {
        String text = value.strip();
        Matcher part = PART.matcher(text);
        BigDecimal millis = BigDecimal.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            BigDecimal amount = new BigDecimal(part.group(1));
            millis = millis.add(amount.multiply(BigDecimal.valueOf(switch (part.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                default -> 3_600_000L;
            })));
            end = part.end();
        }
        if (end == 0 || end != text.length()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a duration (a number with a unit ms, s, m or h: "
                    + "250ms, 2s, 1m30s)");
        }
        if (millis.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is finer than a millisecond");
        }
        if (millis.compareTo(maxMillis) > 0) {
            throw new IllegalArgumentException("\"" + text + "\" is longer than a year");
        }
        return Duration.ofMillis(millis.longValueExact());
    }

    /**
     * As {@link #parseWithUnits} without its one-year bound (a certificate's validity is years), and on the
     * command line also plain seconds ({@code 5}) and ISO-8601 ({@code PT1M}).
     */
    public static Duration parse(String value) {
        String v = value.strip();
        try {
            if (v.startsWith("P") || v.startsWith("p")) {
                return Duration.parse(v);
            }
            if (!v.isEmpty() && v.chars().allMatch(Character::isDigit)) {
                return Duration.ofSeconds(Long.parseLong(v));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("\"" + value + "\" is not a duration like 500ms, 10s, 2m");
        }
        return units(v, BigDecimal.valueOf(Long.MAX_VALUE));
    }

    /** {@code 10s} for whole seconds, else {@code 250ms}. */
    public static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
