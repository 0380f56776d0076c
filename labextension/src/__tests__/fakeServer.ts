/**
 * A fake mlops_jupyter REST server for specs: answers requests made through
 * `ServerConnection.makeRequest` from a table of routes, and records them.
 */
import { ServerConnection } from '@jupyterlab/services';

import { MlopsClient } from '../client';
import { IRun, IRunsPage } from '../types';

export const BASE = 'http://localhost:8888/';
export const API = `${BASE}mlops/api/v1/`;

export type Handler = (
  request: Request,
  url: URL
) => Response | Promise<Response> | unknown;

export interface IFakeServer {
  client: MlopsClient;
  requests: Request[];
  /** Requests whose path (below /mlops/api/v1/) is `path`. */
  calls(path: string, method?: string): URL[];
  /** Answer `METHOD path` (default GET) with `handler`'s JSON or Response. */
  on(path: string, handler: Handler, method?: string): void;
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

export function fakeServer(): IFakeServer {
  const routes = new Map<string, Handler>();
  const requests: Request[] = [];
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const request = input as Request;
    requests.push(request);
    const url = new URL(request.url);
    const path = url.pathname.replace('/mlops/api/v1/', '');
    const handler = routes.get(`${request.method} ${path}`);
    if (!handler) {
      return new Response('<html>404</html>', { status: 404 });
    }
    const answer = await handler(request, url);
    return answer instanceof Response ? answer : json(200, answer);
  };
  const settings = ServerConnection.makeSettings({ baseUrl: BASE, fetch });
  return {
    client: new MlopsClient(settings),
    requests,
    calls: (path, method = 'GET') =>
      requests
        .filter(
          r =>
            r.method === method &&
            new URL(r.url).pathname === `/mlops/api/v1/${path}`
        )
        .map(r => new URL(r.url)),
    on: (path, handler, method = 'GET') =>
      routes.set(`${method} ${path}`, handler)
  };
}

/** A run as `GET runs` lists it. */
export function makeRun(index: number, overrides: Partial<IRun> = {}): IRun {
  return {
    run_id: `run${String(index).padStart(6, '0')}`,
    experiment: 'default',
    name: `run-${index}`,
    kind: 'cell',
    status: 'finished',
    attempt: 1,
    parent_run_id: null,
    user: 'alice',
    start_time: 1795688400 + index,
    end_time: 1795688402 + index,
    duration_s: 2,
    notebook_path: 'train.ipynb',
    cell_id: 'c1',
    params: { alpha: index / 10 },
    metrics: { acc: 0.5 + index / 1000, loss: 1 - index / 1000 },
    tags: {},
    ...overrides
  };
}

/**
 * `GET runs` over `total` generated runs, honouring limit and offset.
 */
export function runsRoute(total: number): Handler {
  return (_request, url) => {
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const runs: IRun[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) {
      runs.push(makeRun(i));
    }
    const page: IRunsPage = {
      runs,
      total,
      total_exact: true,
      has_more: offset + runs.length < total,
      limit,
      offset
    };
    return page;
  };
}

/** Wait until `condition` holds (polling every few ms), or fail. */
export async function waitFor(
  condition: () => boolean,
  timeout = 2000
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeout) {
      throw new Error('condition not met in time');
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
