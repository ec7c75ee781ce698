/** Form pickers that several panels share: a "since" window and an event type from the catalog. */
import { useCatalog } from '../hooks/useCatalog.js';
import { RECOVER_PRESET_LABELS, RECOVER_PRESETS, type RecoverPreset } from '../lib/recover.js';
import { Field } from './ui.js';

/** A preset window ("the last 24 hours"…) and, for "a time I choose", a local date and time. */
export function SinceFields({
  label,
  customLabel,
  preset,
  custom,
  error,
  onPreset,
  onCustom,
}: {
  label: string;
  customLabel: string;
  preset: RecoverPreset;
  custom: string;
  error?: string | null;
  onPreset(next: RecoverPreset): void;
  onCustom(next: string): void;
}) {
  return (
    <>
      <Field label={label} error={error}>
        {(props) => (
          <select {...props} value={preset} onChange={(e) => onPreset(e.target.value as RecoverPreset)}>
            {RECOVER_PRESETS.map((p) => (
              <option key={p} value={p}>
                {RECOVER_PRESET_LABELS[p]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {preset === 'custom' ? (
        <Field label={customLabel}>
          {(props) => (
            <input
              {...props}
              type="datetime-local"
              value={custom}
              onChange={(e) => onCustom(e.target.value)}
            />
          )}
        </Field>
      ) : null}
    </>
  );
}

/** One event type of the catalog, or any ('' ). */
export function EventTypeSelect({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange(next: string): void;
}) {
  const catalog = useCatalog(false);
  return (
    <Field label={label}>
      {(props) => (
        <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Any event type</option>
          {catalog.data?.eventTypes.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
