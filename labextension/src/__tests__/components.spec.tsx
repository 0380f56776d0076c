/**
 * The sidebar's views rendered by React in jsdom over a model that talks to
 * a fake REST server: what the user sees, and what a click asks for.
 */
import * as React from 'react';
import { act } from 'react';

import { IModelActions, ModelsView } from '../components/ModelsView';
import { MonitorView } from '../components/MonitorView';
import { RunsView } from '../components/RunsView';
import { CompareView } from '../components/CompareView';
import { INotifier, MlopsModel } from '../model';
import { IMonitorCheck, IModelVersion } from '../types';
import { FRONTEND_VERSION } from '../version';
import {
  fakeServer,
  IFakeServer,
  json,
  makeRun,
  runsRoute,
  waitFor
} from './fakeServer';
import { host, mountEachTest, root } from './reactHost';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

const quiet: INotifier = { error: () => undefined, success: () => undefined };

function setUp(total = 5): { server: IFakeServer; model: MlopsModel } {
  const server = fakeServer();
  server.on('version', () => ({ version: FRONTEND_VERSION, api: 'v1' }));
  server.on('runs', runsRoute(total));
  server.on('models', () => ({ models: [] }));
  server.on('monitor', () => ({ checks: [] }));
  const model = new MlopsModel({
    client: server.client,
    notifier: quiet,
    pageSize: 100,
    pollInterval: 60_000
  });
  return { server, model };
}

mountEachTest();

async function render(element: JSX.Element): Promise<void> {
  await act(async () => {
    root.render(element);
  });
}

/** Let signals and promises settle, then wait for `selector` to match. */
async function until(condition: () => boolean): Promise<void> {
  await act(async () => {
    await waitFor(condition);
  });
}

function texts(selector: string): string[] {
  return Array.from(host.querySelectorAll(selector)).map(
    el => el.textContent ?? ''
  );
}

function click(element: Element | null): Promise<void> {
  return act(async () => {
    (element as HTMLElement).dispatchEvent(
      new MouseEvent('click', { bubbles: true })
    );
  });
}

