package dev.jemma.hf;

import dev.jemma.gguf.ModelFormatException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.safetensors.SafetensorsFormatException;
import dev.jemma.tokenizer.TokenizerFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken Hugging Face folders: each gets a typed error naming the file (and the tensor where there is one). */
class HuggingFaceErrorsTest {
    static final Path GOOD = HuggingFaceConvertTest.FIXTURES.resolve(HuggingFaceConvertTest.TEXT);

    private static Path copy(Path tmp, Consumer<Path> change) throws Exception {
        Path d = tmp.resolve("m");
        Files.createDirectories(d);
        try (var files = Files.list(GOOD)) {
            for (Path f : files.toList()) Files.copy(f, d.resolve(f.getFileName()));
        }
        change.accept(d);
        return d;
    }

    private static void edit(Path f, String from, String to) {
        try {
            String s = Files.readString(f);
            if (!s.contains(from)) throw new AssertionError(from + " not in " + f);
            Files.writeString(f, s.replace(from, to));
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static String fails(Path dir) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> {
            try (Gemma3Model m = Gemma3Model.load(dir, 1)) {
                // loaded: the test fails
            }
        });
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void unknownArchitecture(@TempDir Path tmp) throws Exception {
        Path d = copy(tmp, p -> {
            edit(p.resolve("config.json"), "\"Gemma3ForCausalLM\"", "\"LlamaForCausalLM\"");
            edit(p.resolve("config.json"), "\"gemma3_text\"", "\"llama\"");
        });
        String m = fails(d);
        assertTrue(m.contains("LlamaForCausalLM") && m.contains("not supported"), m);
    }

    @Test
    void missingTokenizer(@TempDir Path tmp) throws Exception {
        Path d = copy(tmp, p -> {
            try {
                Files.delete(p.resolve("tokenizer.model"));
                Files.delete(p.resolve("tokenizer.json"));
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(fails(d).contains("neither tokenizer.model nor tokenizer.json"));
    }

    @Test
    void configThatIsNotJson(@TempDir Path tmp) throws Exception {
        Path d = copy(tmp, p -> edit(p.resolve("config.json"), "{", "{{"));
        assertTrue(fails(d).contains("not valid JSON"));
    }

    @Test
    void weightsThatDoNotFitTheConfig(@TempDir Path tmp) throws Exception {
        Path more = copy(tmp.resolve("a"), p -> edit(p.resolve("config.json"), "\"num_hidden_layers\": 6", "\"num_hidden_layers\": 7"));
        assertTrue(fails(more).contains("lacks"), "missing layer");
        Path wide = copy(tmp.resolve("b"), p -> edit(p.resolve("config.json"), "\"intermediate_size\": 128", "\"intermediate_size\": 96"));
        String m = fails(wide);
        assertTrue(m.contains("mlp.") && m.contains("shape"), m);
    }

    @Test
    void truncatedWeights(@TempDir Path tmp) throws Exception {
        Path d = copy(tmp, p -> {
            try {
                Path w = p.resolve("model.safetensors");
                byte[] b = Files.readAllBytes(w);
                Files.write(w, java.util.Arrays.copyOf(b, b.length - 1000));
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertThrows(SafetensorsFormatException.class, () -> Gemma3Model.load(d, 1));
    }

    @Test
    void unsupportedDtype(@TempDir Path tmp) throws Exception {
        // a checkpoint whose weights are integers: the dtype is named with the tensor
        Path d = copy(tmp, p -> {
            try {
                Path w = p.resolve("model.safetensors");
                byte[] b = Files.readAllBytes(w);
                long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
                // BF16 and I16 have the same width, so offsets stay valid
                String changed = header.replaceFirst("\"model.norm.weight\":\\{\"dtype\":\"BF16\"", "\"model.norm.weight\":{\"dtype\":\"I16\"");
                if (changed.equals(header)) throw new AssertionError("fixture header layout changed: " + header.substring(0, 200));
                changed = changed + " "; // one character shorter: the format allows trailing spaces
                System.arraycopy(changed.getBytes(StandardCharsets.UTF_8), 0, b, 8, (int) n);
                Files.write(w, b);
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        });
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Gemma3Model.load(d, 1));
        assertTrue(e.getMessage().contains("model.norm.weight") && e.getMessage().contains("I16"), e.getMessage());
    }

    @Test
    void brokenTokenizerModel(@TempDir Path tmp) throws Exception {
        Path d = copy(tmp, p -> {
            try {
                Files.write(p.resolve("tokenizer.model"), new byte[]{0x0a, (byte) 0xff, 0x01});
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        });
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Gemma3Model.load(d, 1));
        assertTrue(e.getMessage().contains("tokenizer.model"), e.getMessage());
    }

    @Test
    void convertRefusesAFolderWithoutTokenizerModel(@TempDir Path tmp) throws Exception {
        Path d = copy(tmp, p -> {
            try {
                Files.delete(p.resolve("tokenizer.model"));
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        });
        try (HuggingFaceModel hf = HuggingFaceModel.open(d)) {
            var e = assertThrows(HuggingFaceFormatException.class, () -> hf.convert(tmp.resolve("o.gguf"), HuggingFaceModel.OutType.F16, null));
            assertTrue(e.getMessage().contains("tokenizer.model"), e.getMessage());
        }
        assertTrue(Files.notExists(tmp.resolve("o.gguf")));
    }
}
