/**
 * Setting a model's owners from the Models section: "Edit owners…" opens a
 * JupyterLab dialog; what is typed goes to `POST models/{name}/owners` as a
 * list; the server's refusal is shown in the dialog; after success the
 * section shows the new owners. React in jsdom over a fake REST server.
 */
import { act } from 'react';
import * as React from 'react';

import { IModelActions, ModelsView } from '../components/ModelsView';
import { editOwnersDialog, parseOwners } from '../dialogs';
import { INotifier, MlopsModel } from '../model';
import { IModelSummary } from '../types';
import { fakeServer, IFakeServer, json, waitFor } from './fakeServer';
import { host, mountEachTest, root } from './reactHost';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

describe('parseOwners', () => {
  it('splits on commas, trims, and drops blank entries', () => {
    expect(parseOwners(' alice,group:ml-team , ')).toEqual([
      'alice',
      'group:ml-team'
    ]);
    expect(parseOwners('  ')).toEqual([]);
    // the server judges names: a space inside one is kept for it to refuse
    expect(parseOwners('bad name, bob')).toEqual(['bad name', 'bob']);
  });
});

/**
 * A registry holding `churn`, created by alice; `POST models/churn/owners`
 * behaves like the server: names case-folded and sorted, a name with a space
 * refused (400), and `refuse` makes it answer as for a user who may not (409).
 */
function registry(): {
  server: IFakeServer;
  model: MlopsModel;
  notes: string[];
  bodies: unknown[];
  state: { owners: string[]; refuse: boolean };
} {
  const server = fakeServer();
  const state = { owners: [] as string[], refuse: false };
  const bodies: unknown[] = [];
  const summary = (): IModelSummary => ({
    name: 'churn',
    description: null,
    owner: 'alice',
    owners: state.owners,
    policy: {},
    created_at: 1,
    updated_at: 2,
    versions: 1,
    latest_version: 1,
    aliases: {}
  });
  server.on('models', () => ({ models: [summary()] }));
  server.on('servers', () => ({ servers: [] }));
  // the only model opens by itself: its detail, without versions
  server.on('models/churn', () => ({
    ...summary(),
    versions: [],
    alias_history: []
  }));
  server.on(
    'models/churn/owners',
    async request => {
      const body = (await request.json()) as { owners: string[] };
      bodies.push(body);
      if (state.refuse) {
        return json(409, {
          message:
            'browser-test cannot change the owners of churn: only its creator (alice), a current owner (none set) or an admin can'
        });
      }
      const bad = body.owners.find(owner => /\s/.test(owner));
      if (bad !== undefined) {
        return json(400, {
          message: `invalid owner '${bad}': a user name or group:NAME, without spaces or commas`
        });
      }
      state.owners = [...new Set(body.owners.map(o => o.toLowerCase()))].sort();
      return { name: 'churn', owners: state.owners };
    },
    'POST'
  );
  const notes: string[] = [];
  const notifier: INotifier = {
    error: message => notes.push(`error: ${message}`),
    success: message => notes.push(`success: ${message}`)
  };
  const model = new MlopsModel({
    client: server.client,
    notifier,
    pollInterval: 60_000
  });
  return { server, model, notes, bodies, state };
}

mountEachTest(() =>
  document.querySelectorAll('.jp-Dialog').forEach(node => node.remove())
);

/** The Models section, with "Edit owners…" wired to the real dialog. */
async function renderSection(model: MlopsModel): Promise<{
  edits: Promise<boolean>[];
}> {
  const edits: Promise<boolean>[] = [];
  const actions = {
    editOwners: (name: string, owners: string[]) =>
      edits.push(editOwnersDialog(model, name, owners))
  } as Partial<IModelActions> as IModelActions;
  await act(async () => {
    root.render(
      <ModelsView model={model} actions={actions} rendermime={null} />
    );
  });
  await act(() => model.refreshModels());
  return { edits };
}

function ownersLine(): string {
  return host.querySelector('.jp-mlops-Owners-names')?.textContent ?? '';
}

async function until(condition: () => boolean): Promise<void> {
  await act(async () => {
    await waitFor(condition);
  });
}

function click(element: Element | null): Promise<void> {
  expect(element).not.toBeNull();
  return act(async () => {
    (element as HTMLElement).dispatchEvent(
      new MouseEvent('click', { bubbles: true })
    );
  });
}

