/**
 * "Run notebook as batch…": a dialog listing the notebook's parameters
 * (from its `parameters` cell) with their types; the user gives values to
 * sweep over and the number of workers, and the sidebar starts the sweep.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { MlopsApiError } from '../api';
import {
  INotebookParameter,
  INotebookParameters,
  ISweepRequest
} from '../types';

export const DEFAULT_WORKERS = 2;

export interface IBatchForm {
  /** Values as typed, per parameter name. */
  values: Record<string, string>;
  workers: number;
}

/**
 * Turn the form into a sweep request. Every value the user changed goes to
 * the grid as the text typed (`0.1, 1, 10`): the server splits and types it
 * with the notebook's declared parameter types (the CLI's `--grid K=V1,V2`
 * parser) and answers 400 with a one-line message when it cannot. One value
 * is a one-point dimension, i.e. fixed for every run. With nothing changed,
 * the first parameter's default makes a one-point grid, so "run once with the
 * defaults" works too.
 */
export function sweepRequest(
  notebook: string,
  parameters: INotebookParameter[],
  form: IBatchForm
): ISweepRequest {
  const grid: Record<string, string> = {};
  for (const parameter of parameters) {
    const typed = form.values[parameter.name];
    if (
      typed !== undefined &&
      typed.trim() !== parameter.default_source.trim()
    ) {
      grid[parameter.name] = typed;
    }
  }
  if (Object.keys(grid).length === 0) {
    const first = parameters[0];
    if (!first) {
      throw new Error('The notebook has no parameters to run with');
    }
    grid[first.name] = first.default_source;
  }
  return { notebook, grid, workers: Math.max(1, form.workers) };
}

/**
 * What the form will do, in words (the server counts the runs).
 */
export function sweepSummary(request: ISweepRequest): string {
  const names = Object.keys(request.grid).join(', ');
  const workers = `${request.workers} worker${request.workers === 1 ? '' : 's'}`;
  return `Sweeps ${names} on ${workers}`;
}

function BatchForm(props: {
  notebook: string;
  parameters: INotebookParameter[];
  form: IBatchForm;
  error?: string;
  onChange: (form: IBatchForm) => void;
}): JSX.Element {
  const { notebook, parameters, form } = props;
  let summary: string;
  try {
    summary = sweepSummary(sweepRequest(notebook, parameters, form));
  } catch (error) {
    summary = (error as Error).message;
  }
  return (
    <div className="jp-mlops-BatchForm">
      <p className="jp-mlops-Muted">
        Values separated by commas run every combination (a grid); one value is
        fixed for every run.
      </p>
      <table>
        <thead>
          <tr>
            <th className="jp-mlops-BatchForm-cell">Parameter</th>
            <th className="jp-mlops-BatchForm-cell">Type</th>
            <th className="jp-mlops-BatchForm-cell">Values</th>
          </tr>
        </thead>
        <tbody>
          {parameters.map(parameter => (
            <tr key={parameter.name} data-parameter={parameter.name}>
              <th
                scope="row"
                className="jp-mlops-BatchForm-cell"
                title={parameter.help ?? undefined}
              >
                {parameter.name}
              </th>
              <td className="jp-mlops-BatchForm-cell">
                <code className="jp-mlops-Type">{parameter.type}</code>
              </td>
              <td className="jp-mlops-BatchForm-cell">
                <input
                  className="jp-mod-styled"
                  aria-label={`Values of ${parameter.name}`}
                  value={
                    form.values[parameter.name] ?? parameter.default_source
                  }
                  onChange={event =>
                    props.onChange({
                      ...form,
                      values: {
                        ...form.values,
                        [parameter.name]: event.target.value
                      }
                    })
                  }
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label className="jp-mlops-BatchForm-workers">
        Workers{' '}
        <input
          className="jp-mod-styled"
          type="number"
          min={1}
          max={64}
          aria-label="Workers"
          value={form.workers}
          onChange={event =>
            props.onChange({
              ...form,
              workers: Math.max(1, Number(event.target.value) || 1)
            })
          }
        />
      </label>
      <p className="jp-mlops-BatchForm-summary">{summary}</p>
      {props.error ? (
        <p className="jp-mlops-BatchForm-error" role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * The dialog's body: keeps the form's state and gives it to the dialog.
 */
export class BatchDialogBody
  extends ReactWidget
  implements Dialog.IBodyWidget<IBatchForm>
{
  constructor(
    readonly notebook: string,
    readonly parameters: INotebookParameter[],
    form: IBatchForm = { values: {}, workers: DEFAULT_WORKERS },
    readonly error = ''
  ) {
    super();
    this.addClass('jp-mlops-BatchDialog');
    this._form = form;
  }

  getValue(): IBatchForm {
    return this._form;
  }

  render(): JSX.Element {
    return (
      <BatchForm
        notebook={this.notebook}
        parameters={this.parameters}
        form={this._form}
        error={this.error}
        onChange={form => {
          this._form = form;
          this.update();
        }}
      />
    );
  }

  private _form: IBatchForm;
}

/**
 * Show the dialog and start the sweep with `start`. When the server refuses
 * the values (a 400), its one-line message is shown in the form, with the
 * values as typed, until the sweep starts or the user cancels. Resolves to
 * whether a sweep started.
 */
export async function batchDialog(
  notebook: string,
  found: INotebookParameters,
  start: (request: ISweepRequest) => Promise<boolean>
): Promise<boolean> {
  const parameters = found.parameters;
  if (!found.has_parameters_cell || parameters.length === 0) {
    await showDialog({
      title: 'No parameters to sweep',
      body: `${notebook} has no cell tagged "parameters". Tag the cell that sets the defaults (View → Cell Toolbar, or the property inspector) and try again.`,
      buttons: [Dialog.okButton()]
    });
    return false;
  }
  let form: IBatchForm | undefined;
  let error = '';
  for (;;) {
    // a dialog disposes its body: a second try gets a new one with the values
    const body = new BatchDialogBody(notebook, parameters, form, error);
    const result = await showDialog({
      title: `Run ${notebook} as batch`,
      body,
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: 'Start sweep' })
      ],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) {
      return false;
    }
    form = result.value;
    try {
      return await start(sweepRequest(notebook, parameters, form));
    } catch (refused) {
      if (
        !(refused instanceof MlopsApiError) ||
        refused.kind !== 'bad-request'
      ) {
        throw refused;
      }
      // the server's one-line message, next to the values as typed
      error = refused.detail || refused.message;
    }
  }
}
