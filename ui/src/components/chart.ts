/**
 * The overview's line charts, drawn with uPlot (about 50 KB, canvas, fast on long series) and
 * loaded on demand as a separate chunk.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
}

export interface MountedChart {
  resize(width: number): void;
  destroy(): void;
}

/** Draws `series` over `x` (unix seconds) in `parent`. */
export function mountChart(
  parent: HTMLElement,
  options: {
    x: number[];
    series: ChartSeries[];
    width: number;
    height: number;
    yFormat(value: number): string;
    yMax?: number;
  },
): MountedChart {
  const plot = new uPlot(
    {
      width: options.width,
      height: options.height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        y:
          options.yMax !== undefined
            ? { range: [0, options.yMax] }
            : { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => options.yFormat(t)), size: 56 }],
      series: [
        {},
        ...options.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          fill: `${s.color}22`,
          spanGaps: false,
          // Sparse traffic leaves single points between gaps: draw them so they show.
          points: { show: true, size: 4 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : options.yFormat(v)),
        })),
      ],
    },
    [options.x, ...options.series.map((s) => s.values)] as uPlot.AlignedData,
    parent,
  );
  return {
    resize: (width) => plot.setSize({ width, height: options.height }),
    destroy: () => plot.destroy(),
  };
}