describe('RunsView', () => {
  it('lists runs with status badges and metric columns', async () => {
    const { model } = setUp(3);
    await render(
      <RunsView model={model} onOpenRun={jest.fn()} onCompare={jest.fn()} />
    );
    await until(() => texts('.jp-mlops-RunsTable-name').length === 4);
    expect(texts('[role=row] .jp-mlops-RunsTable-name').slice(1)).toEqual([
      'run-0',
      'run-1',
      'run-2'
    ]);
    expect(texts('.jp-mlops-RunsTable-row .jp-mlops-Status')).toEqual([
      'finished',
      'finished',
      'finished'
    ]);
    const headers = texts('[role=columnheader]');
    expect(headers).toEqual(
      expect.arrayContaining(['Status', 'Run', 'acc', 'loss'])
    );
    expect(host.querySelector('.jp-mlops-Runs-footer')?.textContent).toBe(
      '3 runs'
    );
    model.dispose();
  });

  it('renders only the rows on screen of 100 000 runs', async () => {
    const { server, model } = setUp(100_000);
    await render(
      <RunsView model={model} onOpenRun={jest.fn()} onCompare={jest.fn()} />
    );
    await until(
      () =>
        host.querySelectorAll('.jp-mlops-RunsTable-row[data-run-id]').length > 0
    );
    expect(
      host.querySelectorAll('.jp-mlops-RunsTable-row').length
    ).toBeLessThan(60);
    const body = host.querySelector('.jp-mlops-RunsTable-body') as HTMLElement;
    expect(body.style.height).toBe(`${100_000 * 26}px`);
    expect(server.calls('runs')).toHaveLength(1);
    expect(host.querySelector('.jp-mlops-Runs-footer')?.textContent).toBe(
      '100,000 runs'
    );
    model.dispose();
  });

  it('sorts by a column header, toggling the direction', async () => {
    const { server, model } = setUp(3);
    await render(
      <RunsView model={model} onOpenRun={jest.fn()} onCompare={jest.fn()} />
    );
    await until(
      () =>
        texts('.jp-mlops-RunsTable-row .jp-mlops-RunsTable-name').length === 3
    );
    const acc = () =>
      Array.from(host.querySelectorAll('[role=columnheader]')).find(h =>
        h.textContent?.startsWith('acc')
      )!;
    await click(acc());
    await until(() => server.calls('runs').length === 2 && !model.loadingRuns);
    expect(server.calls('runs')[1].searchParams.get('order_by')).toBe(
      'metrics.acc desc'
    );
    expect(acc().getAttribute('aria-sort')).toBe('descending');
    await click(acc());
    await until(() => server.calls('runs').length === 3 && !model.loadingRuns);
    expect(server.calls('runs')[2].searchParams.get('order_by')).toBe(
      'metrics.acc asc'
    );
    model.dispose();
  });

  it("shows a refused filter's message under the filter box", async () => {
    const { server, model } = setUp(3);
    await render(
      <RunsView model={model} onOpenRun={jest.fn()} onCompare={jest.fn()} />
    );
    server.on('runs', (_request, url) =>
      url.searchParams.get('filter')
        ? json(400, {
            message: 'malformed filter at position 4\n  acc >\n      ^'
          })
        : runsRoute(3)(_request, url)
    );
    const input = host.querySelector(
      '.jp-mlops-FilterBox-input'
    ) as HTMLInputElement;
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(
        HTMLInputElement.prototype,
        'value'
      )!.set!;
      setter.call(input, 'acc >');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => {
      input.form!.dispatchEvent(
        new Event('submit', { bubbles: true, cancelable: true })
      );
    });
    await until(() => host.querySelector('.jp-mlops-FilterBox-error') !== null);
    expect(
      host.querySelector('.jp-mlops-FilterBox-error')?.textContent
    ).toContain('malformed filter at position 4');
    expect(host.querySelector('[role=alert]')).not.toBeNull();
    model.dispose();
  });

  it('opens a run on click and compares the ticked ones', async () => {
    const { model } = setUp(3);
    const onOpenRun = jest.fn();
    const onCompare = jest.fn();
    await render(
      <RunsView model={model} onOpenRun={onOpenRun} onCompare={onCompare} />
    );
    await until(
      () =>
        host.querySelectorAll('.jp-mlops-RunsTable-row[data-run-id]').length ===
        3
    );
    await click(host.querySelector('[data-run-id=run000001]'));
    expect(onOpenRun).toHaveBeenCalledWith('run000001');
    expect(model.lineageFocus).toEqual({ kind: 'run', id: 'run000001' });

    const compare = host.querySelector(
      '.jp-mlops-CompareButton'
    ) as HTMLButtonElement;
    expect(compare.disabled).toBe(true);
    await click(host.querySelector('[data-run-id=run000000] input'));
    await click(host.querySelector('[data-run-id=run000002] input'));
    expect(compare.disabled).toBe(false);
    expect(compare.textContent).toBe('Compare (2)');
    await click(compare);
    expect(onCompare).toHaveBeenCalledWith(['run000000', 'run000002']);
    expect(onOpenRun).toHaveBeenCalledTimes(1); // ticking does not open
    model.dispose();
  });
});

describe('CompareView', () => {
  it('highlights the params that differ and overlays metric histories', async () => {
    const { server, model } = setUp();
    for (const [index, alpha] of [
      [0, 0.1],
      [1, 1.0]
    ] as [number, number][]) {
      const run = makeRun(index, { params: { alpha, model: 'ridge' } });
      server.on(`runs/${run.run_id}`, () => ({
        ...run,
        metric_keys: ['loss'],
        source: {},
        environment: null,
        inputs: [],
        outputs: [],
        artifacts: [],
        children: [],
        error: null
      }));
      server.on(`runs/${run.run_id}/metrics/loss`, () => ({
        run_id: run.run_id,
        key: 'loss',
        total_points: 3,
        nonfinite_points: 0,
        method: 'none',
        step: [0, 1, 2],
        value: [1, 0.5 + index, 0.25],
        timestamp: [1, 2, 3]
      }));
    }
    await render(
      <CompareView
        model={model}
        runIds={['run000000', 'run000001']}
        onOpenRun={jest.fn()}
      />
    );
    await until(
      () => host.querySelectorAll('.jp-mlops-Chart-line').length === 2
    );
    const differing = texts('table[data-table=params] tr.jp-mod-differs th');
    expect(differing).toEqual(['alpha']);
    expect(
      host.querySelector('.jp-mlops-Chart[data-metric=loss]')
    ).not.toBeNull();
    model.dispose();
  });
});

