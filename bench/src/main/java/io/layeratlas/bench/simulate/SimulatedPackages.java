package io.layeratlas.bench.simulate;

import io.layeratlas.events.InstalledPackage;
import io.layeratlas.events.PackageDatabase;
import io.layeratlas.events.PackageEcosystem;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The package databases of the simulated catalog's layers, as an agent would read them (events/README.md,
 * "layer-packages"). A base image's bottom layer carries a Debian {@code var/lib/dpkg/status} of 80–120 packages; a
 * few application layers a small distroless-style {@code var/lib/dpkg/status.d/<app>} or an apk
 * {@code lib/apk/db/installed}; every other layer touches no database. Names are real Debian and Alpine binary
 * package names; versions have each ecosystem's shape ({@code [epoch:]upstream-revision}, {@code upstream-rN}).
 *
 * <p>{@code openssl} and its library ({@code libssl3}, or {@code libssl1.1} for 1.1.1) come at one of
 * {@link #OPENSSL_VERSIONS} per base, bases taking them in turn from a seed-drawn offset, so a range such as
 * {@code openssl<3.0.8} matches the images of some bases and not of others whatever the seed. Application layers
 * never list an OpenSSL package: an image's OpenSSL version is its base's. Deterministic from the seed; stateless.
 */
final class SimulatedPackages {
    /** Where a Debian root keeps its dpkg database (deb-control(5) stanzas). */
    static final String DPKG_STATUS = "var/lib/dpkg/status";
    /** Where apk-tools keeps its installed database. */
    static final String APK_INSTALLED = "lib/apk/db/installed";

    /**
     * The OpenSSL builds bases carry, oldest first: Debian 11's, Ubuntu 22.04's and Debian 12's security updates.
     * The first three are below 3.0.8 in dpkg's ordering, the last two are not.
     */
    static final List<String> OPENSSL_VERSIONS = List.of("1.1.1n-0+deb11u5", "3.0.2-0ubuntu1.15", "3.0.7-1~deb12u1",
            "3.0.11-1~deb12u2", "3.0.15-1~deb12u1");

    /** Names every base lists (besides OpenSSL), as every Debian root does. */
    private static final String[] ESSENTIAL = {"base-files", "base-passwd", "bash", "coreutils", "dash", "debconf",
            "debian-archive-keyring", "debianutils", "diffutils", "dpkg", "findutils", "gcc-12-base", "grep", "gzip",
            "hostname", "init-system-helpers", "libacl1", "libapt-pkg6.0", "libattr1", "libaudit1", "libc-bin", "libc6",
            "libgcc-s1", "libpam0g", "libselinux1", "libstdc++6", "libzstd1", "login", "mawk", "mount", "ncurses-base",
            "passwd", "perl-base", "sed", "sysvinit-utils", "tar", "tzdata", "util-linux", "zlib1g", "apt"};

    /** Names a base may list, some 40–80 of them. */
    private static final String[] OPTIONAL = {"adduser", "bsdutils", "ca-certificates", "curl", "e2fsprogs",
            "fdisk", "gpgv", "iproute2", "iputils-ping", "less", "libblkid1", "libbz2-1.0", "libcap-ng0", "libcap2",
            "libcom-err2", "libcrypt1", "libcurl4", "libdb5.3", "libdebconfclient0", "libext2fs2", "libffi8",
            "libgcrypt20", "libgmp10", "libgnutls30", "libgpg-error0", "libgssapi-krb5-2", "libhogweed6", "libidn2-0",
            "libk5crypto3", "libkeyutils1", "libkrb5-3", "libkrb5support0", "libldap-2.5-0", "liblz4-1", "liblzma5",
            "libmd0", "libmount1", "libncursesw6", "libnettle8", "libnghttp2-14", "libp11-kit0", "libpcre2-8-0",
            "libpsl5", "librtmp1", "libsasl2-2", "libsasl2-modules-db", "libseccomp2", "libsemanage-common",
            "libsemanage2", "libsepol2", "libsmartcols1", "libsqlite3-0", "libss2", "libssh2-1", "libsystemd0",
            "libtasn1-6", "libtinfo6", "libudev1", "libunistring2", "libuuid1", "libxxhash0", "logsave", "netbase",
            "openssh-client", "procps", "readline-common", "sensible-utils", "wget", "xz-utils", "gnupg", "git",
            "libpq5", "locales", "libexpat1", "libxml2", "libyaml-0-2", "libedit2", "libbsd0", "libgdbm6",
            "libreadline8", "libpython3.11-minimal", "python3.11-minimal", "media-types", "libelf1", "libbpf1",
            "libmnl0", "libxtables12", "libcap2-bin", "libnss3", "libsodium23", "libargon2-1", "libcryptsetup12",
            "libdevmapper1.02.1", "libjson-c5", "libkmod2", "libip4tc2", "libapparmor1"};

    /** Packages a distroless-style application layer adds under {@code status.d} (no OpenSSL among them). */
    private static final String[] APP_DPKG = {"ca-certificates", "curl", "git", "tzdata", "locales", "libpq5",
            "netbase", "procps", "openssh-client", "gnupg", "libexpat1", "libyaml-0-2"};

    /** Packages an apk database of an application layer lists (no OpenSSL among them). */
    private static final String[] APP_APK = {"musl", "busybox", "zlib", "libgcc", "libstdc++", "apk-tools",
            "scanelf", "ca-certificates-bundle", "musl-utils", "libc-utils"};

    private SimulatedPackages() {
    }

    /** The OpenSSL version of base {@code base}: the bases take {@link #OPENSSL_VERSIONS} in turn. */
    static String opensslVersion(long seed, int base) {
        int offset = Rng.of(seed, 50).nextInt(OPENSSL_VERSIONS.size());
        return OPENSSL_VERSIONS.get((offset + base) % OPENSSL_VERSIONS.size());
    }

    /** The dpkg status of base {@code base}'s bottom layer: OpenSSL, the essential set and some optional names. */
    static List<PackageDatabase> base(long seed, int base) {
        SplittableRandom rng = Rng.of(seed, 51, base);
        // Bases of one release share most versions, as images of one Debian point release do.
        int release = rng.nextInt(4);
        int count = 80 + rng.nextInt(41);
        List<InstalledPackage> packages = new ArrayList<>(count);
        String openssl = opensslVersion(seed, base);
        packages.add(new InstalledPackage("openssl", openssl, "amd64", "openssl", openssl));
        packages.add(new InstalledPackage(openssl.startsWith("1.1.") ? "libssl1.1" : "libssl3", openssl, "amd64",
                "openssl", openssl));
        Set<String> names = new LinkedHashSet<>(Arrays.asList(ESSENTIAL));
        List<String> optional = new ArrayList<>(Arrays.asList(OPTIONAL));
        while (names.size() + packages.size() < count && !optional.isEmpty()) {
            names.add(optional.remove(rng.nextInt(optional.size())));
        }
        for (String name : names) {
            String v = dpkgVersion(seed, name, release);
            packages.add(new InstalledPackage(name, v, name.endsWith("-base") || name.equals("tzdata")
                    || name.equals("ca-certificates") || name.equals("media-types") ? "all" : "amd64", name, v));
        }
        return List.of(PackageDatabase.present(PackageEcosystem.DPKG, DPKG_STATUS, packages));
    }

    /**
     * The database application family {@code family}'s dependency layer carries, or none: one family in ten has
     * one, a dpkg {@code status.d/<app>} file (two thirds) or an apk database (one third), of 1–6 packages.
     */
    static List<PackageDatabase> app(long seed, int family, String app) {
        SplittableRandom rng = Rng.of(seed, 52, family);
        if (rng.nextDouble() >= 0.1) {
            return List.of();
        }
        boolean apk = rng.nextInt(3) == 0;
        String[] pool = apk ? APP_APK : APP_DPKG;
        int n = 1 + rng.nextInt(6);
        Set<String> names = new LinkedHashSet<>();
        while (names.size() < n) {
            names.add(pool[rng.nextInt(pool.length)]);
        }
        List<InstalledPackage> packages = new ArrayList<>();
        for (String name : names) {
            int release = rng.nextInt(4);
            String v = apk ? apkVersion(seed, name, release) : dpkgVersion(seed, name, release);
            packages.add(new InstalledPackage(name, v, apk ? "x86_64" : "amd64", name, v));
        }
        return List.of(apk ? PackageDatabase.present(PackageEcosystem.APK, APK_INSTALLED, packages)
                : PackageDatabase.present(PackageEcosystem.DPKG, "var/lib/dpkg/status.d/" + app, packages));
    }

    /** A Debian-shaped version of {@code name} in {@code release}: {@code [1:]a.b.c-r[+debNNuK]}. */
    private static String dpkgVersion(long seed, String name, int release) {
        SplittableRandom rng = Rng.of(seed, 53, name.hashCode());
        String epoch = rng.nextInt(10) == 0 ? "1:" : "";
        String upstream = rng.nextInt(12) + "." + rng.nextInt(40) + "." + (rng.nextInt(10) + release / 2);
        String revision = (1 + rng.nextInt(9)) + (release == 0 ? "" : "+deb12u" + release);
        return epoch + upstream + "-" + revision;
    }

    /** An Alpine-shaped version of {@code name} in {@code release}: {@code a.b.c-rN}. */
    private static String apkVersion(long seed, String name, int release) {
        SplittableRandom rng = Rng.of(seed, 54, name.hashCode());
        return (1 + rng.nextInt(3)) + "." + rng.nextInt(30) + "." + rng.nextInt(10) + "-r" + release;
    }
}
