/**
 * The sidebar's pure logic: virtualization windows, columns, diffs, the
 * %%track toggle, the batch form, chart ticks, lineage layout and the rules
 * that decide what each view offers.
 */
import { diffRows } from '../components/CompareView';
import { formatDuration, formatValue, fieldName } from '../components/format';
import { layoutLineage } from '../components/LineageGraph';
import { niceTicks } from '../components/LineChart';
import { focusOfNode, lineageId } from '../components/LineageView';
import { allowedActions } from '../components/ModelsView';
import { latestChecks } from '../components/MonitorView';
import {
  columnBudget,
  metricColumns,
  visibleRange
} from '../components/RunsView';
import { sweepProgress } from '../components/SweepsView';
import { sweepRequest, sweepSummary } from '../commands/batch';
import { isTracked, loadsExtension, toggleTrack } from '../commands/track';
import { INotebookParameter, IModelVersion, IMonitorCheck } from '../types';
import { makeRun } from './fakeServer';

describe('visibleRange', () => {
  it('covers the viewport plus overscan, clipped to the rows there are', () => {
    expect(visibleRange(0, 260, 100_000, 26, 5)).toEqual([0, 16]);
    expect(visibleRange(26 * 1000, 260, 100_000, 26, 5)).toEqual([995, 1016]);
    expect(visibleRange(26 * 99_995, 260, 100_000, 26, 5)).toEqual([
      99_990, 100_000
    ]);
    expect(visibleRange(0, 260, 0)).toEqual([0, 0]);
  });
});

describe('columns', () => {
  it('fits fewer columns in a narrow sidebar', () => {
    expect(columnBudget(250)).toEqual({ metrics: 1, times: false });
    expect(columnBudget(460)).toEqual({ metrics: 1, times: true });
    expect(columnBudget(900).metrics).toBe(3);
  });

  it('shows the commonest metrics, and always the one sorted by', () => {
    const runs = [
      makeRun(0, { metrics: { acc: 1, loss: 2, f1: 3 } }),
      makeRun(1, { metrics: { acc: 1, loss: 2 } }),
      makeRun(2, { metrics: { acc: 1, rare: 0 } })
    ];
    expect(metricColumns(runs, 'start_time', 2)).toEqual(['acc', 'loss']);
    expect(metricColumns(runs, 'metrics.rare', 2)).toEqual(['acc', 'rare']);
    expect(metricColumns(runs, 'metrics.`rare`', 3)).toEqual([
      'acc',
      'loss',
      'rare'
    ]);
  });

  it('back-quotes metric keys the filter language cannot read bare', () => {
    expect(fieldName('metrics', 'val_acc')).toBe('metrics.val_acc');
    expect(fieldName('metrics', 'val acc')).toBe('metrics.`val acc`');
    expect(fieldName('params', 'a.b')).toBe('params.`a.b`');
  });
});

describe('format', () => {
  it('keeps numbers short and readable', () => {
    expect(formatValue(0.0001)).toBe('0.0001');
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(1234567.8)).toBe('1.235e+6');
    expect(formatValue(42)).toBe('42');
    expect(formatValue(null)).toBe('—');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
    expect(formatDuration(0.25)).toBe('250 ms');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatDuration(null)).toBe('—');
  });
});

describe('diffRows', () => {
  it('marks keys whose values differ, or that a run lacks', () => {
    const rows = diffRows([
      { alpha: 0.1, model: 'ridge', seed: 1 },
      { alpha: 1, model: 'ridge' }
    ]);
    expect(rows.map(r => [r.key, r.differs])).toEqual([
      ['alpha', true],
      ['model', false],
      ['seed', true]
    ]);
    expect(rows[2].values).toEqual([1, undefined]);
  });
});

describe('%%track toggle', () => {
  it('adds the magic as the first line and removes it again', () => {
    const code = 'model.fit(X, y)\nacc = model.score(X, y)';
    const tracked = toggleTrack(code);
    expect(tracked).toBe(`%%track\n${code}`);
    expect(isTracked(tracked)).toBe(true);
    expect(toggleTrack(tracked)).toBe(code);
  });

  it('removes the magic with its options, and handles empty cells', () => {
    expect(toggleTrack('%%track -n rf -p n_estimators\nfit()')).toBe('fit()');
    expect(toggleTrack('')).toBe('%%track\n');
    expect(toggleTrack('%%track')).toBe('');
    expect(isTracked('%%tracked\nx')).toBe(false);
    expect(isTracked('# %%track\nx')).toBe(false);
  });

  it('knows whether a notebook loads the extension', () => {
    expect(loadsExtension(['import x', '%load_ext mlops_jupyter'])).toBe(true);
    expect(loadsExtension(['%load_ext autoreload'])).toBe(false);
  });
});

