/** Small building blocks every page uses: badges, notes, fields, times, copy buttons. */
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import type { ApiError } from '../api/errors.js';
import { absoluteTime, relativeTime } from '../lib/format.js';

export type Tone = 'good' | 'warn' | 'bad' | 'muted' | 'info';

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** An API error in plain words, announced to screen readers where it appears. */
export function ErrorNote({ error, children }: { error?: ApiError | null; children?: ReactNode }) {
  if (!error && !children) return null;
  return (
    <p className="note note-error" role="alert">
      {children ?? error?.message}
    </p>
  );
}

export function Note({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'warn' | 'good' }) {
  return (
    <p className={`note note-${tone}`} role="status">
      {children}
    </p>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** A time shown relative ("3 min ago") with the exact time on hover and for assistive tech. */
export function Time({ iso }: { iso: string | null | undefined }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}

/** The page's title, focused when the page opens so keyboard and screen-reader users land on it. */
export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <header className="page-header">
      <div>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {subtitle ? <p className="subtitle">{subtitle}</p> : null}
      </div>
      {actions ? <div className="actions">{actions}</div> : null}
    </header>
  );
}

/** A labelled form control with its hint and error wired up for screen readers. */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string | null;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Copies text to the clipboard and says so; falls back to selecting it where the API is missing. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <button type="button" className="button button-small" onClick={copy}>
      <span aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy blocked: select the text' : label}
      </span>
    </button>
  );
}

/**
 * Preformatted text (a payload, a response body, a snippet) that scrolls instead of overflowing,
 * named for assistive tech by a hidden caption. Browsers make a scrolling box keyboard-focusable.
 */
export function CodeBlock({ text, label }: { text: string; label: string }) {
  return (
    <figure className="code-block">
      <figcaption className="visually-hidden">{label}</figcaption>
      <pre className="code">
        <code>{text}</code>
      </pre>
    </figure>
  );
}

/** A key–value table (headers, metadata). */
export function KeyValues({ entries, empty }: { entries: Array<[string, string]>; empty: string }) {
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <dl className="kv">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
