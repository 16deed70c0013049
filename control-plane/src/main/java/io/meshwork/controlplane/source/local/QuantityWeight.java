package io.meshwork.controlplane.source.local;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts a Kubernetes Quantity (a {@code split.smi-spec.io/v1alpha1} weight such as {@code 500m},
 * {@code 1} or {@code 0.25}) to an integer weight in milli-units: {@code 500m} → 500, {@code 1} → 1000.
 * All weights of a split that has one are converted the same way, so their ratios are kept.
 */
final class QuantityWeight {

    private static final Pattern QUANTITY = Pattern.compile("\\+?(\\d+(?:\\.\\d*)?|\\.\\d+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?");
    private static final Map<String, BigDecimal> SUFFIX = Map.of(
            "m", new BigDecimal("0.001"), "k", BigDecimal.valueOf(1_000L), "M", BigDecimal.valueOf(1_000_000L),
            "G", BigDecimal.valueOf(1_000_000_000L), "T", BigDecimal.valueOf(1_000_000_000_000L),
            "Ki", BigDecimal.valueOf(1L << 10), "Mi", BigDecimal.valueOf(1L << 20),
            "Gi", BigDecimal.valueOf(1L << 30), "Ti", BigDecimal.valueOf(1L << 40));
    private static final BigDecimal MILLI_PER_UNIT = BigDecimal.valueOf(1000);

    private QuantityWeight() {
    }

    /** The weight in milli-units, empty when {@code text} is not a non-negative Quantity or finer than 1m. */
    static Optional<Long> toMilli(String text) {
        Matcher m = QUANTITY.matcher(text.trim());
        if (!m.matches()) {
            return Optional.empty();
        }
        BigDecimal value = new BigDecimal(m.group(1).startsWith(".") ? "0" + m.group(1) : m.group(1));
        if (m.group(2) != null) {
            value = value.multiply(SUFFIX.get(m.group(2)));
        }
        BigDecimal milli = value.multiply(MILLI_PER_UNIT).stripTrailingZeros();
        if (milli.scale() > 0 || milli.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            return Optional.empty();
        }
        return Optional.of(milli.longValueExact());
    }
}