function parameter(
  name: string,
  kinds: string[],
  source: string
): INotebookParameter {
  return {
    name,
    type: kinds.join(' | '),
    kinds,
    choices: null,
    default: JSON.parse(source.replace(/'/g, '"')),
    default_source: source,
    annotation: null,
    help: null,
    line: 1
  };
}

describe('batch form', () => {
  const parameters = [
    parameter('alpha', ['float'], '0.1'),
    parameter('n_estimators', ['int'], '100'),
    parameter('model', ['str'], "'rf'")
  ];

  it('sends the values as typed: the server splits and types them', () => {
    const request = sweepRequest('train.ipynb', parameters, {
      values: { alpha: '0.1, 1', n_estimators: '200', model: "'rf'" },
      workers: 3
    });
    expect(request).toEqual({
      notebook: 'train.ipynb',
      grid: { alpha: '0.1, 1', n_estimators: '200' },
      workers: 3
    });
    expect(sweepSummary(request)).toBe(
      'Sweeps alpha, n_estimators on 3 workers'
    );
  });

  it('sends text it cannot read unchanged, for the server to refuse', () => {
    expect(
      sweepRequest('train.ipynb', parameters, {
        values: { alpha: 'x,,nan' },
        workers: 0
      })
    ).toEqual({
      notebook: 'train.ipynb',
      grid: { alpha: 'x,,nan' },
      workers: 1
    });
  });

  it('runs once with the defaults when nothing changed', () => {
    expect(
      sweepRequest('train.ipynb', parameters, { values: {}, workers: 1 }).grid
    ).toEqual({ alpha: '0.1' });
    expect(
      sweepRequest('train.ipynb', parameters, {
        values: { model: "'gbm'" },
        workers: 1
      })
    ).toEqual({
      notebook: 'train.ipynb',
      grid: { model: "'gbm'" },
      workers: 1
    });
  });
});

describe('niceTicks', () => {
  it('picks round steps inside the extent', () => {
    expect(niceTicks({ min: 0, max: 1 }, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks({ min: 3216, max: 3900 }, 4)).toEqual([3400, 3600, 3800]);
  });
});

describe('layoutLineage', () => {
  it('lays data flow out left to right', () => {
    const layout = layoutLineage({
      root: 'run:r1',
      direction: 'both',
      nodes: [
        {
          id: 'dataset:d1',
          type: 'dataset',
          node_id: 'd1',
          label: 'train.csv',
          attributes: {}
        },
        {
          id: 'run:r1',
          type: 'run',
          node_id: 'r1',
          label: 'rf',
          attributes: {}
        },
        {
          id: 'model_version:churn/1',
          type: 'model_version',
          node_id: 'churn/1',
          label: 'churn v1',
          attributes: {}
        }
      ],
      edges: [
        { source: 'dataset:d1', target: 'run:r1', role: 'input', name: 'df' },
        {
          source: 'run:r1',
          target: 'model_version:churn/1',
          role: 'output',
          name: null
        },
        { source: 'run:r1', target: 'dataset:gone', role: 'output', name: null }
      ]
    });
    const x = (id: string) => layout.nodes.find(n => n.node.id === id)!.x;
    expect(x('dataset:d1')).toBeLessThan(x('run:r1'));
    expect(x('run:r1')).toBeLessThan(x('model_version:churn/1'));
    expect(layout.edges).toHaveLength(2); // the edge to an unknown node is dropped
    expect(layout.width).toBeGreaterThan(0);
  });

  it('turns nodes into focus targets and back', () => {
    expect(lineageId({ kind: 'run', id: 'r1' })).toBe('r1');
    const focus = focusOfNode({
      id: 'model_version:my/model/3',
      type: 'model_version',
      node_id: 'my/model/3',
      label: 'v3',
      attributes: {}
    });
    expect(focus).toEqual({
      kind: 'model_version',
      id: 'my/model/3',
      name: 'my/model',
      version: 3
    });
    expect(lineageId(focus!)).toBe('models:/my/model/3');
  });
});

describe('allowedActions', () => {
  const base = { aliases: [], archived: false } as unknown as IModelVersion;
  it('offers what the approval state allows', () => {
    expect(allowedActions({ ...base, status: 'registered' })).toEqual([
      'request-approval',
      'archive'
    ]);
    expect(allowedActions({ ...base, status: 'pending' })).toEqual([
      'approve',
      'reject',
      'archive'
    ]);
    expect(
      allowedActions({ ...base, status: 'approved', aliases: ['production'] })
    ).toEqual(['promote', 'rollback']);
    expect(
      allowedActions({ ...base, status: 'approved', archived: true })
    ).toEqual([]);
  });
});

describe('latestChecks and sweepProgress', () => {
  it('keeps the newest check per alias and kind, failures first', () => {
    const check = (
      id: string,
      alias: string,
      kind: string,
      status: string,
      at: number
    ) =>
      ({
        check_id: id,
        model: 'm',
        version: 1,
        alias,
        kind,
        status,
        created_at: at
      }) as IMonitorCheck;
    const latest = latestChecks([
      check('a', 'production', 'drift', 'failed', 1),
      check('b', 'production', 'drift', 'ok', 2),
      check('c', 'staging', 'drift', 'warning', 1),
      check('d', 'production', 'performance', 'failed', 1)
    ]);
    expect(latest.map(c => c.check_id)).toEqual(['d', 'c', 'b']);
  });

  it('counts killed points as failed', () => {
    expect(
      sweepProgress({
        progress: {
          total: 8,
          finished: 3,
          failed: 1,
          killed: 1,
          running: 2,
          pending: 1
        }
      } as any)
    ).toEqual({ done: 3, failed: 2, running: 2, total: 8 });
  });
});
