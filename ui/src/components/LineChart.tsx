import { useEffect, useRef, useState } from 'react';
import type { ChartSeries, MountedChart } from './chart.js';

/**
 * A line chart that fills its container's width. `summary` is what a screen reader hears in
 * place of the picture (the canvas itself says nothing).
 */
export function LineChart({
  title,
  summary,
  x,
  series,
  yFormat,
  yMax,
  height = 180,
}: {
  title: string;
  summary: string;
  x: number[];
  series: ChartSeries[];
  yFormat(value: number): string;
  yMax?: number;
  height?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  const data = JSON.stringify([x, series]);
  const format = useRef(yFormat);
  format.current = yFormat;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `data` stands for x and series
  useEffect(() => {
    let chart: MountedChart | null = null;
    let observer: ResizeObserver | null = null;
    let cancelled = false;
    import('./chart.js')
      .then(({ mountChart }) => {
        const element = host.current;
        if (cancelled || !element) return;
        chart = mountChart(element, {
          x,
          series,
          width: Math.max(200, element.clientWidth),
          height,
          yFormat: (v) => format.current(v),
          yMax,
        });
        observer = new ResizeObserver(() => chart?.resize(Math.max(200, element.clientWidth)));
        observer.observe(element);
      })
      .catch(() => setFailed(true));
    return () => {
      cancelled = true;
      observer?.disconnect();
      chart?.destroy();
    };
  }, [data, height, yMax]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}: ${summary}`} className="chart-host" />
      {failed ? <p className="muted">The chart could not be drawn. {summary}</p> : null}
    </figure>
  );
}
