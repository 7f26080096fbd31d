package io.layeratlas.db.query;

import io.layeratlas.events.PackageEcosystem;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackageSpecTest {

    @Test
    void the_four_forms_of_the_issue_parse() {
        assertThat(PackageSpec.parse("openssl")).isEqualTo(new PackageSpec("openssl", List.of()));
        assertThat(PackageSpec.parse("openssl=3.0.7-1~deb12u1")).isEqualTo(new PackageSpec("openssl",
                List.of(new PackageSpec.Constraint("=", "3.0.7-1~deb12u1"))));
        assertThat(PackageSpec.parse(" openssl < 3.0.8 ")).isEqualTo(new PackageSpec("openssl",
                List.of(new PackageSpec.Constraint("<", "3.0.8"))));
        assertThat(PackageSpec.parse("openssl>=1.1.1,<1.1.1w")).isEqualTo(new PackageSpec("openssl",
                List.of(new PackageSpec.Constraint(">=", "1.1.1"), new PackageSpec.Constraint("<", "1.1.1w"))));
        assertThat(PackageSpec.parse("libssl3>=1:3.0, != 3.0.9-1").toString()).isEqualTo("libssl3>=1:3.0,!=3.0.9-1");
    }

    @Test
    void ranges_use_each_ecosystems_ordering() {
        PackageSpec below = PackageSpec.parse("openssl<3.0.8");
        assertThat(below.matches(PackageEcosystem.DPKG, "3.0.7-1~deb12u1")).isTrue();
        assertThat(below.matches(PackageEcosystem.DPKG, "3.0.8~rc1-1")).isTrue();   // a tilde sorts before the release
        assertThat(below.matches(PackageEcosystem.DPKG, "3.0.11-1~deb12u2")).isFalse();
        assertThat(below.matches(PackageEcosystem.DPKG, "1:1.0")).isFalse();       // an epoch outranks everything
        assertThat(below.matches(PackageEcosystem.RPM, "3.0.7-16.el9")).isTrue();
        assertThat(below.matches(PackageEcosystem.APK, "3.0.7-r0")).isTrue();
        assertThat(below.matches(PackageEcosystem.APK, "3.0.10-r0")).isFalse();
        PackageSpec range = PackageSpec.parse("openssl>=1.1.1,<1.1.1w");
        assertThat(range.matches(PackageEcosystem.DPKG, "1.1.1n-0+deb11u5")).isTrue();
        assertThat(range.matches(PackageEcosystem.DPKG, "1.1.1w-0+deb11u1")).isFalse();
        assertThat(range.matches(PackageEcosystem.DPKG, "1.1.0l-1~deb9u1")).isFalse();
        assertThat(PackageSpec.parse("openssl").matches(PackageEcosystem.RPM, "anything")).isTrue();
    }

    @Test
    void bad_syntax_is_refused_with_what_and_where() {
        assertThatThrownBy(() -> PackageSpec.parse("  ")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("empty package question");
        assertThatThrownBy(() -> PackageSpec.parse("<3.0")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("no package name before the operator");
        assertThatThrownBy(() -> PackageSpec.parse("open ssl<3")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("'open ssl' is not a package name");
        assertThatThrownBy(() -> PackageSpec.parse("openssl<")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("no version after '<' at character 8");
        assertThatThrownBy(() -> PackageSpec.parse("openssl>=1,,<2")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("empty version constraint at character 12");
        assertThatThrownBy(() -> PackageSpec.parse("openssl==1")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("the operator is '='");
        assertThatThrownBy(() -> PackageSpec.parse("openssl=>1")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("has an invalid character '>'");
        assertThatThrownBy(() -> PackageSpec.parse("openssl>=1,2")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("'2' at character 12 does not start with an operator");
        assertThatThrownBy(() -> PackageSpec.parse("openssl<3 .0")).isInstanceOf(QueryException.InvalidParameter.class)
                .hasMessageContaining("invalid character ' '");
    }
}
