package dev.jemma.server.api;

import dev.jemma.server.engine.Engine;
import dev.jemma.server.http.ApiException;

import dev.jemma.generate.ChatFormatException;
import dev.jemma.generate.ChatMessage;
import dev.jemma.constrain.ConstraintLimits;
import dev.jemma.constrain.Grammar;
import dev.jemma.tools.ToolCalling;
import dev.jemma.tools.ToolChoice;
import dev.jemma.tools.ToolDefinition;
import dev.jemma.tools.ToolException;

import dev.jemma.model.ImageRuns;
import dev.jemma.vision.ImageInputException;
import dev.jemma.vision.VisionEngine;

import java.util.List;

/**
 * A conversation rendered for the model: prompt ids from the Gemma chat template (message text always as
 * plain text, so typed control tokens stay text), plus the grammar that constrains the answer, either the
 * response format or the tool-call envelope.
 *
 * @param tools the tool calling in effect, or null when the answer is plain (no tools, or tool_choice none)
 */
record ChatPrompt(int[] ids, Grammar grammar, ToolCalling tools, ImageRuns images) {

    static ChatPrompt build(Engine engine, List<ToolCalling.Message> messages, List<ToolDefinition> toolList,
                            ToolChoice choice, Grammar format, boolean parallelCalls) {
        return build(engine, messages, toolList, choice, format, parallelCalls, List.of());
    }

    /** As above, with the images whose places the messages hold (in order). */
    static ChatPrompt build(Engine engine, List<ToolCalling.Message> messages, List<ToolDefinition> toolList,
                            ToolChoice choice, Grammar format, boolean parallelCalls, List<byte[]> images) {
        boolean useTools = !toolList.isEmpty() && choice.mode() != ToolChoice.Mode.NONE;
        if (useTools && format != null) {
            throw ApiException.invalid("response_format", "a response format cannot be combined with tools (the tool-call envelope is itself constrained)");
        }
        try {
            ToolCalling tc = ToolCalling.of(toolList, useTools ? choice : ToolChoice.NONE, ConstraintLimits.DEFAULT, parallelCalls);
            List<ChatMessage> chat = tc.render(messages);
            if (!images.isEmpty()) {
                VisionEngine.Prepared p = engine.vision().conversation(engine.chatTemplate(), chat, images, false);
                return new ChatPrompt(p.ids(), useTools ? tc.grammar() : format, useTools ? tc : null, p.runs());
            }
            int[] ids = engine.chatTemplate().render(chat, true).toArray();
            return new ChatPrompt(ids, useTools ? tc.grammar() : format, useTools ? tc : null, ImageRuns.NONE);
        } catch (ImageInputException e) {
            throw ApiException.invalid("messages", "image: " + e.getMessage());
        } catch (ToolException e) {
            throw ApiException.invalid(pointerToParam(e.pointer()), e.getMessage());
        } catch (ChatFormatException e) {
            throw ApiException.invalid("messages", "the conversation cannot be rendered with Gemma's chat template: " + e.getMessage());
        }
    }

    /** "/tools/3/function/name" → "tools[3].function.name". */
    static String pointerToParam(String pointer) {
        if (pointer == null || pointer.isEmpty()) return null;
        StringBuilder sb = new StringBuilder();
        for (String part : pointer.substring(1).split("/")) {
            if (!part.isEmpty() && part.chars().allMatch(Character::isDigit)) sb.append('[').append(part).append(']');
            else sb.append(sb.isEmpty() ? "" : ".").append(part);
        }
        return sb.toString();
    }
}
