/**
 * The sidebar model against a fake REST server: handshake, paging of runs,
 * signals, the poll's standby while hidden, and errors as notifications.
 */
import { INotifier, MlopsModel } from '../model';
import { FRONTEND_VERSION } from '../version';
import {
  fakeServer,
  IFakeServer,
  json,
  runsRoute,
  sleep,
  waitFor
} from './fakeServer';

class RecordingNotifier implements INotifier {
  errors: { message: string; sticky: boolean }[] = [];
  successes: string[] = [];
  error(message: string, sticky = false): void {
    this.errors.push({ message, sticky });
  }
  success(message: string): void {
    this.successes.push(message);
  }
}

function setUp(
  options: {
    total?: number;
    visible?: () => boolean;
    pollInterval?: number;
    notebook?: () => string | null;
  } = {}
): { server: IFakeServer; model: MlopsModel; notifier: RecordingNotifier } {
  const server = fakeServer();
  server.on('version', () => ({ version: FRONTEND_VERSION, api: 'v1' }));
  server.on('runs', runsRoute(options.total ?? 250));
  server.on('models', () => ({ models: [] }));
  server.on('monitor', () => ({ checks: [] }));
  const notifier = new RecordingNotifier();
  const model = new MlopsModel({
    client: server.client,
    notifier,
    isVisible: options.visible ?? (() => true),
    notebookPath: options.notebook,
    pageSize: 100,
    pollInterval: options.pollInterval ?? 60_000
  });
  return { server, model, notifier };
}

describe('MlopsModel handshake', () => {
  it('is usable when the server speaks the same version', async () => {
    const { model, notifier } = setUp();
    const states: string[] = [];
    model.connectionChanged.connect((_, state) => states.push(state.status));
    await model.checkServer();
    expect(states).toEqual(['loading', 'ok']);
    expect(model.isUsable).toBe(true);
    expect(notifier.errors).toEqual([]);
    model.dispose();
  });

  it('warns, and stays usable, when only the package version differs', async () => {
    const { server, model, notifier } = setUp();
    server.on('version', () => ({ version: '9.9.9', api: 'v1' }));
    await model.checkServer();
    expect(model.connection.status).toBe('mismatch');
    expect(model.isUsable).toBe(true);
    expect(notifier.errors).toHaveLength(1);
    expect(notifier.errors[0].message).toMatch(/server is version 9\.9\.9/);
    expect(notifier.errors[0].sticky).toBe(true);
    model.dispose();
  });

  it('stops at another API generation and fetches no runs', async () => {
    const { server, model } = setUp();
    server.on('version', () => ({ version: FRONTEND_VERSION, api: 'v2' }));
    await model.start();
    expect(model.isUsable).toBe(false);
    expect(server.calls('runs')).toHaveLength(0);
    model.dispose();
  });

  it('explains a missing server extension once, as a sticky notification', async () => {
    const { server, model, notifier } = setUp();
    server.on(
      'version',
      () => new Response('<html>404</html>', { status: 404 })
    );
    await model.checkServer();
    await model.checkServer();
    expect(model.connection.status).toBe('error');
    expect(notifier.errors).toHaveLength(1);
    expect(notifier.errors[0].message).toMatch(
      /^MLOps sidebar: Not found: is the mlops_jupyter server extension installed and enabled\?/
    );
    expect(notifier.errors[0].sticky).toBe(true);
    model.dispose();
  });
});

