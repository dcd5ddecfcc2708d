package dev.jemma.cli;

import dev.jemma.JemmaException;
import dev.jemma.generate.Speculation;
import dev.jemma.model.Gemma3Model;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** --draft-ngram, --draft-model, --draft-max, --draft-p-min: speculative decoding (docs/SPECULATIVE.md). */
public final class SpeculationOptions implements AutoCloseable {
    @Option(names = "--draft-ngram", arity = "0..1", fallbackValue = "" + Speculation.DEFAULT_NGRAM, paramLabel = "N",
            description = "draft by prompt lookup: the continuation of the last N tokens' most recent earlier match "
                    + "(N down to 1; default N when given without a value: ${FALLBACK-VALUE})")
    Integer ngram;
    @Option(names = "--draft-model", paramLabel = "FILE", description = "draft with this smaller Gemma 3 of the same vocabulary (e.g. the 270M for the 1B)")
    Path draftModel;
    @Option(names = "--draft-max", paramLabel = "N", description = "most tokens drafted per pass (default: ${DEFAULT-VALUE})")
    int draftMax = Speculation.DEFAULT_DRAFT_MAX;
    @Option(names = "--draft-p-min", paramLabel = "P", description = "a draft model proposes tokens while their probability is at least P (default: ${DEFAULT-VALUE})")
    float minProbability = Speculation.DEFAULT_MIN_PROBABILITY;

    private Gemma3Model loaded;

    public boolean enabled() {
        return (ngram != null && ngram > 0) || draftModel != null;
    }

    /** What can be checked before the model loads. */
    public void checkFlags() {
        if (ngram != null && ngram < 0) throw new JemmaException("--draft-ngram must be ≥ 1, got " + ngram);
        if (draftMax < 1 || draftMax > 64) throw new JemmaException("--draft-max must be 1..64, got " + draftMax);
        if (!(minProbability >= 0 && minProbability <= 1)) throw new JemmaException("--draft-p-min must be 0..1, got " + minProbability);
        if (draftModel != null) InputFiles.existing("--draft-model", draftModel);
    }

    /** The speculation for {@code target} (loading the draft model), or null when no drafting was asked for. */
    public Speculation open(Gemma3Model target, int threads) throws IOException {
        if (!enabled()) return null;
        if (draftModel != null && loaded == null) {
            loaded = Gemma3Model.load(draftModel, threads, c -> { }, target.kernels()); // drafts on the target's kernels
            Log.info("draft model " + draftModel.getFileName() + ": " + loaded.config.layers() + " layers, hidden " + loaded.config.hidden());
        }
        try {
            Speculation s = new Speculation(ngram == null ? 0 : ngram, loaded, draftMax, minProbability);
            s.check(target); // the vocabularies must agree: fail now, not mid-answer
            return s;
        } catch (IllegalArgumentException e) {
            throw new JemmaException(e.getMessage());
        }
    }

    /** The flags on a library builder (the server's engine). */
    public void applyTo(dev.jemma.Jemma.Builder b) {
        if (ngram != null) b.draftNgram(ngram);
        if (draftModel != null) b.draftModel(draftModel);
        b.draftMax(draftMax).draftMinProbability(minProbability);
    }

    @Override
    public void close() {
        if (loaded != null) loaded.close();
        loaded = null;
    }
}
