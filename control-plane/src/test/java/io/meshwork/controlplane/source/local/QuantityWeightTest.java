package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantityWeightTest {

    @ParameterizedTest
    @CsvSource({"500m, 500", "1, 1000", "0, 0", "0.25, 250", ".5, 500", "2k, 2000000", "1Ki, 1024000", "100, 100000"})
    void convertsQuantitiesToMilliUnits(String quantity, long milli) {
        assertThat(QuantityWeight.toMilli(quantity)).contains(milli);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "0.5m", "ten", "1e3", "", "1 m", "50%"})
    void rejectsWhatIsNotAWholeNumberOfMilliUnits(String quantity) {
        assertThat(QuantityWeight.toMilli(quantity)).isEmpty();
    }
}
