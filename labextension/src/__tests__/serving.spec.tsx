/**
 * Live model servers in the Models section: grouping by alias, the line's
 * text, and the model fetching `GET servers` with the rest of the poll.
 */
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import { act } from 'react';

import {
  ServingLine,
  servingSummary,
  servingText
} from '../components/ServingLine';
import { INotifier, MlopsModel } from '../model';
import { IModelServer } from '../types';
import { FRONTEND_VERSION } from '../version';
import { fakeServer, json, runsRoute } from './fakeServer';

(globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;

const quiet: INotifier = { error: () => undefined, success: () => undefined };

function server(over: Partial<IModelServer>): IModelServer {
  return {
    server_id: 's',
    url: 'http://127.0.0.1:5000',
    model: 'churn',
    alias: 'production',
    version: 3,
    versions: [3],
    heartbeat: '2026-12-01T12:00:00+00:00',
    workers: 1,
    pinned: false,
    requests: 10,
    request_rate: 1,
    p50_ms: 2,
    p95_ms: 3.2,
    error: null,
    host: 'vm',
    ...over
  };
}

describe('servingSummary', () => {
  it('groups servers by alias and says how many serve which version', () => {
    const servers = [
      server({ server_id: 'a', p95_ms: 4 }),
      server({ server_id: 'b', p95_ms: 2.5 }),
      server({ server_id: 'c', alias: 'staging', version: 4, versions: [4] }),
      server({
        server_id: 'd',
        alias: null,
        version: 1,
        versions: [1],
        p95_ms: null
      }),
      server({ server_id: 'e', model: 'other' })
    ];
    const lines = servingSummary(servers, 'churn').map(servingText);
    expect(lines).toEqual([
      'production → v3, served by 2 servers, p95 4 ms',
      'staging → v4, served by 1 server, p95 3.2 ms',
      'pinned v1, served by 1 server'
    ]);
  });

  it('shows both versions during a swap and keeps load errors', () => {
    const [summary] = servingSummary(
      [
        server({ versions: [3, 4], error: 'version 5 failed to load' }),
        server({ server_id: 'x', version: null, versions: [] })
      ],
      'churn'
    );
    expect(summary.versions).toEqual([3, 4]);
    expect(summary.errors).toEqual(['version 5 failed to load']);
  });
});

describe('ServingLine', () => {
  it('renders the live servers the model fetched with its poll', async () => {
    const fake = fakeServer();
    fake.on('version', () => ({ version: FRONTEND_VERSION, api: 'v1' }));
    fake.on('runs', runsRoute(0));
    fake.on('models', () => ({ models: [] }));
    fake.on('monitor', () => ({ checks: [] }));
    fake.on('servers', () => ({
      servers: [server({}), server({ server_id: 'b', p95_ms: 4.4 })]
    }));
    const model = new MlopsModel({
      client: fake.client,
      notifier: quiet,
      pageSize: 100,
      pollInterval: 60_000
    });
    const host = document.createElement('div');
    document.body.appendChild(host);
    const root = createRoot(host);
    await act(async () => {
      root.render(<ServingLine model={model} name="churn" />);
    });
    expect(host.textContent).toBe('');
    await act(() => model.refreshServers());
    expect(fake.calls('servers')).toHaveLength(1);
    expect(host.querySelector('.jp-mlops-Serving-line')?.textContent).toBe(
      'production → v3, served by 2 servers, p95 4.4 ms'
    );
    // a failing request keeps what was shown
    fake.on('servers', () => json(500, { message: 'down' }));
    await act(() => model.refreshServers());
    expect(host.querySelectorAll('.jp-mlops-Serving-line')).toHaveLength(1);
    act(() => root.unmount());
    host.remove();
    model.dispose();
  });
});
