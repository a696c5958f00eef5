// The script editor: CodeMirror 6 with JavaScript highlighting, completion
// from the runtime's declarations and a highlighted error line. Loaded on
// demand so that the first load of the studio stays small.
import { EditorView, basicSetup } from "codemirror";
import { javascript, javascriptLanguage } from "@codemirror/lang-javascript";
import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet } from "@codemirror/view";
import { membersAt, type Declarations } from "./dts";

const setErrorLine = StateEffect.define<number | null>();
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = tr.docChanged ? Decoration.none : deco; // an edit clears the old error
    for (const e of tr.effects) {
      if (!e.is(setErrorLine)) continue;
      if (e.value === null || e.value < 1 || e.value > tr.state.doc.lines) deco = Decoration.none;
      else deco = Decoration.set([Decoration.line({ class: "cm-errline" }).range(tr.state.doc.line(e.value).from)]);
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function completer(decls: Declarations) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const chain = ctx.matchBefore(/[\w$]+(?:\.[\w$]*)*/);
    if (!chain) return ctx.explicit ? { from: ctx.pos, options: globals(decls) } : null;
    const parts = chain.text.split(".");
    if (parts.length === 1) {
      if (chain.text.length < 1 && !ctx.explicit) return null;
      return { from: chain.from, options: globals(decls), validFor: /^[\w$]*$/ };
    }
    const members = membersAt(decls, parts.slice(0, -1));
    if (!members) return null;
    const word = parts[parts.length - 1];
    return {
      from: chain.to - word.length,
      options: members.map((m) => ({ label: m.name, type: m.kind === "method" ? "method" : "property", detail: m.detail, info: m.doc || undefined })),
      validFor: /^[\w$]*$/,
    };
  };
}

function globals(d: Declarations) {
  return [
    { label: "ctx", type: "variable", detail: "crm.Context" },
    ...d.functions.map((f) => ({ label: f.name, type: "function", detail: f.detail, apply: `function ${f.name}(ctx) {\n  \n}` })),
  ];
}

export interface ScriptEditor {
  text(): string;
  setError(line: number | null): void;
  destroy(): void;
}

export function mountEditor(parent: HTMLElement, doc: string, decls: Declarations, onChange: (s: string) => void): ScriptEditor {
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      basicSetup,
      javascript(),
      javascriptLanguage.data.of({ autocomplete: completer(decls) }),
      autocompletion({ activateOnTyping: true }),
      errorLine,
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChange(u.state.doc.toString());
      }),
      EditorView.contentAttributes.of({ "aria-label": "Script source" }),
    ],
  });
  return {
    text: () => view.state.doc.toString(),
    setError: (line) => {
      view.dispatch({ effects: setErrorLine.of(line) });
      if (line && line <= view.state.doc.lines) view.dispatch({ effects: EditorView.scrollIntoView(view.state.doc.line(line).from, { y: "center" }) });
    },
    destroy: () => view.destroy(),
  };
}
