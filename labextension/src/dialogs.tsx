/**
 * The registry actions that need the user's word first, as JupyterLab
 * dialogs: register, review with a comment, promote after seeing the gates,
 * roll back, archive, set a model's owners.
 */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { MlopsApiError } from './api';
import { formatValue } from './components/format';
import { trans } from './i18n';
import { messageOf, MlopsModel } from './model';
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
      title: trans.__('Register a model from a run'),
      label: trans.__('Run id (or a unique prefix)'),
      placeholder: '0193a1f2…'
    });
    if (!answer.button.accept || !answer.value?.trim()) {
      return false;
    }
    run = answer.value.trim();
  }
  const names = (model.models ?? []).map(m => m.name);
  const answer = await InputDialog.getText({
    title: trans.__('Register the model of run %1', run.slice(-8)),
    label: names.length
      ? trans.__('Model name (existing: %1)', names.join(', '))
      : trans.__('Model name'),
    placeholder: 'churn-classifier',
    okLabel: trans.__('Register')
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
    title: approving
      ? trans.__('Approve %1 v%2', name, version)
      : trans.__('Reject %1 v%2', name, version),
    label: approving
      ? trans.__('Comment (optional)')
      : trans.__('Why? (required)'),
    placeholder: approving
      ? trans.__('Reviewed metrics and card')
      : trans.__('What must change'),
    okLabel: approving ? trans.__('Approve') : trans.__('Reject')
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
      title: trans.__('A rejection needs a comment'),
      body: trans.__(
        'Say what must change, so the author knows what to do next.'
      ),
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
  const approval = trans._n(
    '%2 of %1 approval',
    '%2 of %1 approvals',
    report.required_approvals,
    report.approvals
  );
  const move =
    report.current_version === null
      ? trans.__(
          'Move @%1 of %2 to v%3',
          report.alias,
          report.name,
          report.version
        )
      : trans.__(
          'Move @%1 of %2 from v%3 to v%4',
          report.alias,
          report.name,
          report.current_version,
          report.version
        );
  return (
    <div className="jp-mlops-GateReport" data-passed={report.allowed}>
      <p className="jp-mlops-GateReport-move">
        {report.protected
          ? trans.__('%1 (a protected alias).', move)
          : trans.__('%1.', move)}
      </p>
      <ul className="jp-mlops-Gates">
        <li className={report.approved ? 'jp-mod-passed' : 'jp-mod-failed'}>
          <span className="jp-mlops-Gate-mark">
            {report.approved ? '✓' : '✗'}
          </span>
          {trans.__('approval: %1 (%2)', report.status, approval)}
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
              {result.bound === null
                ? trans.__('%1 = %2', result.metric, formatValue(result.value))
                : trans.__(
                    '%1 = %2, bound %3',
                    result.metric,
                    formatValue(result.value),
                    formatValue(result.bound)
                  )}
            </span>
            {result.detail && (
              <div className="jp-mlops-Muted">{result.detail}</div>
            )}
          </li>
        ))}
        {report.results.length === 0 && (
          <li className="jp-mlops-Muted">
            {trans.__("No metric gates in this model's policy.")}
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
          ? trans.__('All checks pass: the promotion is allowed.')
          : trans.__('The promotion is not allowed until every check passes.')}
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
    title: trans.__('Promote %1 v%2', name, version),
    label: trans.__('Alias'),
    items: choices,
    current: DEFAULT_ALIAS,
    editable: true,
    okLabel: trans.__('Check gates')
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
    title: trans.__('Promote %1 v%2 to @%3?', name, version, alias),
    body: ReactWidget.create(<GateReportView report={report} />),
    buttons: report.allowed
      ? [
          Dialog.cancelButton(),
          Dialog.warnButton({ label: trans.__('Promote') })
        ]
      : [Dialog.cancelButton({ label: trans.__('Close') })]
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
      title: trans.__('Roll back an alias of %1 v%2', name, version),
      label: trans.__('Alias'),
      items: aliases,
      current: aliases.includes(DEFAULT_ALIAS) ? DEFAULT_ALIAS : aliases[0]
    });
    if (!picked.button.accept || !picked.value) {
      return false;
    }
    alias = picked.value;
  }
  const result = await showDialog({
    title: trans.__('Roll back %1@%2?', name, alias),
    body: trans.__(
      '@%1 moves from v%2 back to the version it pointed to before. The move is recorded in the audit log.',
      alias,
      version
    ),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Roll back') })
    ]
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
    title: trans.__('Archive %1 v%2?', name, version),
    body: trans.__(
      'An archived version keeps its record and lineage but can no longer be promoted.'
    ),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Archive') })
    ]
  });
  if (!result.button.accept) {
    return false;
  }
  return model.archive(name, version);
}

/**
 * `"alice, group:ml-team"` -> `['alice', 'group:ml-team']`. Blank entries (a
 * trailing comma) are dropped; the server judges the names themselves.
 */
export function parseOwners(text: string): string[] {
  return text
    .split(',')
    .map(entry => entry.trim())
    .filter(entry => entry.length > 0);
}

/**
 * The owners dialog's body: the comma-separated owners and, after a refused
 * attempt, the server's reason under the field.
 */
class OwnersBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor(text: string, problem: string) {
    super();
    this.addClass('jp-mlops-OwnersDialog');
    const label = document.createElement('label');
    label.textContent = trans.__(
      'Users or groups, separated by commas (empty: the creator is notified)'
    );
    this._input = document.createElement('input');
    this._input.className = 'jp-mod-styled';
    this._input.value = text;
    this._input.placeholder = 'alice, group:ml-team';
    label.appendChild(this._input);
    this.node.appendChild(label);
    if (problem) {
      const error = document.createElement('p');
      error.className = 'jp-mlops-Error';
      error.setAttribute('role', 'alert');
      error.textContent = problem;
      this.node.appendChild(error);
    }
  }

  getValue(): string {
    return this._input.value;
  }

  private _input: HTMLInputElement;
}

/**
 * Set a model's owners. A refusal (a name the server rejects, or a user who
 * may not change them) opens the dialog again with what was typed and the
 * server's reason, until the owners are saved or the user cancels.
 */
export async function editOwnersDialog(
  model: MlopsModel,
  name: string,
  owners: string[]
): Promise<boolean> {
  let text = owners.join(', ');
  let problem = '';
  for (;;) {
    const answer = await showDialog({
      title: trans.__('Owners of %1', name),
      body: new OwnersBody(text, problem),
      focusNodeSelector: 'input',
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Save') })
      ]
    });
    if (!answer.button.accept) {
      return false;
    }
    text = answer.value ?? '';
    try {
      await model.setOwners(name, parseOwners(text));
      return true;
    } catch (error) {
      problem =
        error instanceof MlopsApiError && error.detail
          ? error.detail
          : messageOf(error);
    }
  }
}
