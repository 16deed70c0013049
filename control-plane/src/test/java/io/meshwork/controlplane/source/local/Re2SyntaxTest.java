package io.meshwork.controlplane.source.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Re2SyntaxTest {

    @ParameterizedTest
    @ValueSource(strings = {"/api/.*", "^(.*?;)?(type=insider)(;.*)?$", "(?i)curl/\\d+", "(?:a|b)+", "\\\\1",
            "[\\1]", "[]a]+", "\\Q(?=x)\\E", "a{2,3}", "\\p{L}+", "\\x{41}+"})
    void acceptsWhatRe2Supports(String regex) {
        assertThat(Re2Syntax.unsupportedConstruct(regex)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"(a)\\1", "(?<n>a)\\k<n>", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b", "(?>ab)", "a*+", "a++",
            "a?+", "a{2}+", "\\Gfoo", "foo\\Z", "\\R", "\\h+"})
    void rejectsWhatOnlyJavaSupports(String regex) {
        assertThat(Re2Syntax.unsupportedConstruct(regex)).isPresent();
    }
}
