/**
 * The Monitoring section: per model alias and kind, the latest check (status
 * colour, drifted columns) with the history of checks as a strip of status
 * marks; a click opens the check's report (per-column statistics and small
 * histograms). Actions: open the training run, open the training notebook,
 * Retrain (a batch run with progress), Roll back.
 */
import * as React from 'react';

import { MlopsModel } from '../model';
import { IMonitorCheck, IMonitorCheckDetail } from '../types';
import { CheckReport } from './CheckReport';
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

/** The checks of the same (model, alias or version, kind), oldest first. */
export function checkHistory(
  checks: IMonitorCheck[],
  latest: IMonitorCheck
): IMonitorCheck[] {
  const key = (c: IMonitorCheck) =>
    `${c.model}\u0000${c.alias ?? `v${c.version}`}\u0000${c.kind}`;
  return checks
    .filter(c => key(c) === key(latest))
    .sort((a, b) => a.created_at - b.created_at);
}

/** What the Monitoring section asks the application to do. */
export interface IMonitorActions {
  openNotebook?(path: string): void;
  rollback?(name: string, version: number, aliases: string[]): void;
  /** Ask for the new data's path (relative to the server root); null: cancel. */
  askDataPath?(name: string, alias: string): Promise<string | null>;
}

function HistoryStrip(props: { history: IMonitorCheck[] }): JSX.Element {
  const shown = props.history.slice(-20);
  return (
    <span
      className="jp-mlops-CheckHistory"
      title={trans.__('%1 checks, oldest first', props.history.length)}
    >
      {shown.map(c => (
        <span
          key={c.check_id}
          className="jp-mlops-CheckMark"
          data-status={c.status}
          title={`${formatTimestamp(c.created_at)}: ${c.status}`}
        />
      ))}
    </span>
  );
}

function CheckItem(props: {
  model: MlopsModel;
  check: IMonitorCheck;
  history: IMonitorCheck[];
  onOpenRun: (runId: string) => void;
  actions?: IMonitorActions;
}): JSX.Element {
  const { model, check, history, actions } = props;
  const [open, setOpen] = React.useState(false);
  const [detail, setDetail] = React.useState<IMonitorCheckDetail | null>(null);
  useSignals(model.retrainsChanged);
  const retrain = check.alias
    ? model.retrains.get(`${check.model}@${check.alias}`)
    : undefined;

  const toggle = async () => {
    const next = !open;
    setOpen(next);
    if (next && (!detail || detail.check.check_id !== check.check_id)) {
      try {
        setDetail(await model.checkDetail(check.check_id));
      } catch {
        setDetail(null);
      }
    }
  };
  const startRetrain = async () => {
    if (!check.alias) {
      return;
    }
    const data = actions?.askDataPath
      ? await actions.askDataPath(check.model, check.alias)
      : '';
    if (data === null) {
      return;
    }
    await model.retrain(
      check.model,
      check.alias,
      data || undefined,
      check.check_id
    );
  };
  return (
    <li
      className={`jp-mlops-CheckItem jp-mlops-Check-border-${check.status}`}
      data-check-id={check.check_id}
    >
      <div className="jp-mlops-Version-line">
        <CheckBadge status={check.status} />
        <b>{check.model}</b>
        {check.alias ? <AliasBadge alias={check.alias} /> : null}
        <span className="jp-mlops-Muted">v{check.version}</span>
        <span className="jp-mlops-Muted">{check.kind}</span>
        <HistoryStrip history={history} />
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
      {check.rolled_back_to ? (
        <div className="jp-mlops-Muted jp-mlops-RolledBack">
          {trans.__('auto-rollback to v%1', check.rolled_back_to)}
        </div>
      ) : null}
      <div className="jp-mlops-Version-meta">
        <span className="jp-mlops-Muted">{resultSummary(check)}</span>
        {check.run_id && (
          <button
            className="jp-mlops-LinkButton"
            data-action="open-training-run"
            title={trans.__('Open the training run %1', check.run_id)}
            onClick={() => props.onOpenRun(check.run_id!)}
          >
            {trans.__('training run %1', shortId(check.run_id))}
          </button>
        )}
        {check.notebook && actions?.openNotebook && (
          <button
            className="jp-mlops-LinkButton"
            data-action="open-notebook"
            title={trans.__('Open the training notebook %1', check.notebook)}
            onClick={() => actions.openNotebook!(check.notebook!)}
          >
            {trans.__('notebook')}
          </button>
        )}
      </div>
      <div className="jp-mlops-Actions">
        <button
          className="jp-mlops-Button"
          data-action="report"
          aria-expanded={open}
          onClick={() => void toggle()}
        >
          {open ? trans.__('Hide report') : trans.__('Report')}
        </button>
        {check.alias && (
          <button
            className="jp-mlops-Button"
            data-action="retrain"
            disabled={retrain?.status === 'running'}
            onClick={() => void startRetrain()}
          >
            {trans.__('Retrain…')}
          </button>
        )}
        {check.alias && actions?.rollback && (
          <button
            className="jp-mlops-Button"
            data-action="rollback"
            onClick={() =>
              actions.rollback!(check.model, check.version, [check.alias!])
            }
          >
            {trans.__('Roll back…')}
          </button>
        )}
      </div>
      {retrain && (
        <div
          className={`jp-mlops-Retrain jp-mlops-Retrain-${retrain.status}`}
          data-retrain-status={retrain.status}
        >
          {retrain.status === 'running'
            ? trans.__('Retraining… (a batch run of the training notebook)')
            : retrain.status === 'finished'
              ? trans.__(
                  'Retrained: candidate v%1 (%2)',
                  String(retrain.result?.candidate ?? '?'),
                  String(retrain.result?.action ?? '')
                )
              : trans.__('Retrain failed: %1', retrain.error ?? '')}
          {retrain.run_id && (
            <button
              className="jp-mlops-LinkButton"
              onClick={() => props.onOpenRun(retrain.run_id!)}
            >
              {trans.__('run %1', shortId(retrain.run_id))}
            </button>
          )}
        </div>
      )}
      {open &&
        (detail && detail.check.check_id === check.check_id ? (
          <CheckReport detail={detail} />
        ) : (
          <p className="jp-mlops-Muted">{trans.__('Loading the report…')}</p>
        ))}
    </li>
  );
}

export function MonitorView(props: {
  model: MlopsModel;
  onOpenRun: (runId: string) => void;
  actions?: IMonitorActions;
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
          'No monitoring checks yet: run mj.check_drift("models:/NAME@production", data) or mlops-jupyter monitor drift NAME@production --data PATH.'
        )}
      </p>
    );
  }
  return (
    <ul className="jp-mlops-Monitor jp-mlops-CheckList">
      {latestChecks(checks).map(check => (
        <CheckItem
          key={check.check_id}
          model={model}
          check={check}
          history={checkHistory(checks, check)}
          onOpenRun={props.onOpenRun}
          actions={props.actions}
        />
      ))}
    </ul>
  );
}