describe('MlopsModel runs', () => {
  it('fetches only the pages of the rows asked for', async () => {
    const { server, model } = setUp({ total: 100_000 });
    let changes = 0;
    model.runsChanged.connect(() => changes++);
    model.ensureRows(150, 260);
    await waitFor(
      () => server.calls('runs').length === 2 && !model.loadingRuns
    );
    const offsets = server
      .calls('runs')
      .map(url => url.searchParams.get('offset'));
    expect(offsets.sort()).toEqual(['100', '200']);
    expect(server.calls('runs')[0].searchParams.get('limit')).toBe('100');
    expect(model.totalRuns).toBe(100_000);
    expect(model.runAt(150)?.run_id).toBe('run000150');
    expect(model.runAt(299)?.run_id).toBe('run000299');
    expect(model.runAt(99)).toBeUndefined();
    expect(changes).toBe(2);

    // asking again for loaded rows costs nothing
    model.ensureRows(160, 200);
    await sleep(20);
    expect(server.calls('runs')).toHaveLength(2);
    model.dispose();
  });

  it('sends the filter, the order and the notebook to the server', async () => {
    const { server, model } = setUp({ notebook: () => 'work/train.ipynb' });
    model.setQuery({
      scope: 'notebook',
      filter: "metrics.acc > 0.9 and params.model = 'rf'",
      orderBy: 'metrics.acc',
      descending: true
    });
    await waitFor(() => server.calls('runs').length > 0 && !model.loadingRuns);
    const url = server.calls('runs').pop()!;
    expect(url.searchParams.get('filter')).toBe(
      "metrics.acc > 0.9 and params.model = 'rf'"
    );
    expect(url.searchParams.get('order_by')).toBe('metrics.acc desc');
    expect(url.searchParams.get('notebook')).toBe('work/train.ipynb');
    model.dispose();
  });

  it('asks nothing for "this notebook" when no notebook is open', async () => {
    const { server, model } = setUp({ notebook: () => null });
    model.setQuery({ scope: 'notebook' });
    await sleep(20);
    expect(model.missingNotebook).toBe(true);
    expect(server.calls('runs')).toHaveLength(0);
    model.dispose();
  });

  it('drops an answer to a query that was replaced meanwhile', async () => {
    const { server, model } = setUp();
    let release: () => void = () => undefined;
    const slow = new Promise<void>(resolve => (release = resolve));
    server.on('runs', async (request, url) => {
      if (url.searchParams.get('filter') === 'status = "failed"') {
        await slow;
      }
      return runsRoute(url.searchParams.get('filter') ? 3 : 7)(request, url);
    });
    model.setQuery({ filter: 'status = "failed"' });
    model.setQuery({ filter: '' });
    await waitFor(() => model.totalRuns === 7);
    release();
    await sleep(20);
    expect(model.totalRuns).toBe(7);
    model.dispose();
  });

  it("shows the server's 400 message inline, without a notification", async () => {
    const { server, model, notifier } = setUp();
    const message =
      'malformed filter at position 12: expected a value\n  metrics.acc >\n              ^';
    server.on('runs', () => json(400, { message, reason: 'Bad Request' }));
    model.setQuery({ filter: 'metrics.acc >' });
    await waitFor(() => model.filterError !== null);
    expect(model.filterError).toBe(message);
    expect(model.totalRuns).toBe(0);
    expect(notifier.errors).toEqual([]);
    model.dispose();
  });

  it('reports a server error once, however often the poll repeats it', async () => {
    const { server, model, notifier } = setUp({ pollInterval: 10 });
    await model.checkServer();
    server.on('runs', () => json(500, { message: 'database is locked' }));
    void model.poll.start();
    await waitFor(() => server.calls('runs').length >= 2);
    expect(notifier.errors).toHaveLength(1);
    expect(notifier.errors[0].message).toBe(
      'MLOps sidebar: Server error 500 (database is locked)'
    );
    model.dispose();
  });
});

describe('MlopsModel poll', () => {
  it('stands by while the panel is hidden and resumes when shown', async () => {
    let visible = false;
    const { server, model } = setUp({
      visible: () => visible,
      pollInterval: 10
    });
    await model.start();
    model.ensureRows(0, 40); // the table renders while hidden: it must ask nothing
    await sleep(120);
    expect(server.calls('runs')).toHaveLength(0);
    expect(server.calls('models')).toHaveLength(0);
    expect(model.poll.state.phase).toBe('standby');

    visible = true;
    await waitFor(() => server.calls('models').length >= 2);
    expect(server.calls('runs').length).toBeGreaterThan(0);
    expect(server.calls('runs')[0].searchParams.get('offset')).toBe('0');
    model.dispose();
  });

  it('re-fetches only the visible pages on each tick', async () => {
    const { server, model } = setUp({ total: 10_000 });
    await model.start();
    model.ensureRows(500, 560);
    await waitFor(() => !model.loadingRuns && model.runAt(500) !== undefined);
    const before = server.calls('runs').length;
    await model.refresh();
    await waitFor(() => server.calls('runs').length > before);
    const refreshed = server
      .calls('runs')
      .slice(before)
      .map(url => url.searchParams.get('offset'));
    expect(refreshed).toEqual(['500']);
    model.dispose();
  });
});

describe('MlopsModel selection and lineage focus', () => {
  it('signals selection changes and gathers runs additively', () => {
    const { model } = setUp();
    const seen: string[][] = [];
    model.selectionChanged.connect((_, ids) => seen.push([...ids]));
    model.select('a');
    model.select('b', true);
    model.select('a', true);
    expect(seen).toEqual([['a'], ['a', 'b'], ['b']]);
    expect(model.lineageFocus).toBeNull(); // ticking a run does not open it

    const focused: unknown[] = [];
    model.lineageFocusChanged.connect((_, focus) => focused.push(focus));
    model.setLineageFocus({ kind: 'run', id: 'a' });
    model.setLineageFocus({ kind: 'run', id: 'a' });
    expect(focused).toEqual([{ kind: 'run', id: 'a' }]);
    model.dispose();
  });
});

