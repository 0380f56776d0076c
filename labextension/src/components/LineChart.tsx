/**
 * A small SVG line chart: one or more series over steps, with axes, a
 * legend and a hover read-out. Colours come from JupyterLab's theme
 * variables so it reads on light and dark themes.
 */
import * as React from 'react';

import { formatValue } from './format';

export interface IChartSeries {
  label: string;
  x: number[];
  y: number[];
}

/** Categorical colours from the theme (see also `.jp-mlops-series-N`). */
export const SERIES_COLOURS = [
  'var(--jp-brand-color1)',
  'var(--jp-warn-color1)',
  'var(--jp-success-color1)',
  'var(--jp-error-color1)',
  'var(--jp-accent-color1)',
  'var(--jp-brand-color3)',
  'var(--jp-warn-color3)',
  'var(--jp-success-color3)'
];

export function seriesColour(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length];
}

interface IExtent {
  min: number;
  max: number;
}

function extentOf(values: number[]): IExtent {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) {
      min = value;
    }
    if (value > max) {
      max = value;
    }
  }
  if (!isFinite(min)) {
    return { min: 0, max: 1 };
  }
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.05;
    return { min: min - pad, max: max + pad };
  }
  return { min, max };
}

/**
 * About `count` round tick values covering the extent.
 */
export function niceTicks(extent: IExtent, count = 4): number[] {
  const span = extent.max - extent.min;
  const raw = span / count;
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  const step =
    [1, 2, 2.5, 5, 10].map(f => f * magnitude).find(s => span / s <= count) ??
    10 * magnitude;
  const ticks: number[] = [];
  for (
    let tick = Math.ceil(extent.min / step) * step;
    tick <= extent.max + step * 1e-9;
    tick += step
  ) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

const MARGIN = { top: 8, right: 10, bottom: 20, left: 44 };

/**
 * Path data for one series: a polyline, or a single dot-sized segment.
 */
function pathOf(
  series: IChartSeries,
  sx: (x: number) => number,
  sy: (y: number) => number
): string {
  const parts: string[] = [];
  for (let i = 0; i < series.x.length; i++) {
    parts.push(
      `${i === 0 ? 'M' : 'L'}${sx(series.x[i]).toFixed(1)},${sy(series.y[i]).toFixed(1)}`
    );
  }
  if (series.x.length === 1) {
    parts.push(`h0.1`);
  }
  return parts.join('');
}

/** Index of the point of `xs` (sorted) closest to `x`. */
function closestIndex(xs: number[], x: number): number {
  let low = 0;
  let high = xs.length - 1;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (xs[mid] < x) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return Math.abs(xs[low] - x) <= Math.abs(xs[high] - x) ? low : high;
}

export function LineChart(props: {
  title: string;
  series: IChartSeries[];
  width?: number;
  height?: number;
}): JSX.Element {
  const { title, series } = props;
  const width = props.width ?? 320;
  const height = props.height ?? 150;
  const [hoverX, setHoverX] = React.useState<number | null>(null);
  const plotted = series.filter(s => s.x.length > 0);
  const xExtent = extentOf(([] as number[]).concat(...plotted.map(s => s.x)));
  const yExtent = extentOf(([] as number[]).concat(...plotted.map(s => s.y)));
  const innerW = width - MARGIN.left - MARGIN.right;
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) =>
    MARGIN.left + ((x - xExtent.min) / (xExtent.max - xExtent.min)) * innerW;
  const sy = (y: number) =>
    MARGIN.top + (1 - (y - yExtent.min) / (yExtent.max - yExtent.min)) * innerH;

  const onMove = (event: React.MouseEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * width;
    const x =
      xExtent.min + ((px - MARGIN.left) / innerW) * (xExtent.max - xExtent.min);
    setHoverX(Math.min(Math.max(x, xExtent.min), xExtent.max));
  };

  const readout =
    hoverX === null
      ? []
      : plotted.map((s, i) => {
          const index = closestIndex(s.x, hoverX);
          return {
            label: s.label,
            colour: seriesColour(i),
            x: s.x[index],
            y: s.y[index]
          };
        });

  return (
    <figure className="jp-mlops-Chart" data-metric={title}>
      <figcaption className="jp-mlops-Chart-title">{title}</figcaption>
      {plotted.length === 0 ? (
        <div className="jp-mlops-Chart-empty">no finite points</div>
      ) : (
        <svg
          viewBox={`0 0 ${width} ${height}`}
          width="100%"
          role="img"
          aria-label={`${title} by step`}
          onMouseMove={onMove}
          onMouseLeave={() => setHoverX(null)}
        >
          {niceTicks(yExtent).map(tick => (
            <g key={`y${tick}`} className="jp-mlops-Chart-grid">
              <line
                x1={MARGIN.left}
                x2={width - MARGIN.right}
                y1={sy(tick)}
                y2={sy(tick)}
              />
              <text
                x={MARGIN.left - 4}
                y={sy(tick)}
                dy="0.32em"
                textAnchor="end"
              >
                {formatValue(tick)}
              </text>
            </g>
          ))}
          {niceTicks(xExtent, 5).map(tick => (
            <text
              key={`x${tick}`}
              className="jp-mlops-Chart-xtick"
              x={sx(tick)}
              y={height - 4}
              textAnchor="middle"
            >
              {formatValue(tick)}
            </text>
          ))}
          {plotted.map((s, i) => (
            <path
              key={s.label}
              className="jp-mlops-Chart-line"
              d={pathOf(s, sx, sy)}
              stroke={seriesColour(i)}
            >
              <title>{s.label}</title>
            </path>
          ))}
          {hoverX !== null && (
            <line
              className="jp-mlops-Chart-cursor"
              x1={sx(hoverX)}
              x2={sx(hoverX)}
              y1={MARGIN.top}
              y2={height - MARGIN.bottom}
            />
          )}
          {readout.map(point => (
            <circle
              key={point.label}
              cx={sx(point.x)}
              cy={sy(point.y)}
              r={3}
              fill={point.colour}
            />
          ))}
        </svg>
      )}
      {(plotted.length > 1 || readout.length > 0) && (
        <ul className="jp-mlops-Chart-legend">
          {plotted.map((s, i) => {
            const point = readout[i];
            return (
              <li key={s.label}>
                <span
                  className="jp-mlops-Chart-swatch"
                  style={{ background: seriesColour(i) }}
                />
                {s.label}
                {point && (
                  <span className="jp-mlops-Chart-readout">
                    {' '}
                    step {point.x}: {formatValue(point.y)}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </figure>
  );
}
