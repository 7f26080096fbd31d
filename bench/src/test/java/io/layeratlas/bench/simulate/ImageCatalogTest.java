package io.layeratlas.bench.simulate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layeratlas.events.ChainIds;
import io.layeratlas.events.Digest;
import io.layeratlas.events.HistoryEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ImageCatalogTest {
    private static final SimulationSpec SPEC = SimulationSpec.of(7, 50, 20);
    private static ImageCatalog catalog;

    @BeforeAll
    static void build() {
        catalog = ImageCatalog.generate(SPEC);
    }

    @Test
    void the_same_seed_gives_the_same_images_byte_for_byte() {
        ImageCatalog again = ImageCatalog.generate(SPEC);
        assertThat(again.imageCount()).isEqualTo(catalog.imageCount());
        for (int i = 0; i < catalog.imageCount(); i += 17) {
            assertThat(again.image(i).config()).isEqualTo(catalog.image(i).config());
        }
        assertThat(ImageCatalog.generate(SPEC.withSeed(8)).image(0).id()).isNotEqualTo(catalog.image(0).id());
    }

    @Test
    void package_databases_are_the_same_for_the_same_seed_and_base_roots_carry_80_to_120_packages() {
        ImageCatalog again = ImageCatalog.generate(SPEC);
        int withDatabases = 0;
        for (int l = 0; l < catalog.layerCount(); l++) {
            var diffId = catalog.layer(l).diffId();
            assertThat(again.layerDatabases(diffId)).isEqualTo(catalog.layerDatabases(diffId));
            withDatabases += catalog.layerDatabases(diffId).isEmpty() ? 0 : 1;
        }
        assertThat(withDatabases).isGreaterThanOrEqualTo(SPEC.baseImages()).isLessThan(catalog.layerCount() / 10);
        for (int b = 0; b < SPEC.baseImages(); b++) {
            var root = catalog.layer(catalog.image(catalog.familyVersions(b)[0]).layers()[0]).diffId();
            String openssl = catalog.baseOpensslVersion(b);
            assertThat(catalog.layerDatabases(root)).singleElement().satisfies(db -> {
                assertThat(db.path()).isEqualTo("var/lib/dpkg/status");
                assertThat(db.packages()).hasSizeBetween(80, 120);
                assertThat(db.packages()).filteredOn(p -> p.sourceName().equals("openssl")).hasSize(2)
                        .allSatisfy(p -> assertThat(p.version()).isEqualTo(openssl));
            });
        }
    }

    @Test
    void every_config_hashes_to_its_image_id_and_lists_its_diff_ids() throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (CatalogImage image : catalog.images()) {
            assertThat(Digest.sha256Of(image.configBytes())).isEqualTo(image.id());
            JsonNode config = json.readTree(image.config());
            List<Digest> diffIds = new ArrayList<>();
            config.get("rootfs").get("diff_ids").forEach(d -> diffIds.add(Digest.parse(d.asText())));
            assertThat(diffIds).isEqualTo(image.record().diffIds());
            assertThat(ChainIds.of(diffIds)).isEqualTo(image.record().chainIds());
            long nonEmpty = 0;
            for (JsonNode h : config.get("history")) {
                nonEmpty += h.path("empty_layer").asBoolean(false) ? 0 : 1;
            }
            assertThat(nonEmpty).as("non-empty history entries of %s", image.reference()).isEqualTo(diffIds.size());
        }
    }

    @Test
    void histories_carry_empty_layers_and_sizes_only_on_real_layers() {
        CatalogImage app = catalog.image(catalog.imageCount() - 1);
        assertThat(app.record().history()).anyMatch(HistoryEntry::emptyLayer);
        assertThat(app.record().history()).filteredOn(HistoryEntry::emptyLayer).allMatch(h -> h.size() == 0);
        assertThat(app.record().size()).isEqualTo(app.record().history().stream().mapToLong(HistoryEntry::size).sum());
    }

    @Test
    void derived_images_repeat_their_parents_chain_ids_as_a_prefix_and_have_5_to_30_layers() {
        int derived = 0;
        for (CatalogImage image : catalog.images()) {
            if (image.parentImage() < 0) {
                continue;
            }
            derived++;
            List<Digest> parentChains = catalog.image(image.parentImage()).record().chainIds();
            assertThat(image.record().chainIds().subList(0, parentChains.size())).isEqualTo(parentChains);
            if (image.family() >= SPEC.baseImages() + SPEC.runtimeImages()) {
                assertThat(image.layers().length).isBetween(5, 30);
            }
        }
        assertThat(derived).isGreaterThan(catalog.imageCount() / 2);
    }

    @Test
    void versions_of_an_application_share_all_but_their_top_layers() {
        for (int f = SPEC.baseImages() + SPEC.runtimeImages(); f < catalog.familyCount(); f++) {
            int[] versions = catalog.familyVersions(f);
            if (versions.length > 1) {
                List<Digest> v0 = catalog.image(versions[0]).record().chainIds();
                List<Digest> v1 = catalog.image(versions[1]).record().chainIds();
                assertThat(v1.get(v1.size() - 1)).isNotEqualTo(v0.get(v0.size() - 1));
                assertThat(v1.get(0)).isEqualTo(v0.get(0));
                return;
            }
        }
        throw new AssertionError("no application with two versions");
    }

    @Test
    void popularity_puts_base_layers_on_nearly_every_host_and_most_layers_on_few() {
        FleetModel model = new FleetModel(catalog);
        int[] hostsHolding = new int[catalog.layerCount()];
        for (int h = 0; h < SPEC.hosts(); h++) {
            for (int l : model.host(h, 0).layers()) {
                hostsHolding[l]++;
            }
        }
        int nearlyAll = 0;
        int few = 0;
        int held = 0;
        for (int count : hostsHolding) {
            nearlyAll += count >= SPEC.hosts() * 9 / 10 ? 1 : 0;
            few += count > 0 && count <= SPEC.hosts() / 10 ? 1 : 0;
            held += count > 0 ? 1 : 0;
        }
        assertThat(nearlyAll).isPositive();
        assertThat(few).isGreaterThan(held / 2);
    }
}
