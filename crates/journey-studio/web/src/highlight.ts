// Colours for the code pane: comments, strings, `@` personalisation and the words that
// shape a journey. Only colouring, token by token; what the code means is the server's.

import { HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";

const KEYWORDS = new Set(["card", "stack", "do", "end", "when", "then", "and", "or", "not", "true", "false", "nil"]);

interface State {
  /** Inside a `"""` string that spans lines. */
  block: boolean;
}

const journeyLanguage = StreamLanguage.define<State>({
  startState: () => ({ block: false }),
  token(stream, state) {
    if (state.block) {
      if (stream.skipTo('"""')) {
        stream.pos += 3;
        state.block = false;
      } else stream.skipToEnd();
      return "string";
    }
    if (stream.eatSpace()) return null;
    if (stream.match("#")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.match('"""')) {
      state.block = true;
      return "string";
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/^@[\w.]+/)) return "variableName.special";
    if (stream.match(/^\d+(?:\.\d+)?[smhdw]?\b/)) return "number";
    if (stream.match(/^[A-Za-z_]\w*/)) {
      const word = stream.current();
      if (KEYWORDS.has(word)) return "keyword";
      if (stream.peek() === "(") return "variableName.function";
      if (stream.peek() === ":") return "propertyName";
      return /^[A-Z]/.test(word) ? "typeName" : "variableName";
    }
    stream.next();
    return null;
  },
});

const style = HighlightStyle.define([
  { tag: tags.comment, color: "#7a8691", fontStyle: "italic" },
  { tag: tags.string, color: "#0b6e4f" },
  { tag: tags.special(tags.variableName), color: "#8e24aa" },
  { tag: tags.keyword, color: "#1d4ed8", fontWeight: "600" },
  { tag: tags.number, color: "#b45309" },
  { tag: tags.function(tags.variableName), color: "#334155", fontWeight: "600" },
  { tag: tags.propertyName, color: "#475569" },
  { tag: tags.typeName, color: "#9a3412" },
]);

export const journeyHighlighting = [journeyLanguage, syntaxHighlighting(style)];
