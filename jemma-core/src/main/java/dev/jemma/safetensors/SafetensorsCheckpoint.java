package dev.jemma.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The weights of a Hugging Face model folder: {@value #SINGLE}, or the shards named by
 * {@value #INDEX} ({@code {"metadata": {...}, "weight_map": {"tensor name": "shard file name"}}}). As in
 * transformers, a {@value #SINGLE} is preferred when both are present.
 *
 * <p>For a sharded folder, each distinct shard is opened (and validated) once, and the index and the shards
 * must agree: every shard name is a plain file name inside the folder (no separator, not {@code .} or
 * {@code ..}), every tensor the weight map names is in the shard it names, and every tensor of a shard is
 * in the weight map and in no other shard. Shard names are checked as names, not resolved through symbolic
 * links, so a Hugging Face cache snapshot (whose files link to blobs elsewhere) opens.
 *
 * <p>Errors are {@link SafetensorsFormatException}s naming the file (index or shard) and the tensor.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {

    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    /** Larger than any real index (hundreds of thousands of tensors take a few MB). */
    static final long MAX_INDEX_BYTES = 64L << 20;

    /** Where one tensor lives. */
    public record Entry(SafetensorsFile file, SafetensorsTensor tensor) {
        public Path path() {
            return file.path();
        }
    }

    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, Entry> byName;
    private final List<String> names;
    private final Map<String, String> indexMetadata;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsCheckpoint(Path source, List<SafetensorsFile> files, Map<String, Entry> byName,
                                  Map<String, String> indexMetadata) {
        this.source = source;
        this.files = Collections.unmodifiableList(files);
        this.byName = byName;
        this.names = List.copyOf(byName.keySet());
        this.indexMetadata = Collections.unmodifiableMap(indexMetadata);
    }

    /**
     * Opens the weights of {@code dir}: a folder with {@value #SINGLE} or {@value #INDEX}; a path to a
     * {@code .safetensors} file or to an index file also works.
     */
    public static SafetensorsCheckpoint open(Path dir) throws IOException {
        if (!Files.exists(dir)) throw new SafetensorsFormatException(dir, null, "not found");
        if (Files.isRegularFile(dir)) {
            return dir.getFileName().toString().endsWith(".index.json") ? openIndex(dir) : openSingle(dir);
        }
        if (!Files.isDirectory(dir)) throw new SafetensorsFormatException(dir, null, "is neither a folder nor a file");
        Path single = dir.resolve(SINGLE);
        if (Files.exists(single)) return openSingle(single);
        Path index = dir.resolve(INDEX);
        if (Files.exists(index)) return openIndex(index);
        throw new SafetensorsFormatException(dir, null, "no weights: the folder has neither " + SINGLE + " nor " + INDEX);
    }

    private static SafetensorsCheckpoint openSingle(Path file) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, Entry> m = new LinkedHashMap<>();
        for (SafetensorsTensor t : f.tensors()) m.put(t.name(), new Entry(f, t));
        return new SafetensorsCheckpoint(file, new ArrayList<>(List.of(f)), m, Map.of());
    }

    private static SafetensorsCheckpoint openIndex(Path index) throws IOException {
        Index idx = readIndex(index);
        Path dir = index.toAbsolutePath().getParent();
        // shard name -> path, sorted by name; a shard's first tensor in the weight map names it in errors
        TreeMap<String, Path> shards = new TreeMap<>();
        for (Map.Entry<String, String> e : idx.weightMap.entrySet()) {
            if (!shards.containsKey(e.getValue())) shards.put(e.getValue(), shardPath(index, dir, e.getValue(), e.getKey()));
        }
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, Entry> found = new HashMap<>();
            for (Map.Entry<String, Path> s : shards.entrySet()) {
                Path p = s.getValue();
                if (!Files.isRegularFile(p)) {
                    throw new SafetensorsFormatException(index, null, "shard \"" + s.getKey() + "\" "
                            + (Files.exists(p, LinkOption.NOFOLLOW_LINKS) ? "is not a regular file" : "is missing from " + dir));
                }
                SafetensorsFile f = SafetensorsFile.open(p);
                opened.add(f);
                for (SafetensorsTensor t : f.tensors()) {
                    Entry before = found.put(t.name(), new Entry(f, t));
                    if (before != null) {
                        throw new SafetensorsFormatException(p, t.name(), "is in two shards: "
                                + before.path().getFileName() + " and " + p.getFileName());
                    }
                    String owner = idx.weightMap.get(t.name());
                    if (owner == null) {
                        throw new SafetensorsFormatException(p, t.name(), "is in this shard but not in the weight_map of " + index);
                    }
                    if (!owner.equals(s.getKey())) {
                        throw new SafetensorsFormatException(p, t.name(), "is in this shard but " + index.getFileName()
                                + " puts it in \"" + SafetensorsFormatException.printable(owner) + "\"");
                    }
                }
            }
            Map<String, Entry> byName = new LinkedHashMap<>();
            for (SafetensorsFile f : opened) {
                for (SafetensorsTensor t : f.tensors()) byName.put(t.name(), found.get(t.name()));
            }
            for (Map.Entry<String, String> e : idx.weightMap.entrySet()) {
                if (!byName.containsKey(e.getKey())) {
                    throw new SafetensorsFormatException(index, e.getKey(), "the weight_map puts it in shard \""
                            + e.getValue() + "\", which has no such tensor");
                }
            }
            return new SafetensorsCheckpoint(index, opened, byName, idx.metadata);
        } catch (RuntimeException | IOException | Error e) {
            for (SafetensorsFile f : opened) f.close();
            throw e;
        }
    }

    /** A shard name from the index as a path in {@code dir}, if it is a plain file name there. */
    private static Path shardPath(Path index, Path dir, String name, String tensor) {
        String why = null;
        if (name.isEmpty()) why = "is empty";
        else if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) why = "has a path separator";
        else if (name.equals(".") || name.equals("..")) why = "is not a file name";
        else if (name.indexOf('\0') >= 0) why = "has a NUL character";
        Path p = null;
        if (why == null) {
            try {
                p = dir.resolve(name).normalize();
                if (Path.of(name).isAbsolute() || !dir.normalize().equals(p.getParent())) why = "leaves the folder";
            } catch (InvalidPathException e) {
                why = "is not a valid file name here";
            }
        }
        if (why != null) {
            throw new SafetensorsFormatException(index, tensor, "its shard name \"" + SafetensorsFormatException.printable(name)
                    + "\" " + why + ": shards must be plain file names inside " + dir);
        }
        return p;
    }

    private record Index(Map<String, String> weightMap, Map<String, String> metadata) {}

    private static Index readIndex(Path index) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_BYTES) {
            throw new SafetensorsFormatException(index, null, "is " + size + " bytes, above the limit of " + MAX_INDEX_BYTES);
        }
        try (InputStream in = Files.newInputStream(index);
             JsonParser p = JsonTokens.FACTORY.createParser(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                     .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)))) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) throw new SafetensorsFormatException(index, null, "is not a JSON object");
            Map<String, String> weightMap = null, metadata = Map.of();
            boolean seenMetadata = false;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken v = p.nextToken();
                if (key.equals("weight_map")) {
                    if (weightMap != null) throw new SafetensorsFormatException(index, null, "\"weight_map\" appears twice");
                    weightMap = stringMap(index, p, v, "weight_map", true);
                } else if (key.equals("metadata")) {
                    if (seenMetadata) throw new SafetensorsFormatException(index, null, "\"metadata\" appears twice");
                    seenMetadata = true;
                    metadata = v == JsonToken.VALUE_NULL ? Map.of() : stringMap(index, p, v, "metadata", false);
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) throw new SafetensorsFormatException(index, null, "JSON object is not closed");
            if ((t = p.nextToken()) != null) {
                throw new SafetensorsFormatException(index, null, "has " + JsonTokens.describe(t) + " after its JSON object");
            }
            if (weightMap == null) throw new SafetensorsFormatException(index, null, "has no \"weight_map\"");
            if (weightMap.isEmpty()) throw new SafetensorsFormatException(index, null, "no weights: the \"weight_map\" is empty");
            return new Index(weightMap, metadata);
        } catch (JacksonException e) {
            throw new SafetensorsFormatException(index, null, "is not valid JSON: " + JsonTokens.describe(e), e);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new SafetensorsFormatException(index, null, "is not valid UTF-8", e);
        }
    }

    /**
     * A JSON object as strings. In the weight map every value must be a string; in the metadata, scalars
     * are kept as their text and nested values are skipped.
     */
    private static Map<String, String> stringMap(Path index, JsonParser p, JsonToken t, String what, boolean strict)
            throws IOException {
        if (t != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(index, null, "\"" + what + "\" must be an object, found " + JsonTokens.describe(t));
        }
        Map<String, String> m = new LinkedHashMap<>();
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (m.containsKey(key)) {
                throw strict ? new SafetensorsFormatException(index, key, "appears twice in the \"" + what + "\"")
                        : new SafetensorsFormatException(index, null, "\"" + what + "\" has the key \""
                        + SafetensorsFormatException.printable(key) + "\" twice");
            }
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_STRING || (!strict && v != null && v.isScalarValue())) {
                m.put(key, p.getText());
            } else if (strict) {
                throw new SafetensorsFormatException(index, key, "its \"" + what + "\" value must be a shard file name (a string), found "
                        + JsonTokens.describe(v));
            } else {
                p.skipChildren();
            }
        }
        if (t != JsonToken.END_OBJECT) throw new SafetensorsFormatException(index, null, "\"" + what + "\" is not closed");
        return m;
    }

    /** The single file or the index this checkpoint was opened from. */
    public Path source() {
        return source;
    }

    /** The opened files: one, or the shards in name order. */
    public List<SafetensorsFile> files() {
        return files;
    }

    /** All tensor names: shard by shard in name order, each shard's in the order of their data. */
    public List<String> names() {
        return names;
    }

    /** Where the tensor is, or null if the checkpoint has no tensor of that name. */
    public Entry tensor(String name) {
        return byName.get(name);
    }

    /** The index's {@code "metadata"} (scalar values as text; empty for a single file). */
    public Map<String, String> indexMetadata() {
        return indexMetadata;
    }

    /** The tensor's bytes, valid until {@link #close()}. */
    public MemorySegment data(String name) {
        Entry e = require(name);
        return e.file().data(e.tensor());
    }

    /** The tensor's values as floats; see {@link SafetensorsFile#toFloats}. */
    public float[] toFloats(String name) {
        Entry e = require(name);
        return e.file().toFloats(e.tensor());
    }

    private Entry require(String name) {
        Entry e = byName.get(name);
        if (e == null) throw new SafetensorsFormatException(source, name, "no such tensor in the checkpoint");
        return e;
    }

    /** Closes every file. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (SafetensorsFile f : files) f.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsCheckpoint[" + source + ", " + files.size() + " files, " + names.size() + " tensors]";
    }
}
