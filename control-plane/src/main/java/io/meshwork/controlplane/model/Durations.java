package io.meshwork.controlplane.model;

import java.time.Duration;

/** Durations as people write them in config and on the command line: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
public final class Durations {

    private Durations() {
    }

    /**
     * {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, plain seconds ({@code 5}), or ISO-8601 ({@code PT1M});
     * anything else is an {@link IllegalArgumentException} saying what a duration looks like.
     */
    public static Duration parse(String value) {
        String v = value.strip();
        try {
            if (v.startsWith("P") || v.startsWith("p")) {
                return Duration.parse(v);
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            char unit = v.charAt(v.length() - 1);
            if (Character.isDigit(unit)) {
                return Duration.ofSeconds(Long.parseLong(v));
            }
            long amount = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (unit) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("\"" + value + "\" is not a duration like 500ms, 10s, 2m");
        }
    }

    /** {@code 10s} for whole seconds, else {@code 250ms}. */
    public static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
