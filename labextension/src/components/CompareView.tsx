/**
 * Side by side comparison of two or more runs: which params differ, the
 * latest metrics, and every metric's history overlaid on one chart.
 */
import * as React from 'react';

import { MlopsModel } from '../model';
import { IRun, IRunDetail } from '../types';
import { StatusBadge } from './badges';
import { formatValue, runLabel } from './format';
import { useLoad } from './hooks';
import { seriesColour } from './LineChart';
import { MetricCharts, metricKeysOf } from './MetricCharts';

export interface IDiffRow {
  key: string;
  values: unknown[];
  differs: boolean;
}

/**
 * One row per key any run has; `differs` when the runs disagree (a key a
 * run lacks counts as a difference).
 */
export function diffRows(maps: Record<string, unknown>[]): IDiffRow[] {
  const keys = new Set<string>();
  maps.forEach(map => Object.keys(map).forEach(key => keys.add(key)));
  return [...keys].sort().map(key => {
    const values = maps.map(map => (key in map ? map[key] : undefined));
    const encoded = values.map(
      value =>
        JSON.stringify(value ?? null) + (value === undefined ? '#missing' : '')
    );
    return { key, values, differs: new Set(encoded).size > 1 };
  });
}

function DiffTable(props: {
  runs: IRun[];
  rows: IDiffRow[];
  onlyDifferences: boolean;
  name: string;
}): JSX.Element {
  const rows = props.onlyDifferences
    ? props.rows.filter(row => row.differs)
    : props.rows;
  if (rows.length === 0) {
    return (
      <p className="jp-mlops-Empty">
        {props.rows.length === 0 ? 'None logged.' : 'All the same.'}
      </p>
    );
  }
  return (
    <table className="jp-mlops-Diff" data-table={props.name}>
      <thead>
        <tr>
          <th />
          {props.runs.map((run, i) => (
            <th key={run.run_id} title={run.run_id}>
              <span
                className="jp-mlops-Chart-swatch"
                style={{ background: seriesColour(i) }}
              />
              {runLabel(run)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(row => (
          <tr key={row.key} className={row.differs ? 'jp-mod-differs' : ''}>
            <th scope="row">{row.key}</th>
            {row.values.map((value, i) => (
              <td key={i}>{value === undefined ? '' : formatValue(value)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CompareView(props: {
  model: MlopsModel;
  runIds: string[];
  onOpenRun: (runId: string) => void;
}): JSX.Element {
  const { model, runIds } = props;
  const [onlyDifferences, setOnlyDifferences] = React.useState(true);
  const loaded = useLoad(
    () => Promise.all(runIds.map(id => model.runDetail(id))),
    [runIds.join(',')]
  );
  if (loaded.state === 'loading') {
    return (
      <div className="jp-mlops-Detail jp-mod-loading">
        Loading {runIds.length} runs…
      </div>
    );
  }
  if (loaded.state === 'error') {
    return (
      <div className="jp-mlops-Detail jp-mlops-Error">{loaded.message}</div>
    );
  }
  const runs: IRunDetail[] = loaded.value;
  const params = diffRows(runs.map(run => run.params));
  const metrics = diffRows(runs.map(run => run.metrics));
  return (
    <div className="jp-mlops-Detail jp-mlops-Compare">
      <header className="jp-mlops-Detail-header">
        <h2>Comparing {runs.length} runs</h2>
        <ul className="jp-mlops-Compare-runs">
          {runs.map((run, i) => (
            <li key={run.run_id}>
              <span
                className="jp-mlops-Chart-swatch"
                style={{ background: seriesColour(i) }}
              />
              <button
                className="jp-mlops-LinkButton"
                onClick={() => props.onOpenRun(run.run_id)}
              >
                {runLabel(run)}
              </button>{' '}
              <StatusBadge status={run.status} />{' '}
              <span className="jp-mlops-Muted">{run.experiment}</span>
            </li>
          ))}
        </ul>
        <label className="jp-mlops-Checkbox">
          <input
            type="checkbox"
            checked={onlyDifferences}
            onChange={event => setOnlyDifferences(event.target.checked)}
          />
          Only differences
        </label>
      </header>
      <section data-section="params">
        <h3>Params ({params.filter(row => row.differs).length} differ)</h3>
        <DiffTable
          runs={runs}
          rows={params}
          onlyDifferences={onlyDifferences}
          name="params"
        />
      </section>
      <section data-section="metrics">
        <h3>Latest metrics</h3>
        <DiffTable
          runs={runs}
          rows={metrics}
          onlyDifferences={false}
          name="metrics"
        />
        <h3>Metric history ({metricKeysOf(runs).length})</h3>
        <MetricCharts model={model} runs={runs} />
      </section>
    </div>
  );
}
