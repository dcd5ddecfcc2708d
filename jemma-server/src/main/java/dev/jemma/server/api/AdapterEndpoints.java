package dev.jemma.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jemma.adapter.AdapterFormatException;
import dev.jemma.adapter.AdapterRegistry;
import dev.jemma.adapter.AdapterRegistryException;
import dev.jemma.gguf.ModelFormatException;
import dev.jemma.server.ServerConfig;
import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.ApiException;
import dev.jemma.server.http.Json;
import dev.jemma.server.http.RequestBody;
import dev.jemma.server.http.ResponseWriter;
import dev.jemma.server.http.Router;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The adapters of the served base, at run time. llama-server's {@code GET/POST /lora-adapters} (ids, paths and
 * global scales; the global set applies to requests for the base), and Jemma's {@code /v1/adapters}: list, load a
 * file from the allowed directory ({@code POST}, {@code {"name", "path", "scale"}}), unload ({@code DELETE
 * /v1/adapters/NAME}, refused while requests use it). Loaded adapters are model ids of their own at once.
 */
final class AdapterEndpoints {
    private final Serving serving;
    private final ServerConfig config;
    private final ResponseWriter out;
    private final RequestBody bodies;

    AdapterEndpoints(Serving serving, ServerConfig config, ResponseWriter out, RequestBody bodies) {
        this.serving = serving;
        this.config = config;
        this.out = out;
        this.bodies = bodies;
    }

    void register(Router r) {
        r.add("GET", "/lora-adapters", (ex, id) -> out.json(ex, 200, llamaList(registry())));
        r.add("POST", "/lora-adapters", (ex, id) -> {
            JsonNode body = bodies.json(ex);
            var scales = LoraList.parse(body, "body");
            AdapterErrors.call(() -> {
                registry().setGlobalScales(scales);
                return null;
            });
            ObjectNode o = Json.object();
            o.put("success", true);
            out.json(ex, 200, o);
        });
        r.add("GET", "/v1/adapters", (ex, id) -> out.json(ex, 200, list(registry())));
        r.add("POST", "/v1/adapters", (ex, id) -> {
            ObjectNode body = bodies.object(ex);
            out.json(ex, 201, describe(load(body)));
        });
        r.addPrefix("DELETE", "/v1/adapters/", (ex, name) -> {
            AdapterErrors.call(() -> {
                registry().unload(name);
                return null;
            });
            ObjectNode o = Json.object();
            o.put("id", name);
            o.put("object", "adapter");
            o.put("deleted", true);
            out.json(ex, 200, o);
        });
    }

    private AdapterRegistry registry() {
        Engine e = serving.engine();
        if (e == null) throw ApiException.overloaded("Loading model", 5);
        return e.models().registry();
    }

    private AdapterRegistry.Info load(ObjectNode body) {
        Params p = Params.of(body);
        p.allowOnly(Set.of("name", "path", "scale"), Set.of());
        String name = p.string("name", null);
        String path = p.string("path", null);
        if (name == null) throw ApiException.invalid("name", "'name' is required: the model id the adapter is served as");
        if (path == null || path.isEmpty()) throw ApiException.invalid("path", "'path' is required: an adapter GGUF in the server's adapter directory");
        float scale = (float) p.number("scale", 1, -1e6, 1e6);
        Engine engine = serving.engine();
        if (engine == null) throw ApiException.overloaded("Loading model", 5);
        if (engine.models().find(name) != null) {
            throw new ApiException(409, "invalid_request_error", "name", "adapter_exists", "the model id '" + name + "' is already served");
        }
        Path file = allowed(path);
        try {
            return AdapterErrors.call(() -> {
                try {
                    return engine.models().registry().load(name, file, scale, 0f);
                } catch (IOException e) {
                    throw new AdapterFormatException("cannot read adapter " + path + ": " + e.getMessage());
                }
            });
        } catch (ModelFormatException e) { // a file that is not a GGUF at all
            throw new ApiException(400, "invalid_request_error", "path", "invalid_adapter", e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("scale", e.getMessage());
        }
    }

    /** The file, which must be a regular file inside the adapter directory once every link is resolved (else 403). */
    private Path allowed(String path) {
        Path dir = config.adapterDir();
        if (dir == null) {
            throw new ApiException(403, "permission_error", "path", "adapter_loading_disabled",
                    "this server does not load adapters at run time; its operator can allow a directory for them");
        }
        Path file;
        try {
            Path root = dir.toRealPath();
            Path p = Path.of(path);
            Path candidate = (p.isAbsolute() ? p : root.resolve(p)).normalize();
            if (!candidate.startsWith(root)) throw outside(path);
            if (!Files.exists(candidate)) {
                throw new ApiException(404, "not_found_error", "path", "adapter_file_not_found", "no adapter file '" + path + "' in the adapter directory");
            }
            file = candidate.toRealPath();
            if (!file.startsWith(root)) throw outside(path);
        } catch (InvalidPathException e) {
            throw ApiException.invalid("path", "'path' is not a valid path: " + e.getReason());
        } catch (IOException e) {
            throw new ApiException(404, "not_found_error", "path", "adapter_file_not_found", "cannot open '" + path + "': " + e.getMessage());
        }
        if (!Files.isRegularFile(file)) throw ApiException.invalid("path", "'" + path + "' is not a regular file");
        return file;
    }

    private static ApiException outside(String path) {
        return new ApiException(403, "permission_error", "path", "path_not_allowed",
                "'" + path + "' is outside the server's adapter directory");
    }

    /** llama-server's shape: [{"id", "path", "scale"}], scale being the global one. */
    private static ArrayNode llamaList(AdapterRegistry r) {
        ArrayNode a = Json.OUT.createArrayNode();
        for (AdapterRegistry.Info i : r.list()) {
            ObjectNode o = a.addObject();
            o.put("id", i.id());
            o.put("path", i.path() == null ? "" : i.path().toString());
            o.put("scale", i.globalScale());
        }
        return a;
    }

    private static ObjectNode list(AdapterRegistry r) {
        ObjectNode o = Json.object();
        o.put("object", "list");
        ArrayNode data = o.putArray("data");
        for (AdapterRegistry.Info i : r.list()) data.add(describe(i));
        o.put("bytes", r.bytes());
        o.put("max_bytes", r.maxBytes());
        return o;
    }

    private static ObjectNode describe(AdapterRegistry.Info i) {
        ObjectNode o = Json.object();
        o.put("id", i.name());
        o.put("object", "adapter");
        o.put("adapter_id", i.id());
        o.put("path", i.path() == null ? "" : i.path().getFileName().toString());
        o.put("scale", i.scale());
        o.put("global_scale", i.globalScale());
        o.put("rank", i.rank());
        o.put("bytes", i.bytes());
        o.put("in_use", i.inUse());
        return o;
    }
}
