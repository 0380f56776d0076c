/**
 * The registry actions that need the user's word first, as JupyterLab
 * dialogs: register, review with a comment, promote after seeing the gates,
 * roll back, archive.
 */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatValue } from './components/format';
import { MlopsModel } from './model';
import { IGateReport } from './types';

export const DEFAULT_ALIAS = 'production';

/**
 * Ask for a model name and register the run's model under it.
 */
export async function registerModelDialog(
  model: MlopsModel,
  runId?: string
): Promise<boolean> {
  let run = runId;
  if (!run) {
    const answer = await InputDialog.getText({
      title: 'Register a model from a run',
      label: 'Run id (or a unique prefix)',
      placeholder: '0193a1f2…'
    });
    if (!answer.button.accept || !answer.value?.trim()) {
      return false;
    }
    run = answer.value.trim();
  }
  const names = (model.models ?? []).map(m => m.name);
  const answer = await InputDialog.getText({
    title: `Register the model of run ${run.slice(-8)}`,
    label: names.length
      ? `Model name (existing: ${names.join(', ')})`
      : 'Model name',
    placeholder: 'churn-classifier',
    okLabel: 'Register'
  });
  const name = answer.value?.trim();
  if (!answer.button.accept || !name) {
    return false;
  }
  return model.registerModel(run, name);
}

/**
 * Approve or reject a version with a comment (a rejection needs one).
 */
export async function reviewDialog(
  model: MlopsModel,
  name: string,
  version: number,
  decision: 'approve' | 'reject'
): Promise<boolean> {
  const approving = decision === 'approve';
  const answer = await InputDialog.getText({
    title: `${approving ? 'Approve' : 'Reject'} ${name} v${version}`,
    label: approving ? 'Comment (optional)' : 'Why? (required)',
    placeholder: approving ? 'Reviewed metrics and card' : 'What must change',
    okLabel: approving ? 'Approve' : 'Reject'
  });
  if (!answer.button.accept) {
    return false;
  }
  const comment = (answer.value ?? '').trim();
  if (approving) {
    return model.approve(name, version, comment);
  }
  if (!comment) {
    await showDialog({
      title: 'A rejection needs a comment',
      body: 'Say what must change, so the author knows what to do next.',
      buttons: [Dialog.okButton()]
    });
    return false;
  }
  return model.reject(name, version, comment);
}

/**
 * The gates' verdict, shown before anything moves.
 */
export function GateReportView(props: { report: IGateReport }): JSX.Element {
  const { report } = props;
  const approval = `${report.approvals} of ${report.required_approvals} approval${report.required_approvals === 1 ? '' : 's'}`;
  return (
    <div className="jp-mlops-GateReport" data-passed={report.allowed}>
      <p>
        Move <b>@{report.alias}</b> of <b>{report.name}</b>
        {report.current_version !== null
          ? ` from v${report.current_version}`
          : ''}{' '}
        to <b>v{report.version}</b>
        {report.protected ? ' (a protected alias)' : ''}.
      </p>
      <ul className="jp-mlops-Gates">
        <li className={report.approved ? 'jp-mod-passed' : 'jp-mod-failed'}>
          <span className="jp-mlops-Gate-mark">
            {report.approved ? '✓' : '✗'}
          </span>
          approval: {report.status} ({approval})
        </li>
        {report.results.map(result => (
          <li
            key={result.gate}
            className={result.passed ? 'jp-mod-passed' : 'jp-mod-failed'}
          >
            <span className="jp-mlops-Gate-mark">
              {result.passed ? '✓' : '✗'}
            </span>
            <code>{result.gate}</code>
            <span className="jp-mlops-Muted">
              {' '}
              {result.metric} = {formatValue(result.value)}
              {result.bound !== null
                ? `, bound ${formatValue(result.bound)}`
                : ''}
            </span>
            {result.detail && (
              <div className="jp-mlops-Muted">{result.detail}</div>
            )}
          </li>
        ))}
        {report.results.length === 0 && (
          <li className="jp-mlops-Muted">
            No metric gates in this model&apos;s policy.
          </li>
        )}
      </ul>
      {report.reasons.length > 0 && (
        <ul className="jp-mlops-Gate-reasons">
          {report.reasons.map(reason => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      <p
        className={`jp-mlops-Gate-verdict ${report.allowed ? 'jp-mod-passed' : 'jp-mod-failed'}`}
      >
        {report.allowed
          ? 'All checks pass: the promotion is allowed.'
          : 'The promotion is not allowed until every check passes.'}
      </p>
    </div>
  );
}

/**
 * Pick an alias, show the gate results, and promote if the user confirms.
 */
export async function promoteDialog(
  model: MlopsModel,
  name: string,
  version: number,
  aliases: string[]
): Promise<boolean> {
  const choices = [DEFAULT_ALIAS, ...aliases.filter(a => a !== DEFAULT_ALIAS)];
  const picked = await InputDialog.getItem({
    title: `Promote ${name} v${version}`,
    label: 'Alias',
    items: choices,
    current: DEFAULT_ALIAS,
    editable: true,
    okLabel: 'Check gates'
  });
  const alias = picked.value?.trim();
  if (!picked.button.accept || !alias) {
    return false;
  }
  let report: IGateReport;
  try {
    report = await model.gates(name, version, alias);
  } catch {
    return false; // the model has notified
  }
  const result = await showDialog({
    title: `Promote ${name} v${version} to @${alias}?`,
    body: ReactWidget.create(<GateReportView report={report} />),
    buttons: report.allowed
      ? [Dialog.cancelButton(), Dialog.warnButton({ label: 'Promote' })]
      : [Dialog.cancelButton({ label: 'Close' })]
  });
  if (!report.allowed || !result.button.accept) {
    return false;
  }
  return model.promote(name, version, alias);
}

/**
 * Move an alias back to the version that held it before.
 */
export async function rollbackDialog(
  model: MlopsModel,
  name: string,
  version: number,
  aliases: string[]
): Promise<boolean> {
  let alias = aliases[0];
  if (aliases.length > 1) {
    const picked = await InputDialog.getItem({
      title: `Roll back an alias of ${name} v${version}`,
      label: 'Alias',
      items: aliases,
      current: aliases.includes(DEFAULT_ALIAS) ? DEFAULT_ALIAS : aliases[0]
    });
    if (!picked.button.accept || !picked.value) {
      return false;
    }
    alias = picked.value;
  }
  const result = await showDialog({
    title: `Roll back ${name}@${alias}?`,
    body: `@${alias} moves from v${version} back to the version it pointed to before. The move is recorded in the audit log.`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Roll back' })]
  });
  if (!result.button.accept) {
    return false;
  }
  return model.rollback(name, version, alias);
}

export async function archiveDialog(
  model: MlopsModel,
  name: string,
  version: number
): Promise<boolean> {
  const result = await showDialog({
    title: `Archive ${name} v${version}?`,
    body: 'An archived version keeps its record and lineage but can no longer be promoted.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Archive' })]
  });
  if (!result.button.accept) {
    return false;
  }
  return model.archive(name, version);
}
