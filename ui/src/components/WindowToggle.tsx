/** "Last hour | Last day": the time window of a chart, as a pair of radio buttons. */
export type ChartWindow = 'hour' | 'day';

export function WindowToggle({
  value,
  onChange,
  name,
}: {
  value: ChartWindow;
  onChange(next: ChartWindow): void;
  /** The radio group's name, unique on the page. */
  name: string;
}) {
  return (
    <fieldset className="segmented">
      <legend className="visually-hidden">Time window</legend>
      {(['hour', 'day'] as const).map((w) => (
        <label key={w} className={value === w ? 'active' : undefined}>
          <input type="radio" name={name} value={w} checked={value === w} onChange={() => onChange(w)} />
          Last {w}
        </label>
      ))}
    </fieldset>
  );
}
