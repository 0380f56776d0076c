/**
 * The Monitoring section over a fake REST server: check history, a check's
 * report with per-column histograms, Retrain with progress, Roll back.
 */
import * as React from 'react';
import { act } from 'react';

import { checkHistory, MonitorView } from '../components/MonitorView';
import { INotifier, MlopsModel } from '../model';
import { IMonitorCheck, IRetrainState } from '../types';
import { FRONTEND_VERSION } from '../version';
import { fakeServer, IFakeServer, runsRoute, waitFor } from './fakeServer';
import { host, mountEachTest, root } from './reactHost';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

function check(overrides: Partial<IMonitorCheck>): IMonitorCheck {
  return {
    check_id: 'c1',
    model: 'demand',
    version: 1,
    alias: 'production',
    kind: 'drift',
    status: 'ok',
    drifted_columns: [],
    result: { drifted: 0 },
    run_id: 'train00001',
    check_run_id: 'check0001',
    notebook: 'monitoring/train_demand.ipynb',
    retrain_run_id: null,
    candidate_version: null,
    rolled_back_to: null,
    created_at: 1795688400,
    ...overrides
  };
}

const CHECKS = [
  check({ check_id: 'a', status: 'ok', created_at: 1795688000 }),
  check({ check_id: 'b', status: 'warning', created_at: 1795688500 }),
  check({
    check_id: 'c',
    status: 'failed',
    drifted_columns: ['temperature'],
    result: { drifted: 1 },
    created_at: 1795689000
  }),
  check({ check_id: 'p', kind: 'performance', created_at: 1795689100 })
];

const REPORT = {
  check: CHECKS[2],
  report: {
    rule: 'any column drifts',
    on: 'profiles',
    error: 0.007,
    columns: [
      {
        column: 'temperature',
        kind: 'numeric',
        method: 'wasserstein',
        statistic: 1.31,
        p_value: null,
        threshold: 0.1,
        drifted: true,
        histogram: {
          edges: [0, 1, 2, 3],
          reference: [0.5, 0.3, 0.2],
          current: [0.1, 0.3, 0.6]
        },
        stats: {}
      },
      {
        column: 'region',
        kind: 'categorical',
        method: 'jensenshannon',
        statistic: 0.02,
        p_value: null,
        threshold: 0.1,
        drifted: false,
        histogram: {
          labels: ['north', 'south'],
          reference: [0.6, 0.4],
          current: [0.58, 0.42]
        },
        stats: {}
      }
    ],
    problems: [
      { kind: 'extra_column', severity: 'warning', message: "'x' is extra" }
    ]
  }
};

mountEachTest();

function setUp(): {
  server: IFakeServer;
  model: MlopsModel;
  notifier: { error: jest.Mock; success: jest.Mock };
} {
  const server = fakeServer();
  server.on('version', () => ({ version: FRONTEND_VERSION, api: 'v1' }));
  server.on('runs', runsRoute(0));
  server.on('models', () => ({ models: [] }));
  server.on('monitor', () => ({ checks: CHECKS }));
  server.on('monitor/c', () => REPORT);
  const notifier = { error: jest.fn(), success: jest.fn() };
  const model = new MlopsModel({
    client: server.client,
    notifier: notifier as INotifier,
    pageSize: 100,
    pollInterval: 60_000
  });
  (model as any)._retrainPollMs = 5;
  return { server, model, notifier };
}

function click(element: Element | null): Promise<void> {
  return act(async () => {
    (element as HTMLElement).dispatchEvent(
      new MouseEvent('click', { bubbles: true })
    );
  });
}

/** Wait for `condition` (generously: CI machines are shared and slow). */
async function until(condition: () => boolean): Promise<void> {
  await act(async () => {
    await waitFor(condition, 15_000);
  });
}

/** Wait for a DOM condition, leaving the act scope between looks so React flushes. */
async function untilDom(condition: () => boolean): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > 15_000) {
      throw new Error('condition not met in time');
    }
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 20));
    });
  }
}

describe('checkHistory', () => {
  it('keeps the checks of the same model, alias and kind, oldest first', () => {
    const history = checkHistory(CHECKS, CHECKS[2]);
    expect(history.map(c => c.check_id)).toEqual(['a', 'b', 'c']);
  });
});

