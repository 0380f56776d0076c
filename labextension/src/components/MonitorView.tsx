/**
 * The Monitoring section: the latest check per model alias, its status
 * colour, the drifted columns, and a link to the run that trained the
 * checked version.
 */
import * as React from 'react';

import { MlopsModel } from '../model';
import { IMonitorCheck } from '../types';
import { AliasBadge, CheckBadge } from './badges';
import { formatTime, formatTimestamp, formatValue, shortId } from './format';
import { useSignals } from './hooks';
import { trans } from '../i18n';

/**
 * The newest check of each (model, alias or version, kind).
 */
export function latestChecks(checks: IMonitorCheck[]): IMonitorCheck[] {
  const latest = new Map<string, IMonitorCheck>();
  for (const check of checks) {
    const key = `${check.model}\u0000${check.alias ?? `v${check.version}`}\u0000${check.kind}`;
    const known = latest.get(key);
    if (!known || known.created_at < check.created_at) {
      latest.set(key, check);
    }
  }
  const order = { failed: 0, warning: 1, ok: 2 } as Record<string, number>;
  return [...latest.values()].sort(
    (a, b) =>
      (order[a.status] ?? 3) - (order[b.status] ?? 3) ||
      a.model.localeCompare(b.model) ||
      b.created_at - a.created_at
  );
}

/** A one-line summary of a check's result (score, share drifted, ...). */
function resultSummary(check: IMonitorCheck): string {
  const facts: string[] = [];
  for (const [key, value] of Object.entries(check.result ?? {})) {
    if (typeof value === 'number' || typeof value === 'boolean') {
      facts.push(`${key} ${formatValue(value)}`);
    }
    if (facts.length === 3) {
      break;
    }
  }
  return facts.join(' · ');
}

export function MonitorView(props: {
  model: MlopsModel;
  onOpenRun: (runId: string) => void;
}): JSX.Element {
  const { model } = props;
  useSignals(model.checksChanged);
  const checks = model.checks;
  if (checks === null) {
    return (
      <p className="jp-mlops-Muted jp-mlops-Monitor">
        {trans.__('Loading checks…')}
      </p>
    );
  }
  if (checks.length === 0) {
    return (
      <p className="jp-mlops-Empty jp-mlops-Monitor">
        {trans.__(
          'No monitoring checks yet: run mj.check_drift(…, model="models:/NAME@production") or mlops-jupyter monitor drift.'
        )}
      </p>
    );
  }
  return (
    <ul className="jp-mlops-Monitor jp-mlops-CheckList">
      {latestChecks(checks).map(check => (
        <li
          key={check.check_id}
          className={`jp-mlops-CheckItem jp-mlops-Check-border-${check.status}`}
          data-check-id={check.check_id}
        >
          <div className="jp-mlops-Version-line">
            <CheckBadge status={check.status} />
            <b>{check.model}</b>
            {check.alias ? <AliasBadge alias={check.alias} /> : null}
            <span className="jp-mlops-Muted">v{check.version}</span>
            <span className="jp-mlops-Muted">{check.kind}</span>
            <span className="jp-mlops-Runs-spacer" />
            <span
              className="jp-mlops-Muted"
              title={formatTimestamp(check.created_at)}
            >
              {formatTime(check.created_at)}
            </span>
          </div>
          {check.drifted_columns.length > 0 && (
            <div className="jp-mlops-Drifted">
              {trans.__('drifted:')}{' '}
              {check.drifted_columns.map(column => (
                <code key={column}>{column}</code>
              ))}
            </div>
          )}
          <div className="jp-mlops-Version-meta">
            <span className="jp-mlops-Muted">{resultSummary(check)}</span>
            {check.run_id && (
              <button
                className="jp-mlops-LinkButton"
                title={trans.__('Open the training run %1', check.run_id)}
                onClick={() => props.onOpenRun(check.run_id!)}
              >
                {trans.__('training run %1', shortId(check.run_id))}
              </button>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
