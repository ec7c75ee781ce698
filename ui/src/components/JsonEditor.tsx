import { useEffect, useRef, useState } from 'react';
import type { MountedEditor } from './codemirror.js';

/**
 * An editable JSON document. Shows a plain textarea at once and upgrades it to CodeMirror when
 * that chunk has loaded (or stays a textarea if it cannot load), so the field is usable either way.
 * `resetKey` changing replaces the text (a new example); ordinary typing never does.
 */
export function JsonEditor({
  id,
  value,
  resetKey,
  onChange,
  label,
  describedBy,
}: {
  id: string;
  value: string;
  resetKey: string;
  onChange(text: string): void;
  label: string;
  describedBy?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<MountedEditor | null>(null);
  const [enhanced, setEnhanced] = useState(false);
  const latest = useRef({ value, onChange });
  latest.current = { value, onChange };

  useEffect(() => {
    let cancelled = false;
    import('./codemirror.js')
      .then(({ mountJsonEditor }) => {
        if (cancelled || !host.current) return;
        editor.current = mountJsonEditor(host.current, {
          value: latest.current.value,
          onChange: (text) => latest.current.onChange(text),
          label,
          describedBy,
          id,
        });
        setEnhanced(true);
      })
      .catch(() => {
        /* keep the textarea */
      });
    return () => {
      cancelled = true;
      editor.current?.destroy();
      editor.current = null;
    };
  }, [label, describedBy, id]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new example replaces the text
  useEffect(() => {
    editor.current?.setValue(latest.current.value);
  }, [resetKey]);

  return (
    <div className="json-editor">
      <div ref={host} className="json-editor-host" hidden={!enhanced} />
      {enhanced ? null : (
        <textarea
          id={id}
          className="json-textarea"
          value={value}
          spellCheck={false}
          aria-label={label}
          aria-describedby={describedBy}
          rows={14}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </div>
  );
}