describe('MlopsModel registry actions', () => {
  const version = {
    name: 'churn',
    version: 3,
    status: 'approved',
    aliases: []
  };

  it('approves with a comment, tells the user and refreshes the model', async () => {
    const { server, model, notifier } = setUp();
    let body: unknown = null;
    server.on(
      'models/churn/versions/3/approve',
      async request => {
        body = await request.json();
        return { action: 'approve', actor: 'bob', version, alias_change: null };
      },
      'POST'
    );
    const changed: string[] = [];
    model.modelChanged.connect((_, name) => changed.push(name));
    expect(await model.approve('churn', 3, 'reviewed')).toBe(true);
    expect(body).toEqual({ comment: 'reviewed' });
    expect(notifier.successes).toEqual(['Approved churn v3']);
    expect(changed).toEqual(['churn']);
    expect(server.calls('models')).toHaveLength(1);
    model.dispose();
  });

  it("shows the registry's refusal and reports failure", async () => {
    const { server, model, notifier } = setUp();
    server.on(
      'models/churn/versions/3/approve',
      () =>
        json(409, {
          message: 'bob registered churn version 3 and cannot approve it'
        }),
      'POST'
    );
    expect(await model.approve('churn', 3, '')).toBe(false);
    expect(notifier.errors[0].message).toMatch(/cannot approve it/);
    expect(notifier.successes).toEqual([]);
    model.dispose();
  });

  it('asks for gate results without moving the alias', async () => {
    const { server, model } = setUp();
    server.on('models/churn/versions/3/gates', (_request, url) => ({
      name: 'churn',
      version: 3,
      alias: url.searchParams.get('alias'),
      allowed: true,
      results: []
    }));
    const report = await model.gates('churn', 3, 'staging');
    expect(report.alias).toBe('staging');
    expect(server.requests.every(r => r.method === 'GET')).toBe(true);
    model.dispose();
  });
});

describe('MlopsModel sweeps', () => {
  it('hands a refused sweep (400) to the form, other errors to the notifier', async () => {
    const { server, model, notifier } = setUp();
    await model.checkServer();
    const message = 'grid alpha=0.1,,1: value 2 of 3 is empty';
    server.on('sweeps', () => json(400, { message }), 'POST');
    const request = {
      notebook: 'train.ipynb',
      grid: { alpha: '0.1,,1' },
      workers: 1
    };
    await expect(model.startSweep(request, true)).rejects.toMatchObject({
      detail: message
    });
    expect(notifier.errors).toEqual([]);
    expect(await model.startSweep(request)).toBeNull();
    expect(notifier.errors).toHaveLength(1);
    model.dispose();
  });

  it('starts a sweep and follows it until it ends', async () => {
    const { server, model } = setUp({ pollInterval: 10 });
    await model.checkServer();
    let body: unknown = null;
    server.on(
      'sweeps',
      async request => {
        body = await request.json();
        return json(202, {
          sweep_id: 's1',
          points_total: 2,
          status: 'running'
        });
      },
      'POST'
    );
    let polls = 0;
    server.on('sweeps/s1', () => {
      polls++;
      const done = polls >= 2;
      return {
        sweep: {
          sweep_id: 's1',
          name: null,
          experiment: 'default',
          status: done ? 'finished' : 'running',
          notebook_path: 'train.ipynb',
          start_time: 1,
          end_time: done ? 2 : null,
          progress: {
            total: 2,
            finished: done ? 2 : 1,
            failed: 0,
            killed: 0,
            running: done ? 0 : 1,
            pending: 0
          }
        },
        params: {},
        children: []
      };
    });
    const request = {
      notebook: 'train.ipynb',
      grid: { alpha: [0.1, 1] },
      workers: 2
    };
    const started = await model.startSweep(request);
    expect(body).toEqual(request);
    expect(started?.progress.total).toBe(2);
    void model.poll.start();
    await waitFor(() => model.sweeps[0].status === 'finished');
    const afterEnd = server.calls('sweeps/s1').length;
    await sleep(60);
    expect(server.calls('sweeps/s1')).toHaveLength(afterEnd); // a finished sweep is not polled
    model.dispose();
  });
});
