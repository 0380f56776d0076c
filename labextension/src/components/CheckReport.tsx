/**
 * One check's report in the Monitoring section: per-column statistics with a
 * small reference-versus-current histogram each (the picture a DriftReport
 * draws in a notebook), the problems, or a performance check's metrics.
 */
import * as React from 'react';

import { IColumnDrift, IHistogram, IMonitorCheckDetail } from '../types';
import { formatValue } from './format';
import { trans } from '../i18n';

const REFERENCE = 'var(--jp-brand-color1, #1f77b4)';
const CURRENT = 'var(--jp-warn-color1, #ff7f0e)';

/** Paired bars per bin: reference then current, heights as shares. */
export function Histogram(props: {
  histogram: IHistogram;
  width?: number;
  height?: number;
}): JSX.Element | null {
  const { reference, current, labels, edges } = props.histogram;
  const width = props.width ?? 120;
  const height = props.height ?? 30;
  if (!reference?.length || reference.length !== current?.length) {
    return null;
  }
  const top = Math.max(...reference, ...current, 1e-12);
  const slot = width / reference.length;
  const bar = Math.max(slot / 2 - 0.5, 0.5);
  const name = (i: number): string =>
    labels
      ? labels[i]
      : edges && edges.length > i + 1
        ? `${formatValue(edges[i])} – ${formatValue(edges[i + 1])}`
        : '';
  return (
    <svg
      className="jp-mlops-Histogram"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={trans.__('reference versus current distribution')}
    >
      {reference.map((r, i) => {
        const c = current[i];
        const tip = `${name(i)}: ${trans.__('reference')} ${(r * 100).toFixed(1)}%, ${trans.__('current')} ${(c * 100).toFixed(1)}%`;
        const hr = ((height - 2) * r) / top;
        const hc = ((height - 2) * c) / top;
        return (
          <g key={i}>
            <rect
              x={i * slot}
              y={height - hr}
              width={bar}
              height={hr}
              fill={REFERENCE}
            >
              <title>{tip}</title>
            </rect>
            <rect
              x={i * slot + bar}
              y={height - hc}
              width={bar}
              height={hc}
              fill={CURRENT}
            >
              <title>{tip}</title>
            </rect>
          </g>
        );
      })}
    </svg>
  );
}

function ColumnRow(props: { column: IColumnDrift }): JSX.Element {
  const c = props.column;
  return (
    <tr
      className={c.drifted ? 'jp-mlops-ColumnDrifted' : undefined}
      data-column={c.column}
    >
      <td>{c.column}</td>
      <td className="jp-mlops-Muted">{c.method}</td>
      <td title={c.p_value !== null ? `p = ${formatValue(c.p_value)}` : ''}>
        {c.statistic === null ? '–' : formatValue(c.statistic)}
      </td>
      <td className="jp-mlops-Muted">{formatValue(c.threshold)}</td>
      <td>
        <Histogram histogram={c.histogram} />
      </td>
    </tr>
  );
}

export function CheckReport(props: {
  detail: IMonitorCheckDetail;
}): JSX.Element {
  const { report } = props.detail;
  const columns = report.columns ?? [];
  const problems = report.problems ?? [];
  const metrics = report.metrics ?? [];
  return (
    <div className="jp-mlops-CheckReport">
      {report.rule && (
        <div className="jp-mlops-Muted">
          {report.rule}
          {report.on === 'profiles' && typeof report.error === 'number'
            ? ` · ${trans.__('sketch rank error ±%1', (report.error * 100).toFixed(2) + '%')}`
            : ''}
        </div>
      )}
      {columns.length > 0 && (
        <table className="jp-mlops-ColumnTable">
          <thead>
            <tr>
              <th>{trans.__('column')}</th>
              <th>{trans.__('method')}</th>
              <th>{trans.__('statistic')}</th>
              <th>{trans.__('threshold')}</th>
              <th>
                <span style={{ color: REFERENCE }}>■</span>{' '}
                {trans.__('reference')}{' '}
                <span style={{ color: CURRENT }}>■</span> {trans.__('current')}
              </th>
            </tr>
          </thead>
          <tbody>
            {columns.map(column => (
              <ColumnRow key={column.column} column={column} />
            ))}
          </tbody>
        </table>
      )}
      {metrics.length > 0 && (
        <table className="jp-mlops-ColumnTable">
          <thead>
            <tr>
              <th>{trans.__('metric')}</th>
              <th>{trans.__('now')}</th>
              <th>{trans.__('at registration')}</th>
            </tr>
          </thead>
          <tbody>
            {metrics.map(m => (
              <tr
                key={String(m.metric)}
                className={m.failed ? 'jp-mlops-ColumnDrifted' : undefined}
              >
                <td>{String(m.metric)}</td>
                <td>{formatValue(m.value as number)}</td>
                <td>{formatValue(m.recorded as number)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {problems.length > 0 && (
        <ul className="jp-mlops-Problems">
          {problems.map((p, i) => (
            <li key={i} className={`jp-mlops-Problem-${p.severity}`}>
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
