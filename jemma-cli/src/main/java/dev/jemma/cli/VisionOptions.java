package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.model.Gemma3Model;
import dev.jemma.vision.VisionEngine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** --mmproj, --image and --pan-and-scan: images for Gemma 3 4B and larger (docs/VISION.md). */
public final class VisionOptions {
    /** Larger files are refused before they are read (the pixel budget then bounds what decoding may allocate). */
    static final long MAX_IMAGE_BYTES = 64L << 20;

    @Option(names = "--mmproj", paramLabel = "FILE", description = "the vision tower: a Gemma 3 mmproj GGUF (llama.cpp's layout)")
    Path mmproj;
    @Option(names = "--image", paramLabel = "FILE", description = "an image (PNG, JPEG, GIF, BMP, WebP, TIFF); repeatable; needs --mmproj")
    List<Path> images = new ArrayList<>();
    @Option(names = "--pan-and-scan", description = "also encode crops of wide or tall images (transformers' do_pan_and_scan)")
    boolean panAndScan;

    /** What can be checked before the model loads. */
    void checkFlags() {
        if (!images.isEmpty() && mmproj == null) {
            throw new JemmaException("--image needs --mmproj FILE (the model's vision tower, a Gemma 3 mmproj GGUF)");
        }
        if (mmproj != null) InputFiles.existing("--mmproj", mmproj);
        for (Path p : images) InputFiles.existing("--image", p);
    }

    boolean any() {
        return !images.isEmpty();
    }

    /** The vision engine for the loaded text model, or null without --mmproj. */
    VisionEngine open(Gemma3Model m, int threads) throws IOException {
        if (mmproj == null) return null;
        VisionEngine v = VisionEngine.open(mmproj, m, threads);
        Log.info("vision tower " + mmproj.getFileName() + ": " + v.model.config.imageSize() + " px, "
                + v.tokensPerImage() + " tokens per image" + (panAndScan ? ", Pan & Scan" : ""));
        return v;
    }

    List<byte[]> read() throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (Path p : images) {
            long size = Files.size(p);
            if (size > MAX_IMAGE_BYTES) {
                throw new JemmaException("--image " + p + " is " + size + " bytes, more than the limit of " + MAX_IMAGE_BYTES);
            }
            out.add(Files.readAllBytes(p));
        }
        return out;
    }
}
