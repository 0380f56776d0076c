/**
 * Metric charts for one run or several overlaid: one chart per metric key,
 * one line per run, from the server's downsampled series.
 */
import * as React from 'react';

import { MlopsModel } from '../model';
import { IMetricSeries, IRun } from '../types';
import { runLabel } from './format';
import { useLoad } from './hooks';
import { IChartSeries, LineChart } from './LineChart';

/**
 * Series of `key` for each run that logged it, labelled by run.
 */
export function chartSeries(
  runs: IRun[],
  series: (IMetricSeries | null)[]
): IChartSeries[] {
  const result: IChartSeries[] = [];
  series.forEach((s, i) => {
    if (s) {
      result.push({ label: runLabel(runs[i]), x: s.step, y: s.value });
    }
  });
  return result;
}

function MetricChart(props: {
  model: MlopsModel;
  runs: IRun[];
  metricKey: string;
}): JSX.Element | null {
  const { model, runs, metricKey } = props;
  const loaded = useLoad(
    () =>
      Promise.all(
        runs.map(run =>
          metricKey in (run.metrics ?? {})
            ? model.metricSeries(run.run_id, metricKey)
            : Promise.resolve(null)
        )
      ),
    [runs.map(run => run.run_id).join(','), metricKey]
  );
  if (loaded.state === 'loading') {
    return <div className="jp-mlops-Chart jp-mod-loading">{metricKey}…</div>;
  }
  if (loaded.state === 'error') {
    return (
      <div className="jp-mlops-Chart jp-mod-error">
        {metricKey}: {loaded.message}
      </div>
    );
  }
  const series = chartSeries(runs, loaded.value);
  if (series.every(s => s.x.length <= 1)) {
    return null; // a single value is in the metrics table; a chart adds nothing
  }
  return <LineChart title={metricKey} series={series} />;
}

/**
 * Every metric key any of the runs logged, sorted.
 */
export function metricKeysOf(runs: IRun[]): string[] {
  const keys = new Set<string>();
  for (const run of runs) {
    Object.keys(run.metrics ?? {}).forEach(key => keys.add(key));
  }
  return [...keys].sort();
}

export function MetricCharts(props: {
  model: MlopsModel;
  runs: IRun[];
}): JSX.Element {
  const keys = metricKeysOf(props.runs);
  if (keys.length === 0) {
    return <p className="jp-mlops-Empty">No metrics logged.</p>;
  }
  return (
    <div className="jp-mlops-Charts">
      {keys.map(key => (
        <MetricChart
          key={key}
          model={props.model}
          runs={props.runs}
          metricKey={key}
        />
      ))}
    </div>
  );
}
