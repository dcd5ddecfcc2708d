package dev.jemma.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jemma.hf.HuggingFaceModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The encoder against transformers' get_image_features on the tiny Gemma 3 vision model. */
class SiglipEncoderTest {
    static final Path FIXTURES = root().resolve("jemma-core/src/test/resources/fixtures/hf");

    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("jemma-core"))) p = p.getParent();
        return p;
    }

    @Test
    void featuresMatchTransformers(@TempDir Path tmp) throws Exception {
        Path mmproj = tmp.resolve("mmproj.gguf");
        try (HuggingFaceModel hf = HuggingFaceModel.open(FIXTURES.resolve("tiny-gemma3-vision"))) {
            hf.convertMmproj(mmproj, HuggingFaceModel.OutType.F32);
        }
        JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve("tiny-gemma3-vision.reference.json").toFile()).get("image_features");
        float[] pixels = floats(ref.get("pixel_values"));
        // transformers with the projection rounded to f16, as llama.cpp's converter stores it in every mmproj
        JsonNode want = new ObjectMapper().readTree(ImagePreprocessingTest.DIR.resolve("features_f16_projector.json").toFile())
                .get("features");
        try (VisionModel vm = VisionModel.load(mmproj); SiglipEncoder enc = vm.encoder(2)) {
            float[] got = enc.encode(pixels);
            assertEquals(want.size() * want.get(0).size(), got.length);
            double max = 0;
            for (int t = 0; t < want.size(); t++) {
                for (int i = 0; i < want.get(t).size(); i++) {
                    max = Math.max(max, Math.abs(got[t * want.get(t).size() + i] - want.get(t).get(i).floatValue()));
                }
            }
            System.err.println("image features: max |diff| " + max);
            assertTrue(max < 2e-5, "max |diff| " + max);
        }
    }

    /**
     * With the projection kept in f32 (a Jemma-written variant of the mmproj; llama.cpp's converter always stores it
     * in f16), the features equal transformers' f32 ones (tiny-gemma3-vision.reference.json).
     */
    @Test
    void f32ProjectorMatchesTransformersInF32(@TempDir Path tmp) throws Exception {
        Path f16proj = tmp.resolve("mmproj.gguf"), f32proj = tmp.resolve("mmproj-f32proj.gguf");
        Path folder = FIXTURES.resolve("tiny-gemma3-vision");
        try (HuggingFaceModel hf = HuggingFaceModel.open(folder)) {
            hf.convertMmproj(f16proj, HuggingFaceModel.OutType.F32);
        }
        try (dev.jemma.gguf.GGUFFile f = dev.jemma.gguf.GGUFFile.open(f16proj);
             dev.jemma.safetensors.SafetensorsCheckpoint ck = dev.jemma.safetensors.SafetensorsCheckpoint.open(folder)) {
            dev.jemma.gguf.GGUFWriter w = new dev.jemma.gguf.GGUFWriter().putAll(f.metadata());
            for (dev.jemma.gguf.TensorInfo t : f.tensors()) {
                if (t.name().equals("mm.input_projection.weight")) {
                    w.tensor(t.name(), t.shape(), dev.jemma.tensor.GGMLType.F32,
                            ck.toFloats("multi_modal_projector.mm_input_projection_weight"));
                } else {
                    w.tensor(t.name(), t.shape(), t.type(), f.tensorData(t));
                }
            }
            w.write(f32proj);
        }
        JsonNode ref = new ObjectMapper().readTree(FIXTURES.resolve("tiny-gemma3-vision.reference.json").toFile()).get("image_features");
        JsonNode want = ref.get("features");
        try (VisionModel vm = VisionModel.load(f32proj); SiglipEncoder enc = vm.encoder(2)) {
            assertEquals(dev.jemma.tensor.GGMLType.F32, vm.file.tensor("mm.input_projection.weight").type());
            float[] got = enc.encode(floats(ref.get("pixel_values")));
            double max = 0;
            int w = want.get(0).size();
            for (int t = 0; t < want.size(); t++) for (int i = 0; i < w; i++) max = Math.max(max, Math.abs(got[t * w + i] - want.get(t).get(i).floatValue()));
            System.err.println("image features, f32 projector: max |diff| " + max);
            assertTrue(max < 2e-5, "max |diff| " + max);
        }
    }

    static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) f[i] = a.get(i).floatValue();
        return f;
    }
}
