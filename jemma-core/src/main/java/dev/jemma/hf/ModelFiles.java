package dev.jemma.hf;

import dev.jemma.gguf.GGUFFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens what a user passes as a model: a GGUF file, or a Hugging Face folder seen as one ({@link HuggingFaceModel#view}). */
public final class ModelFiles {
    private ModelFiles() {}

    public static GGUFFile open(Path p) throws IOException {
        if (!Files.isDirectory(p)) return GGUFFile.open(p);
        HuggingFaceModel hf = HuggingFaceModel.open(p);
        try {
            return hf.view();
        } catch (RuntimeException e) {
            hf.close();
            throw e;
        }
    }
}
