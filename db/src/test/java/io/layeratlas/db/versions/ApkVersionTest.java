package io.layeratlas.db.versions;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * apk's ordering. apk-tools is not packaged in Debian and its published vectors ({@code tests/version.data}) could not
 * be fetched on this network, so these vectors are written from apk-tools' documented rules (apk-package(5), Alpine's
 * APKBUILD reference "pkgver": {@code _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p}, one
 * letter after the numbers, {@code -rN} revisions, leading-zero components) and from versions Alpine ships.
 */
class ApkVersionTest {

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(delimiter = ' ', value = {
            "1.0 < 1.1", "1.0 < 1.0.1", "1 < 1.0", "1.9 < 1.10", "1.0 = 1.0", "2.34 > 0.1.0_alpha",
            "0.1.0_alpha = 0.1.0_alpha", "0.1.0_alpha < 0.1.3_alpha", "0.1.0_alpha > 0.0.1_alpha", "0.1.0_alpha < 1.2.3",
            // leading zeros after a dot compare as a fraction
            "1.01 < 1.1", "1.001 < 1.01", "1.01 < 1.010", "1.0 < 1.01",
            // pre-release suffixes before the release, post-release ones after it
            "1.0_alpha < 1.0_beta", "1.0_beta < 1.0_pre", "1.0_pre < 1.0_rc", "1.0_rc < 1.0", "1.0_alpha < 1.0",
            "1.0 < 1.0_cvs", "1.0_cvs < 1.0_svn", "1.0_svn < 1.0_git", "1.0_git < 1.0_hg", "1.0_hg < 1.0_p",
            "1.0_alpha1 < 1.0_alpha2", "1.0_rc9 < 1.0_rc10", "1.0_p1 < 1.0_p2", "1.0_rc1 < 1.0_p1", "1.0_alpha < 1.0_alpha1",
            "1.0_p1_p2 > 1.0_p1",
            // one letter after the numbers
            "1.0 < 1.0a", "1.0a < 1.0b", "1.0z < 1.0.1", "1.1.1w > 1.1.1v", "1.1.1w < 1.1.2",
            // package revisions
            "1.0-r0 < 1.0-r1", "1.0-r9 < 1.0-r10", "1.0 < 1.0-r0", "1.0-r5 < 1.0_p1-r0", "1.0_rc1-r9 < 1.0-r0",
            "1.0-r1 < 1.0.1-r0", "3.0.7-r0 < 3.0.8-r0", "3.0.10-r0 > 3.0.9-r3", "3.1.4-r5 < 3.1.4-r6",
            "3.1.4-r6 = 3.1.4-r6", "1.1.1w-r1 > 1.1.1v-r0", "2.4.0_git20230110-r0 > 2.4.0-r0",
            "8.5.0-r0 > 8.4.0_p1-r3", "1.36.1-r15 < 1.36.1-r19", "1.36.1-r29 > 1.36.1-r19"
    })
    void apk_orders_versions_by_its_documented_rules(String a, String op, String b) {
        int want = switch (op) {
            case "<" -> -1;
            case "=" -> 0;
            default -> 1;
        };
        assertThat(Integer.signum(ApkVersion.compare(a, b))).as(a + " vs " + b).isEqualTo(want);
        assertThat(Integer.signum(ApkVersion.compare(b, a))).as(b + " vs " + a).isEqualTo(-want);
    }
}
