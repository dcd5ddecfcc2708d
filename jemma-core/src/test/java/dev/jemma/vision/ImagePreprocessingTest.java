package dev.jemma.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance (a) and (b): decoding, the transformers RGB conversion, Pillow's bilinear resize and the processor's
 * pixel values against conformance/gen_vision_fixtures.py (Pillow 12.3.0, transformers 5.24.0 PIL backend); Pan & Scan
 * crops and their pixel values on 24 sizes.
 */
class ImagePreprocessingTest {
    static final Path DIR = SiglipEncoderTest.root().resolve("jemma-core/src/test/resources/fixtures/vision");

    static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static byte[] le(float[] v) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) bb.putFloat(f);
        return bb.array();
    }

    static ImagePreprocessor processor(int size, PanAndScan pas) {
        return new ImagePreprocessor(size, new float[]{0.5f, 0.5f, 0.5f}, new float[]{0.5f, 0.5f, 0.5f}, pas);
    }

    @Test
    void resizedBytesAndPixelValuesEqualPillowAndTransformers() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(DIR.resolve("resize.json").toFile()).get("cases");
        int exact = 0, jpeg = 0;
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String name = c.get("image").asText();
            int size = c.get("size").asInt();
            RgbImage img = ImageDecoder.decode(Files.readAllBytes(DIR.resolve("images").resolve(name)));
            assertEquals(c.get("width").asInt(), img.width(), name);
            assertEquals(c.get("height").asInt(), img.height(), name);
            ImagePreprocessor p = processor(size, null);
            RgbImage resized = p.resized(img);
            boolean lossyFormat = name.endsWith(".jpg");
            if (!lossyFormat) {
                exact++;
                if (!sha(img.rgb()).equals(c.get("rgb_sha256").asText())) failures.add(name + ": RGB conversion differs");
                if (!sha(resized.rgb()).equals(c.get("resized_sha256").asText())) failures.add(name + " @" + size + ": resized bytes differ");
                if (c.has("pixel_values_sha256") && !sha(le(p.pixels(img))).equals(c.get("pixel_values_sha256").asText())) {
                    failures.add(name + " @" + size + ": pixel_values differ");
                }
            } else if (c.has("resized_base64")) {
                jpeg++;
                // another JPEG decoder: within 2 levels of Pillow's (libjpeg-turbo) after resizing
                byte[] want = Base64.getDecoder().decode(c.get("resized_base64").asText());
                int worst = 0;
                for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((want[i] & 0xFF) - (resized.rgb()[i] & 0xFF)));
                if (worst > 2) failures.add(name + " @" + size + ": " + worst + " levels from Pillow");
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
        assertTrue(exact >= 39, "exact cases: " + exact);
        assertTrue(jpeg >= 2, "JPEG cases: " + jpeg);
    }

    @Test
    void panAndScanCropsAndPixelsEqualTransformers() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(DIR.resolve("pan_and_scan.json").toFile()).get("cases");
        assertTrue(cases.size() >= 20);
        int withCrops = 0;
        for (JsonNode c : cases) {
            int w = c.get("width").asInt(), h = c.get("height").asInt();
            List<PanAndScan.Box> boxes = PanAndScan.GEMMA3.boxes(w, h);
            JsonNode want = c.get("boxes");
            assertEquals(want.size(), boxes.size(), w + "×" + h);
            for (int i = 0; i < boxes.size(); i++) {
                JsonNode b = want.get(i);
                assertEquals(new PanAndScan.Box(b.get("x").asInt(), b.get("y").asInt(), b.get("width").asInt(), b.get("height").asInt()),
                        boxes.get(i), w + "×" + h + " crop " + i);
            }
            if (!boxes.isEmpty()) withCrops++;
            RgbImage img = ImageDecoder.decode(Files.readAllBytes(DIR.resolve("pas").resolve(w + "x" + h + ".png")));
            ImagePreprocessor p = processor(32, PanAndScan.GEMMA3);
            List<RgbImage> views = p.views(img);
            JsonNode shas = c.get("views_pixel_values_sha256");
            assertEquals(shas.size(), views.size(), w + "×" + h);
            for (int i = 0; i < views.size(); i++) {
                assertEquals(shas.get(i).asText(), sha(le(p.pixels(views.get(i)))), w + "×" + h + " view " + i);
            }
        }
        assertTrue(withCrops >= 10, "sizes with crops: " + withCrops);
    }

    @Test
    void compositingAnOpaquePixelKeepsIt() {
        for (int c = 0; c < 256; c++) assertEquals(c, ImageDecoder.onWhite(c, 255));
        assertEquals(255, ImageDecoder.onWhite(0, 0));
    }
}