function version(
  number: number,
  overrides: Partial<IModelVersion> = {}
): IModelVersion {
  return {
    name: 'churn',
    version: number,
    version_id: `v${number}`,
    uri: `models:/churn/${number}`,
    status: 'registered',
    run_id: `run00000${number}`,
    artifact_name: 'model.skops',
    artifact_digest: 'ab'.repeat(32),
    artifact_size: 100,
    flavor: 'sklearn',
    format: 'skops',
    model_class: 'sklearn.linear_model.Ridge',
    description: null,
    registered_by: 'alice',
    registered_at: 1795688400 + number,
    archived: false,
    archived_at: null,
    archived_by: null,
    aliases: [],
    approval_round: 0,
    approved_by: [],
    metrics: { r2: 0.5 },
    params: {},
    signature: null,
    ...overrides
  };
}

describe('ModelsView', () => {
  function actions(): jest.Mocked<IModelActions> {
    return {
      registerFromRun: jest.fn(),
      requestApproval: jest.fn(),
      review: jest.fn(),
      promote: jest.fn(),
      rollback: jest.fn(),
      archive: jest.fn(),
      editOwners: jest.fn(),
      openRun: jest.fn(),
      showModelLineage: jest.fn()
    };
  }

  it('says how to register a first model when there is none', async () => {
    const { model } = setUp();
    await render(
      <ModelsView model={model} actions={actions()} rendermime={null} />
    );
    await act(() => model.refreshModels());
    expect(host.querySelector('.jp-mlops-Empty')?.textContent).toMatch(
      /No registered models yet/
    );
    model.dispose();
  });

  it('shows versions with alias badges, approval state and the actions each allows', async () => {
    const { server, model } = setUp();
    server.on('models', () => ({
      models: [
        {
          name: 'churn',
          description: null,
          owner: 'alice',
          policy: {},
          created_at: 1,
          updated_at: 2,
          versions: 3,
          latest_version: 3,
          aliases: { production: 1 }
        }
      ]
    }));
    server.on('models/churn', () => ({
      name: 'churn',
      description: null,
      owner: 'alice',
      policy: {},
      created_at: 1,
      updated_at: 2,
      latest_version: 3,
      aliases: { production: 1 },
      versions: [
        version(1, { status: 'approved', aliases: ['production'] }),
        version(2, { status: 'pending' }),
        version(3)
      ],
      alias_history: [
        {
          alias: 'production',
          revision: 1,
          action: 'promote',
          from_version: null,
          to_version: 1,
          actor: 'bob',
          reason: null,
          forced: false,
          gates: null,
          at: 1795688500
        }
      ]
    }));
    const mocked = actions();
    await render(
      <ModelsView model={model} actions={mocked} rendermime={null} />
    );
    await act(() => model.refreshModels());
    await until(() => host.querySelectorAll('.jp-mlops-Version').length === 3);

    expect(texts('.jp-mlops-AliasPointer')).toEqual(['@production v1']);
    const row = (n: number) =>
      host.querySelector(`.jp-mlops-Version[data-version='${n}']`)!;
    expect(row(1).querySelector('.jp-mlops-Alias')?.textContent).toBe(
      '@production'
    );
    expect(row(2).querySelector('.jp-mlops-Approval')?.textContent).toBe(
      'pending'
    );
    expect(row(3).querySelector('.jp-mlops-Approval')?.textContent).toBe(
      'not reviewed'
    );
    const actionsOf = (n: number) =>
      Array.from(row(n).querySelectorAll('[data-action]')).map(b =>
        b.getAttribute('data-action')
      );
    expect(actionsOf(1)).toEqual(['promote', 'rollback']);
    expect(actionsOf(2)).toEqual(['approve', 'reject', 'archive']);
    expect(actionsOf(3)).toEqual(['request-approval', 'archive']);
    expect(texts('.jp-mlops-Timeline li')[0]).toContain('promote');

    await click(row(2).querySelector('[data-action=approve]'));
    expect(mocked.review).toHaveBeenCalledWith('churn', 2, 'approve');
    await click(row(1).querySelector('[data-action=rollback]'));
    expect(mocked.rollback).toHaveBeenCalledWith('churn', 1, ['production']);
    model.dispose();
  });

  it("opens a revealed version's model and card, in view", async () => {
    const { server, model } = setUp();
    const summary = (name: string) => ({
      name,
      description: null,
      owner: 'alice',
      owners: ['bob'],
      policy: {},
      created_at: 1,
      updated_at: 2,
      versions: 2,
      latest_version: 2,
      aliases: {}
    });
    server.on('models', () => ({
      models: [summary('churn'), summary('fraud')]
    }));
    server.on('models/fraud', () => ({
      ...summary('fraud'),
      versions: [
        version(1, { name: 'fraud' }),
        version(2, { name: 'fraud', status: 'pending' })
      ],
      alias_history: []
    }));
    server.on('models/fraud/versions/2', () => ({
      ...version(2, { name: 'fraud', status: 'pending' }),
      approvals: [],
      card: 'fraud v2 card'
    }));
    await render(
      <ModelsView model={model} actions={actions()} rendermime={null} />
    );
    await act(() => model.refreshModels());
    // two models: both closed until something asks
    expect(host.querySelectorAll('.jp-mlops-Version')).toHaveLength(0);

    await act(async () => model.revealVersion('fraud', 2));
    const fraud = "[data-model='fraud']";
    await until(
      () =>
        host.querySelector(`${fraud} .jp-mlops-Version[data-version='2'] pre`)
          ?.textContent === 'fraud v2 card'
    );
    const revealed = host.querySelectorAll('.jp-mod-revealed');
    expect(revealed).toHaveLength(1);
    expect(revealed[0].getAttribute('data-version')).toBe('2');
    expect(
      host
        .querySelector(`${fraud} .jp-mlops-Version[data-version='1']`)
        ?.querySelector('.jp-mlops-VersionDetail')
    ).toBeNull();
    expect(
      host
        .querySelector("[data-model='churn'] .jp-mlops-Model-header")
        ?.getAttribute('aria-expanded')
    ).toBe('false');

    // closed by the user, revealed again: open again
    await click(revealed[0].querySelector('.jp-mlops-Version-toggle'));
    expect(revealed[0].querySelector('pre')).toBeNull();
    await act(async () => model.revealVersion('fraud', 2));
    await until(() => revealed[0].querySelector('pre') !== null);
    model.dispose();
  });
});

