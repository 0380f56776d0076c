/**
 * "Run notebook as batch…": a dialog listing the notebook's parameters
 * (from its `parameters` cell) with their types; the user gives values to
 * sweep over and the number of workers, and the sidebar starts the sweep.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import {
  INotebookParameter,
  INotebookParameters,
  ISweepRequest
} from '../types';

export const DEFAULT_WORKERS = 2;

/**
 * Split a comma-separated list, keeping commas inside quotes or brackets.
 */
export function splitValues(text: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const char of text) {
    if (quote) {
      if (char === quote) {
        quote = null;
      }
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if ('[({'.includes(char)) {
      depth++;
    } else if ('])}'.includes(char)) {
      depth--;
    } else if (char === ',' && depth === 0) {
      values.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim()) {
    values.push(current.trim());
  }
  return values.filter(value => value.length > 0);
}

/**
 * One value as typed, read as one of the parameter's accepted Python kinds
 * (`bool int float str list tuple dict NoneType`): numbers as numbers,
 * True/False as booleans, quoted or plain text as strings, [..] and {..}
 * as lists and dicts.
 */
export function parseValue(text: string, kinds: string[]): unknown {
  const trimmed = text.trim();
  const accepts = (kind: string) => kinds.length === 0 || kinds.includes(kind);
  const quoted = /^(['"])(.*)\1$/.exec(trimmed);
  if (quoted && accepts('str')) {
    return quoted[2];
  }
  if (trimmed === 'None' && accepts('NoneType')) {
    return null;
  }
  if (/^(True|False)$/.test(trimmed) && accepts('bool')) {
    return trimmed === 'True';
  }
  const number = Number(trimmed);
  if (trimmed !== '' && !isNaN(number)) {
    if (accepts('float') || (accepts('int') && Number.isInteger(number))) {
      return number;
    }
  }
  if (
    /^[[{(]/.test(trimmed) &&
    (accepts('list') || accepts('dict') || accepts('tuple'))
  ) {
    try {
      return JSON.parse(
        trimmed
          .replace(/^\(/, '[')
          .replace(/\)$/, ']')
          .replace(/\bTrue\b/g, 'true')
          .replace(/\bFalse\b/g, 'false')
          .replace(/\bNone\b/g, 'null')
          .replace(/'/g, '"')
      );
    } catch {
      // not literal JSON: reported below
    }
  }
  if (accepts('str') && !quoted) {
    return trimmed;
  }
  throw new Error(`${trimmed} is not a ${kinds.join(' or ')}`);
}

export interface IBatchForm {
  /** Values as typed, per parameter name. */
  values: Record<string, string>;
  workers: number;
}

/**
 * Turn the form into a sweep request: parameters with two or more values
 * form the grid, a single changed value is fixed for every point. With no
 * list at all, the first changed (else the first) parameter makes a
 * one-point grid, so "run once with these values" works too.
 */
export function sweepRequest(
  notebook: string,
  parameters: INotebookParameter[],
  form: IBatchForm
): ISweepRequest {
  const grid: Record<string, unknown[]> = {};
  const fixed: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const parameter of parameters) {
    const typed = form.values[parameter.name] ?? parameter.default_source;
    let values: unknown[];
    try {
      values = splitValues(typed).map(value =>
        parseValue(value, parameter.kinds)
      );
    } catch (error) {
      errors.push(`${parameter.name}: ${(error as Error).message}`);
      continue;
    }
    if (values.length > 1) {
      grid[parameter.name] = values;
    } else if (
      values.length === 1 &&
      typed.trim() !== parameter.default_source.trim()
    ) {
      fixed[parameter.name] = values[0];
    }
  }
  if (errors.length > 0) {
    throw new Error(errors.join('\n'));
  }
  if (Object.keys(grid).length === 0) {
    const first = Object.keys(fixed)[0] ?? parameters[0]?.name;
    if (!first) {
      throw new Error('The notebook has no parameters to run with');
    }
    grid[first] = [
      first in fixed
        ? fixed[first]
        : parameters.find(p => p.name === first)!.default
    ];
    delete fixed[first];
  }
  const request: ISweepRequest = {
    notebook,
    grid,
    workers: Math.max(1, form.workers)
  };
  if (Object.keys(fixed).length > 0) {
    request.parameters = fixed;
  }
  return request;
}

/** Number of runs a grid makes: the product of its list lengths. */
export function pointsOf(grid: Record<string, unknown[]>): number {
  return Object.values(grid).reduce(
    (product, values) => product * values.length,
    1
  );
}

function BatchForm(props: {
  notebook: string;
  parameters: INotebookParameter[];
  form: IBatchForm;
  onChange: (form: IBatchForm) => void;
}): JSX.Element {
  const { notebook, parameters, form } = props;
  let summary: string;
  try {
    const request = sweepRequest(notebook, parameters, form);
    const points = pointsOf(request.grid);
    summary = `${points} run${points === 1 ? '' : 's'} on ${form.workers} worker${form.workers === 1 ? '' : 's'}`;
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
    form: IBatchForm = { values: {}, workers: DEFAULT_WORKERS }
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
 * Show the dialog; resolves to the sweep to start, or null when cancelled.
 */
export async function batchDialog(
  notebook: string,
  found: INotebookParameters
): Promise<ISweepRequest | null> {
  const parameters = found.parameters;
  if (!found.has_parameters_cell || parameters.length === 0) {
    await showDialog({
      title: 'No parameters to sweep',
      body: `${notebook} has no cell tagged "parameters". Tag the cell that sets the defaults (View → Cell Toolbar, or the property inspector) and try again.`,
      buttons: [Dialog.okButton()]
    });
    return null;
  }
  let form: IBatchForm | undefined;
  for (;;) {
    // a dialog disposes its body: a second try gets a new one with the values
    const body = new BatchDialogBody(notebook, parameters, form);
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
      return null;
    }
    form = result.value;
    try {
      return sweepRequest(notebook, parameters, form);
    } catch (error) {
      await showDialog({
        title: 'Check the values',
        body: (error as Error).message,
        buttons: [Dialog.okButton()]
      });
    }
  }
}