/** The open owners dialog (waiting for it, and for `problem` when given). */
async function ownersDialog(problem = false): Promise<HTMLElement> {
  const selector = problem
    ? '.jp-Dialog .jp-mlops-OwnersDialog .jp-mlops-Error'
    : '.jp-Dialog .jp-mlops-OwnersDialog';
  await until(() => document.querySelector(selector) !== null);
  return document.querySelector('.jp-Dialog') as HTMLElement;
}

function fill(dialog: HTMLElement, text: string): void {
  const input = dialog.querySelector('input') as HTMLInputElement;
  input.value = text;
}

function button(dialog: HTMLElement, label: string): Element | null {
  return (
    Array.from(dialog.querySelectorAll('.jp-Dialog-button')).find(
      b => b.textContent === label
    ) ?? null
  );
}

describe('Edit owners in the Models section', () => {
  it('sends the typed list and shows the owners the server kept', async () => {
    const { server, model, notes, bodies } = registry();
    const { edits } = await renderSection(model);
    expect(ownersLine()).toBe('owner: alice (creator; no owners set)');

    await click(host.querySelector('.jp-mlops-Owners-edit'));
    const dialog = await ownersDialog();
    expect(dialog.textContent).toContain('Owners of churn');
    fill(dialog, 'Bob, group:ML-Team, ');
    await click(button(dialog, 'Save'));
    await act(async () => {
      expect(await edits[0]).toBe(true);
    });

    expect(bodies).toEqual([{ owners: ['Bob', 'group:ML-Team'] }]);
    expect(server.calls('models/churn/owners', 'POST')).toHaveLength(1);
    // the section refreshed from the server: names as it stores them
    await until(() => ownersLine() === 'owners: bob, group:ml-team');
    expect(
      host.querySelector('.jp-mlops-Owners')?.getAttribute('data-owners')
    ).toBe('bob group:ml-team');
    expect(notes).toEqual(['success: Owners of churn: bob, group:ml-team']);
    expect(document.querySelector('.jp-Dialog')).toBeNull();

    // editing again starts from the current owners
    await click(host.querySelector('.jp-mlops-Owners-edit'));
    const again = await ownersDialog();
    expect(again.querySelector('input')?.value).toBe('bob, group:ml-team');
    await click(button(again, 'Cancel'));
    await act(async () => {
      expect(await edits[1]).toBe(false);
    });
    expect(bodies).toHaveLength(1);
    model.dispose();
  });

  it("shows the server's reason for a bad name and keeps what was typed", async () => {
    const { model, notes, bodies } = registry();
    const { edits } = await renderSection(model);

    await click(host.querySelector('.jp-mlops-Owners-edit'));
    let dialog = await ownersDialog();
    fill(dialog, 'alice, bad name');
    await click(button(dialog, 'Save'));

    dialog = await ownersDialog(true);
    expect(dialog.querySelector('[role=alert]')?.textContent).toBe(
      "invalid owner 'bad name': a user name or group:NAME, without spaces or commas"
    );
    expect(dialog.querySelector('input')?.value).toBe('alice, bad name');
    expect(ownersLine()).toBe('owner: alice (creator; no owners set)');

    // fixed in the same dialog: saved, and the section shows it
    fill(dialog, 'alice, carol');
    await click(button(dialog, 'Save'));
    await act(async () => {
      expect(await edits[0]).toBe(true);
    });
    expect(bodies).toEqual([
      { owners: ['alice', 'bad name'] },
      { owners: ['alice', 'carol'] }
    ]);
    await until(() => ownersLine() === 'owners: alice, carol');
    // the refusal was shown in the dialog only, not also as a notification
    expect(notes).toEqual(['success: Owners of churn: alice, carol']);
    model.dispose();
  });

  it('shows a refusal of who may set owners, and changes nothing on cancel', async () => {
    const { model, notes, state } = registry();
    state.refuse = true;
    const { edits } = await renderSection(model);

    await click(host.querySelector('.jp-mlops-Owners-edit'));
    let dialog = await ownersDialog();
    fill(dialog, 'browser-test');
    await click(button(dialog, 'Save'));
    dialog = await ownersDialog(true);
    expect(dialog.querySelector('[role=alert]')?.textContent).toBe(
      'browser-test cannot change the owners of churn: only its creator (alice), a current owner (none set) or an admin can'
    );
    await click(button(dialog, 'Cancel'));
    await act(async () => {
      expect(await edits[0]).toBe(false);
    });
    expect(ownersLine()).toBe('owner: alice (creator; no owners set)');
    expect(notes).toEqual([]);
    model.dispose();
  });
});
