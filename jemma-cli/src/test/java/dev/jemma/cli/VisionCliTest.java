package dev.jemma.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

import static dev.jemma.cli.CliInputErrorsTest.oneLineError;
import static dev.jemma.cli.CliTest.jemma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Images from the command line: `jemma logits --mmproj --image` (the conformance hook) equals transformers, `run
 * --image` answers, and every bad image or mismatched tower is one line on stderr.
 */
class VisionCliTest {
    static final Path FIX = CliTest.repoRoot().resolve("jemma-core/src/test/resources/fixtures");
    @TempDir
    static Path tmp;
    static String text, mmproj;

    @BeforeAll
    static void convert() {
        text = tmp.resolve("tiny.gguf").toString();
        mmproj = tmp.resolve("mmproj.gguf").toString();
        CliTest.Outcome o = jemma("convert", FIX.resolve("hf/tiny-gemma3-vision").toString(), "--out", text, "--type", "f32",
                "--mmproj-out", mmproj);
        assertEquals(0, o.code(), o.err());
    }

    static String image(String name) {
        return FIX.resolve("vision/images").resolve(name).toString();
    }

    @Test
    void logitsHookMatchesTransformers() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(FIX.resolve("vision/logits.json").toFile()).get("cases");
        for (JsonNode c : cases) {
            List<String> args = new ArrayList<>(List.of("logits", "--model", text, "--mmproj", mmproj, "--threads", "2"));
            for (JsonNode f : c.get("images")) args.addAll(List.of("--image", image(f.asText())));
            if (c.get("pan_and_scan").asBoolean()) args.add("--pan-and-scan");
            StringBuilder ids = new StringBuilder();
            for (JsonNode id : c.get("input_ids")) ids.append(ids.isEmpty() ? "" : ",").append(id.asInt());
            Path out = tmp.resolve(c.get("title").asText().replace(' ', '_') + ".npy");
            args.addAll(List.of("--tokens", ids.toString(), "--out", out.toString()));
            CliTest.Outcome o = jemma(args.toArray(new String[0]));
            assertEquals(0, o.code(), o.err());
            byte[] npy = Files.readAllBytes(out);
            int header = 10 + (npy[8] & 0xFF | (npy[9] & 0xFF) << 8);
            ByteBuffer bb = ByteBuffer.wrap(npy, header, npy.length - header).order(ByteOrder.LITTLE_ENDIAN);
            double max = 0;
            for (JsonNode row : c.get("logits")) for (JsonNode v : row) max = Math.max(max, Math.abs(v.floatValue() - bb.getFloat()));
            assertTrue(max < 1e-4, c.get("title").asText() + ": max |diff| " + max);
        }
    }

    @Test
    void runAnswersAboutAnImage() {
        CliTest.Outcome a = jemma("run", "--model", text, "--mmproj", mmproj, "--image", image("rgb_53x37.png"),
                "--image", image("photo_120x90.jpg"), "--temperature", "0", "-n", "6", "--threads", "2", "What differs?");
        assertEquals(0, a.code(), a.err());
        assertFalse(a.out().isBlank());
        CliTest.Outcome pas = jemma("run", "--model", text, "--mmproj", mmproj, "--image", image("rgb_896x600.png"),
                "--pan-and-scan", "--temperature", "0", "-n", "4", "--threads", "2", "Read it.");
        assertEquals(0, pas.code(), pas.err());
        CliTest.Outcome raw = jemma("run", "--model", text, "--mmproj", mmproj, "--image", image("grey_45x45.png"), "--raw",
                "--temperature", "0", "-n", "4", "--threads", "2", "An image of");
        assertEquals(0, raw.code(), raw.err());
    }

    @Test
    void infoShowsTheTowerAndChatTakesImages() {
        CliTest.Outcome i = jemma("info", "--model", text, "--mmproj", mmproj, "--json");
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("\"vision\":{") && i.out().contains("\"tokens_per_image\":4") && i.out().contains("\"projects_to\":64"), i.out());
        String input = "/image " + image("rgb_53x37.png") + "\nWhat is it?\nAnd the colour?\n/image " + image("grey_45x45.png")
                + "\nAnd this one?\n/exit\n";
        CliTest.Outcome c = CliInputErrorsTest.withStdin(new java.io.ByteArrayInputStream(input.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "chat", "--model", text, "--mmproj", mmproj, "--temperature", "0", "-n", "4", "--threads", "2");
        assertEquals(0, c.code(), c.err());
        assertEquals(2, c.err().lines().filter(l -> l.contains("attached to your next message")).count(), c.err());
        assertFalse(c.err().contains("error"), c.err());
        assertEquals(3, c.err().lines().filter(l -> l.contains("generated")).count(), "three answers: " + c.err());
        CliTest.Outcome none = CliInputErrorsTest.withStdin(new java.io.ByteArrayInputStream(("/image " + image("rgb_53x37.png") + "\n/exit\n").getBytes()),
                "chat", "--model", text, "--threads", "2");
        assertTrue(none.err().contains("images need --mmproj"), none.err());
    }

    @Test
    void badImagesAndTowersAreOneLine() throws Exception {
        oneLineError(jemma("run", "--model", text, "--image", image("rgb_53x37.png"), "hi"), "--image needs --mmproj");
        Path notImage = tmp.resolve("notes.png");
        Files.writeString(notImage, "this is text, not an image");
        oneLineError(jemma("run", "--model", text, "--mmproj", mmproj, "--image", notImage.toString(), "hi"), "not an image format");
        byte[] png = Files.readAllBytes(Path.of(image("rgb_200x150.png")));
        Path truncated = tmp.resolve("truncated.png");
        Files.write(truncated, java.util.Arrays.copyOf(png, png.length / 2));
        oneLineError(jemma("run", "--model", text, "--mmproj", mmproj, "--image", truncated.toString(), "hi"), "corrupt or truncated");
        Path bomb = tmp.resolve("bomb.png");
        Files.write(bomb, pngHeaderOnly(8660, 5774)); // 50.0 megapixels declared, a few bytes of data
        oneLineError(jemma("run", "--model", text, "--mmproj", mmproj, "--image", bomb.toString(), "hi"), "more than the limit");
        Path zero = tmp.resolve("zero.png");
        Files.write(zero, pngHeaderOnly(0, 10));
        CliTest.Outcome z = jemma("run", "--model", text, "--mmproj", mmproj, "--image", zero.toString(), "hi");
        assertEquals(1, z.code(), z.err());
        assertFalse(z.err().contains("Exception"), z.err());
        oneLineError(jemma("run", "--model", text, "--mmproj", text, "--image", image("rgb_53x37.png"), "hi"), "not an mmproj file");
        // a tower for another width (this synthetic model's hidden size is 32, the tower projects to 64)
        oneLineError(jemma("run", "--model", CliTest.synthetic("f32_27b_scale").resolve("model.gguf").toString(), "--mmproj", mmproj, "--image", image("rgb_53x37.png"), "hi"),
                "belongs to another Gemma 3 size");
        oneLineError(jemma("run", "--model", text, "--mmproj", mmproj, "--image", image("rgb_53x37.png"), "--image",
                image("rgb_1x1.png"), "--ctx", "12", "hi"), "context");
        oneLineError(jemma("logits", "--model", text, "--mmproj", mmproj, "--image", image("rgb_53x37.png"), "--tokens", "2,9,9,9",
                "--out", tmp.resolve("x.npy").toString()), "not a whole number of images");
    }

    /** A PNG whose IHDR declares width × height, with one empty IDAT: decoding it would be the bomb. */
    static byte[] pngHeaderOnly(int w, int h) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IDAT", new byte[]{0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws Exception {
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
