/**
 * Sweeps started from this page ("Run notebook as batch…") and their
 * progress, refreshed by the model's poll.
 */
import * as React from 'react';

import { MlopsModel } from '../model';
import { ISweepSummary } from '../types';
import { StatusBadge } from './badges';
import { formatTime } from './format';
import { useSignals } from './hooks';
import { trans } from '../i18n';

/** Finished, failed and running points out of the total. */
export function sweepProgress(sweep: ISweepSummary): {
  done: number;
  failed: number;
  running: number;
  total: number;
} {
  const p = sweep.progress;
  const done = p.finished;
  const failed = p.failed + p.killed;
  const running = p.running;
  const counted = done + failed + running + (p.pending ?? 0);
  return { done, failed, running, total: Math.max(p.total ?? 0, counted) };
}

export function SweepsView(props: {
  model: MlopsModel;
  onOpenRun: (runId: string) => void;
}): JSX.Element {
  const { model } = props;
  useSignals(model.sweepsChanged);
  if (model.sweeps.length === 0) {
    return (
      <p className="jp-mlops-Empty">
        {trans.__(
          'No sweeps started here. Use “Run notebook as batch…” on a notebook with a parameters cell.'
        )}
      </p>
    );
  }
  return (
    <ul className="jp-mlops-Sweeps">
      {model.sweeps.map(sweep => {
        const { done, failed, running, total } = sweepProgress(sweep);
        const percent = (n: number) => `${total ? (100 * n) / total : 0}%`;
        return (
          <li
            key={sweep.sweep_id}
            className="jp-mlops-Sweep"
            data-sweep-id={sweep.sweep_id}
          >
            <div className="jp-mlops-Version-line">
              <StatusBadge status={sweep.status} />
              <button
                className="jp-mlops-LinkButton"
                onClick={() => props.onOpenRun(sweep.sweep_id)}
              >
                {sweep.name ?? sweep.notebook_path ?? sweep.sweep_id}
              </button>
              <span className="jp-mlops-Runs-spacer" />
              <span className="jp-mlops-Muted">
                {formatTime(sweep.start_time)}
              </span>
            </div>
            <div
              className="jp-mlops-Progress"
              role="progressbar"
              aria-valuemin={0}
              aria-valuemax={total}
              aria-valuenow={done + failed}
            >
              <span
                className="jp-mlops-Progress-done"
                style={{ width: percent(done) }}
              />
              <span
                className="jp-mlops-Progress-failed"
                style={{ width: percent(failed) }}
              />
              <span
                className="jp-mlops-Progress-running"
                style={{ width: percent(running) }}
              />
            </div>
            <div className="jp-mlops-Muted jp-mlops-Sweep-counts">
              {trans.__('%1 of %2 done', done, total)}
              {failed ? trans.__(' · %1 failed', failed) : ''}
              {running ? trans.__(' · %1 running', running) : ''}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
