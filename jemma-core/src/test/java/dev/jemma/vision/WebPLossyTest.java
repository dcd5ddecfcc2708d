package dev.jemma.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lossy WebP decodes to exactly the RGB bytes Pillow (libwebp) gives, on the files conformance/gen_webp_fixtures.py
 * wrote: every size class, quality, encoder method, flat and RGBA case. Corrupt files are typed errors.
 */
class WebPLossyTest {
    static final Path DIR = Path.of("src/test/resources/fixtures/vision/webp");

    @Test
    void decodesLikeLibwebp() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(DIR.resolve("webp.json").toFile()).get("cases");
        assertTrue(cases.size() >= 20, "cases: " + cases.size());
        List<String> failures = new ArrayList<>();
        int alpha = 0;
        java.util.Set<String> tools = new java.util.TreeSet<>();
        for (JsonNode c : cases) {
            String name = c.get("image").asText();
            byte[] file = Files.readAllBytes(DIR.resolve(name));
            WebPLossy.Frame frame = WebPLossy.find(file);
            if (frame == null) {
                failures.add(name + ": not recognised as a lossy WebP");
                continue;
            }
            if (frame.alpha()) alpha++;
            Vp8Decoder.Tools t = Vp8Decoder.decode(file, frame.offset(), frame.length()).tools();
            tools.add("filter " + t.filter());
            if (t.filter() > 0) tools.add("filter " + t.filter() + " sharpness " + t.sharpness());
            tools.add("partitions " + t.partitions());
            if (t.segmentMap()) tools.add("segment map");
            if (t.skipFlags()) tools.add("skip flags");
            if (t.i4x4()) tools.add("4x4 prediction");
            if (t.i16x16()) tools.add("16x16 prediction");
            RgbImage img = ImageDecoder.decode(file);
            assertEquals(c.get("width").asInt(), img.width(), name);
            assertEquals(c.get("height").asInt(), img.height(), name);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(img.rgb()));
            if (!sha.equals(c.get("rgb_sha256").asText())) {
                String detail = "";
                if (c.has("rgb_base64")) {
                    byte[] want = Base64.getDecoder().decode(c.get("rgb_base64").asText());
                    int worst = 0, differ = 0;
                    for (int i = 0; i < want.length; i++) {
                        int d = Math.abs((want[i] & 0xFF) - (img.rgb()[i] & 0xFF));
                        worst = Math.max(worst, d);
                        if (d != 0) differ++;
                    }
                    detail = " (" + differ + " bytes differ, by up to " + worst + ")";
                }
                failures.add(name + ": RGB differs from Pillow's" + detail);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + ": " + failures);
        assertTrue(alpha >= 2, "RGBA cases: " + alpha);
        // the files exercise every coding tool a key frame has
        for (String want : List.of("filter 0", "filter 1 sharpness 0", "filter 1 sharpness 7", "filter 2 sharpness 0",
                "filter 2 sharpness 7", "partitions 1", "partitions 2", "partitions 4", "partitions 8", "segment map",
                "skip flags", "4x4 prediction", "16x16 prediction")) {
            assertTrue(tools.contains(want), "no fixture uses " + want + "; covered: " + tools);
        }
    }

    @Test
    void corruptLossyFilesAreTypedErrors() throws Exception {
        byte[] good = Files.readAllBytes(DIR.resolve("noisy_64x48_q75.webp"));
        WebPLossy.Frame f = WebPLossy.find(good);
        // cut inside the VP8 data (the RIFF and chunk sizes still claim the whole file)
        for (int cut : new int[]{f.offset() + 5, f.offset() + 12, f.offset() + 40, good.length - 200}) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThrows(ImageInputException.class, () -> ImageDecoder.decode(truncated), "cut at " + cut);
        }
        // a partition length past the end of the chunk
        byte[] badPartition = good.clone();
        badPartition[f.offset() + 2] = (byte) 0xFF;
        assertThrows(ImageInputException.class, () -> ImageDecoder.decode(badPartition));
        // not a key frame, and a wrong start code
        byte[] inter = good.clone();
        inter[f.offset()] |= 1;
        assertThrows(ImageInputException.class, () -> ImageDecoder.decode(inter));
        byte[] code = good.clone();
        code[f.offset() + 3] = 0;
        assertThrows(ImageInputException.class, () -> ImageDecoder.decode(code));
        // zero width
        byte[] zero = good.clone();
        zero[f.offset() + 6] = 0;
        zero[f.offset() + 7] = 0;
        assertThrows(ImageInputException.class, () -> ImageDecoder.decode(zero));
        // random damage anywhere in the VP8 data: a typed error or an image, never anything else
        java.util.Random rng = new java.util.Random(7);
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            for (int k = 0; k < 1 + rng.nextInt(4); k++) bad[f.offset() + rng.nextInt(f.length())] = (byte) rng.nextInt(256);
            try {
                ImageDecoder.decode(bad);
            } catch (ImageInputException expected) {
                // fine
            }
        }
    }

    @Test
    void theDeclaredSizeIsCheckedBeforeDecoding() throws Exception {
        byte[] good = Files.readAllBytes(DIR.resolve("noisy_257x131_q75.webp"));
        ImageInputException e = assertThrows(ImageInputException.class, () -> ImageDecoder.decode(good, 257L * 131 - 1));
        assertTrue(e.getMessage().contains("257×131"), e.getMessage());
    }
}