describe('MonitorView (issue 12)', () => {
  it('shows the history strip and opens the report with histograms', async () => {
    const { model } = setUp();
    await act(async () => {
      root.render(<MonitorView model={model} onOpenRun={jest.fn()} />);
    });
    await act(() => model.refreshChecks());
    const drift = host.querySelector('[data-check-id=c]')!;
    const marks = Array.from(drift.querySelectorAll('.jp-mlops-CheckMark')).map(
      m => m.getAttribute('data-status')
    );
    expect(marks).toEqual(['ok', 'warning', 'failed']);
    await click(drift.querySelector('[data-action=report]'));
    await untilDom(() => host.querySelectorAll('[data-column]').length === 2);
    const temperature = host.querySelector('[data-column=temperature]')!;
    expect(temperature.className).toContain('jp-mlops-ColumnDrifted');
    expect(temperature.querySelectorAll('svg rect')).toHaveLength(6);
    expect(temperature.querySelector('rect title')?.textContent).toContain(
      'reference 50.0%'
    );
    expect(host.querySelector('.jp-mlops-Problems')?.textContent).toContain(
      "'x' is extra"
    );
    model.dispose();
  });

  it('opens the training run and notebook, rolls back, retrains with progress', async () => {
    const { server, model, notifier } = setUp();
    const states: IRetrainState[] = [];
    const base: IRetrainState = {
      retrain_id: 'r1',
      name: 'demand',
      alias: 'production',
      status: 'running',
      run_id: null,
      result: null,
      error: null,
      started_at: 1795689200,
      finished_at: null
    };
    let posted: any = null;
    server.on(
      'monitor/retrain',
      async (request: Request) => {
        posted = await request.json();
        return base;
      },
      'POST'
    );
    let polls = 0;
    server.on('monitor/retrain/r1', () => {
      polls += 1;
      const state =
        polls < 3
          ? { ...base, run_id: 'retrain01' }
          : {
              ...base,
              status: 'finished',
              run_id: 'retrain01',
              result: { candidate: 2, action: 'approval-requested' },
              finished_at: 1795689300
            };
      states.push(state as IRetrainState);
      return state;
    });
    const actions = {
      openNotebook: jest.fn(),
      rollback: jest.fn(),
      askDataPath: jest.fn(async () => 'data/labelled.csv')
    };
    const onOpenRun = jest.fn();
    await act(async () => {
      root.render(
        <MonitorView model={model} onOpenRun={onOpenRun} actions={actions} />
      );
    });
    await act(() => model.refreshChecks());
    const drift = host.querySelector('[data-check-id=c]')!;
    await click(drift.querySelector('[data-action=open-training-run]'));
    expect(onOpenRun).toHaveBeenCalledWith('train00001');
    await click(drift.querySelector('[data-action=open-notebook]'));
    expect(actions.openNotebook).toHaveBeenCalledWith(
      'monitoring/train_demand.ipynb'
    );
    await click(drift.querySelector('[data-action=rollback]'));
    expect(actions.rollback).toHaveBeenCalledWith('demand', 1, ['production']);
    await click(drift.querySelector('[data-action=retrain]'));
    expect(actions.askDataPath).toHaveBeenCalledWith('demand', 'production');
    expect(posted).toEqual({
      name: 'demand',
      alias: 'production',
      data: 'data/labelled.csv',
      check_id: 'c'
    });
    // wait on the model (React flushes the view when the act scope ends)
    await until(
      () => model.retrains.get('demand@production')?.status === 'finished'
    );
    expect(
      host
        .querySelector('[data-check-id=c] .jp-mlops-Retrain')
        ?.getAttribute('data-retrain-status')
    ).toBe('finished');
    expect(
      host.querySelector('[data-check-id=c] .jp-mlops-Retrain')?.textContent
    ).toContain('candidate v2 (approval-requested)');
    expect(states.some(s => s.status === 'running')).toBe(true);
    expect(notifier.success).toHaveBeenCalledWith(
      'Retrained demand@production: v2 (approval-requested)'
    );
    model.dispose();
  });
});
