package dev.jemma.vision;

import dev.jemma.gguf.GGUFFile;
import dev.jemma.gguf.ModelFormatException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A Gemma 3 mmproj file, opened and checked: its {@link VisionConfig} and {@link VisionWeights} (mapped, like a text
 * model). {@link #encoder} makes the encoder that turns images into soft tokens. Immutable; close it after its
 * encoders.
 */
public final class VisionModel implements AutoCloseable {
    public final GGUFFile file;
    public final VisionConfig config;
    public final VisionWeights weights;

    private VisionModel(GGUFFile file, VisionConfig config, VisionWeights weights) {
        this.file = file;
        this.config = config;
        this.weights = weights;
    }

    public static VisionModel load(Path path) throws IOException {
        GGUFFile f = GGUFFile.open(path);
        try {
            VisionConfig c = VisionConfig.fromGGUF(f.metadata());
            return new VisionModel(f, c, VisionWeights.load(f, c));
        } catch (ModelFormatException e) {
            f.close();
            throw new ModelFormatException(path.getFileName() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Checks that this tower feeds a text model of this hidden size. */
    public void checkTextWidth(int hidden) {
        if (config.projectionDim() != hidden) {
            throw new ModelFormatException("the mmproj file projects to width " + config.projectionDim()
                    + " but the text model's hidden size is " + hidden + ": it belongs to another Gemma 3 size");
        }
    }

    public SiglipEncoder encoder(int threads) {
        return new SiglipEncoder(weights, threads);
    }

    @Override
    public void close() {
        file.close();
    }
}