describe('MonitorView', () => {
  function check(overrides: Partial<IMonitorCheck>): IMonitorCheck {
    return {
      check_id: 'c1',
      model: 'churn',
      version: 1,
      alias: 'production',
      kind: 'drift',
      status: 'ok',
      drifted_columns: [],
      result: { share_drifted: 0 },
      run_id: 'run000001',
      check_run_id: 'check00001',
      notebook: null,
      retrain_run_id: null,
      candidate_version: null,
      rolled_back_to: null,
      created_at: 1795688400,
      ...overrides
    };
  }

  it('works with no checks at all', async () => {
    const { model } = setUp();
    await render(<MonitorView model={model} onOpenRun={jest.fn()} />);
    await act(() => model.refreshChecks());
    expect(host.textContent).toMatch(/No monitoring checks yet/);
    model.dispose();
  });

  it('shows the latest check per alias with status, drifted columns and training run', async () => {
    const { server, model } = setUp();
    server.on('monitor', () => ({
      checks: [
        check({ check_id: 'old', status: 'ok', created_at: 1795688000 }),
        check({
          check_id: 'new',
          status: 'failed',
          drifted_columns: ['bmi', 'age'],
          created_at: 1795689000
        })
      ]
    }));
    const onOpenRun = jest.fn();
    await render(<MonitorView model={model} onOpenRun={onOpenRun} />);
    await act(() => model.refreshChecks());
    const items = host.querySelectorAll('.jp-mlops-CheckItem');
    expect(items).toHaveLength(1);
    expect(items[0].getAttribute('data-check-id')).toBe('new');
    expect(items[0].querySelector('.jp-mlops-Check')?.textContent).toBe(
      'failed'
    );
    expect(texts('.jp-mlops-Drifted code')).toEqual(['bmi', 'age']);
    await click(items[0].querySelector('.jp-mlops-LinkButton'));
    expect(onOpenRun).toHaveBeenCalledWith('run000001');
    model.dispose();
  });
});
