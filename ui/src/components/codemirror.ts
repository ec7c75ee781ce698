/**
 * The JSON editor's CodeMirror 6 setup, loaded on demand (a separate chunk) so that pages
 * without an editor do not download it. Tab is left to move focus, as keyboard users expect;
 * syntax errors are marked inline by lang-json's linter.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { bracketMatching, defaultHighlightStyle, foldGutter, syntaxHighlighting } from '@codemirror/language';
import { linter, lintGutter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';

export interface MountedEditor {
  setValue(text: string): void;
  destroy(): void;
}

/** Mounts an editor in `parent`, calling `onChange` with the full text after every edit. */
export function mountJsonEditor(
  parent: HTMLElement,
  options: { value: string; onChange(text: string): void; label: string; describedBy?: string; id?: string },
): MountedEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.value,
      extensions: [
        lineNumbers(),
        foldGutter(),
        history(),
        bracketMatching(),
        highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        json(),
        linter(jsonParseLinter(), { delay: 200 }),
        lintGutter(),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({
          'aria-label': options.label,
          ...(options.describedBy ? { 'aria-describedby': options.describedBy } : {}),
          ...(options.id ? { id: options.id } : {}),
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    setValue(text) {
      if (text === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    destroy: () => view.destroy(),
  };
}
