package dev.jemma.server.api;

import dev.jemma.server.http.ApiException;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jemma.generate.ConstraintException;
import dev.jemma.constrain.ConstraintLimits;
import dev.jemma.constrain.Grammar;
import dev.jemma.constrain.JsonGrammar;
import dev.jemma.constrain.JsonSchemaCompiler;
import dev.jemma.constrain.SchemaException;

import java.util.Set;

/**
 * OpenAI's {@code response_format} (and Ollama's {@code format}) to a grammar: text (none), json_object (any
 * object), json_schema (compiled; a keyword outside the supported subset is a 400 naming it by JSON Pointer,
 * never a silently unconstrained answer).
 */
final class ResponseFormat {
    private ResponseFormat() {}

    /** The grammar for response_format, or null for text. */
    static Grammar openAi(Params p) {
        Params f = p.sub("response_format");
        if (f == null) return null;
        String type = f.string("type", null);
        if (type == null) throw ApiException.invalid("response_format.type", "'response_format.type' is required (text, json_object or json_schema)");
        return switch (type) {
            case "text" -> {
                f.allowOnly(Set.of("type"), Set.of());
                yield null;
            }
            case "json_object" -> {
                f.allowOnly(Set.of("type"), Set.of());
                yield JsonGrammar.object();
            }
            case "json_schema" -> {
                f.allowOnly(Set.of("type", "json_schema"), Set.of());
                Params js = f.sub("json_schema");
                if (js == null) throw ApiException.invalid("response_format.json_schema", "'response_format.json_schema' is required for type json_schema");
                js.allowOnly(Set.of("name", "description", "schema", "strict"), Set.of());
                js.string("name", null);
                js.string("description", null);
                js.bool("strict", false);
                JsonNode schema = js.get("schema");
                if (schema == null) throw ApiException.invalid("response_format.json_schema.schema", "'response_format.json_schema.schema' is required");
                yield compile(schema, "response_format.json_schema.schema");
            }
            default -> throw ApiException.invalid("response_format.type", "'response_format.type' must be text, json_object or json_schema, got '" + type + "'");
        };
    }

    /** Ollama's format: "json" or a JSON Schema object; null when absent or "". */
    static Grammar ollama(JsonNode format) {
        if (format == null || format.isNull() || (format.isTextual() && format.asText().isEmpty())) return null;
        if (format.isTextual() && format.asText().equals("json")) return JsonGrammar.object();
        if (format.isObject()) return compile(format, "format");
        throw ApiException.invalid("format", "'format' must be \"json\" or a JSON Schema object");
    }

    static Grammar compile(JsonNode schema, String param) {
        if (!schema.isObject() && !schema.isBoolean()) throw ApiException.invalid(param, "'" + param + "' must be a JSON Schema object");
        try {
            return JsonSchemaCompiler.compile(schema, ConstraintLimits.DEFAULT);
        } catch (SchemaException e) {
            throw ApiException.invalid(param, "'" + param + "': " + e.getMessage())
                    .with("pointer", e.pointer());
        } catch (ConstraintException e) {
            throw ApiException.invalid(param, "'" + param + "': " + e.getMessage());
        }
    }
}
