/**
 * Unit tests for the REST helper: URL building, error mapping and the
 * version check. `fetch` is replaced through the server settings, so every
 * request really goes through `ServerConnection.makeRequest`.
 */
import { ServerConnection } from '@jupyterlab/services';

import {
  apiUrl,
  errorFromResponse,
  getVersion,
  MlopsApiError,
  requestAPI,
  versionMismatch
} from '../api';
import { FRONTEND_VERSION } from '../version';
import pkg from '../../package.json';

const BASE = 'http://localhost:8888/lab-base/';

function settingsAnswering(
  answer: (request: Request) => Promise<Response> | Response,
  seen: Request[] = []
): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: BASE,
    token: 'secret-token',
    fetch: async (input: RequestInfo | URL) => {
      const request = input as Request;
      seen.push(request);
      return answer(request);
    }
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

describe('apiUrl', () => {
  it('joins the base URL and the API prefix', () => {
    expect(apiUrl(BASE, 'version')).toBe(
      'http://localhost:8888/lab-base/mlops/api/v1/version'
    );
    expect(apiUrl('/', 'runs')).toBe('/mlops/api/v1/runs');
    expect(apiUrl(BASE)).toBe('http://localhost:8888/lab-base/mlops/api/v1');
  });

  it('escapes each path segment once', () => {
    expect(apiUrl('/', 'models/my model/versions/3')).toBe(
      '/mlops/api/v1/models/my%20model/versions/3'
    );
    expect(apiUrl('/', 'models/my%20model')).toBe(
      '/mlops/api/v1/models/my%20model'
    );
    expect(apiUrl('/', 'lineage/a?b')).toBe('/mlops/api/v1/lineage/a%3Fb');
  });

  it('encodes query parameters and drops undefined ones', () => {
    expect(
      apiUrl('/', 'runs', {
        filter: "metrics.acc > 0.9 and params.model = 'rf'",
        limit: 10,
        experiment: undefined
      })
    ).toBe(
      "/mlops/api/v1/runs?filter=metrics.acc%20%3E%200.9%20and%20params.model%20%3D%20'rf'&limit=10"
    );
  });
});

describe('errorFromResponse', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not-found'],
    [500, 'server'],
    [409, 'server']
  ])('maps HTTP %d to %s', (status, kind) => {
    const error = errorFromResponse(status, {}, '/x');
    expect(error).toBeInstanceOf(MlopsApiError);
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.url).toBe('/x');
  });

  it("keeps the server's message", () => {
    const error = errorFromResponse(
      409,
      { message: 'version 3 is not approved' },
      '/x'
    );
    expect(error.message).toBe('Server error 409 (version 3 is not approved)');
  });

  it('explains a 404 as a missing server extension', () => {
    expect(errorFromResponse(404, '', '/x').message).toMatch(
      /server extension installed and enabled/
    );
  });
});

describe('requestAPI', () => {
  it('sends the token through ServerConnection and decodes JSON', async () => {
    const seen: Request[] = [];
    const settings = settingsAnswering(
      () => json(200, { version: '1.2.3', api: 'v1' }),
      seen
    );
    const body = await requestAPI<{ version: string }>('version', settings);
    expect(body.version).toBe('1.2.3');
    expect(seen).toHaveLength(1);
    expect(seen[0].method).toBe('GET');
    expect(seen[0].url.split('?')[0]).toBe(`${BASE}mlops/api/v1/version`);
    expect(seen[0].headers.get('Authorization')).toBe('token secret-token');
  });

  it('passes method and body through', async () => {
    const seen: Request[] = [];
    const settings = settingsAnswering(() => json(200, { ok: true }), seen);
    await requestAPI('models/m/versions/1/approve', settings, {
      method: 'POST',
      body: JSON.stringify({ comment: 'fine' })
    });
    expect(seen[0].method).toBe('POST');
    expect(await seen[0].text()).toBe('{"comment":"fine"}');
  });

  it('maps a 403 to an auth error', async () => {
    const settings = settingsAnswering(() =>
      json(403, { message: 'Forbidden', reason: null })
    );
    await expect(requestAPI('version', settings)).rejects.toMatchObject({
      kind: 'auth',
      status: 403,
      message: 'Not authorized by the Jupyter server (Forbidden)'
    });
  });

  it('maps a non-JSON error page to a server error', async () => {
    const settings = settingsAnswering(
      () => new Response('<html>Bad gateway</html>', { status: 502 })
    );
    await expect(requestAPI('version', settings)).rejects.toMatchObject({
      kind: 'server',
      status: 502
    });
  });

  it('rejects a 200 answer that is not JSON', async () => {
    const settings = settingsAnswering(
      () => new Response('<html>login</html>', { status: 200 })
    );
    await expect(requestAPI('version', settings)).rejects.toMatchObject({
      kind: 'invalid-response'
    });
  });

  it('maps a failed fetch to a network error', async () => {
    const settings = settingsAnswering(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(requestAPI('version', settings)).rejects.toMatchObject({
      kind: 'network',
      status: null
    });
  });
});

describe('getVersion and versionMismatch', () => {
  it('returns the version of a matching server', async () => {
    const settings = settingsAnswering(() =>
      json(200, { version: FRONTEND_VERSION, api: 'v1' })
    );
    const info = await getVersion(settings);
    expect(info).toEqual({ version: FRONTEND_VERSION, api: 'v1' });
    expect(versionMismatch(info)).toBeNull();
  });

  it('rejects an answer without version fields', async () => {
    const settings = settingsAnswering(() => json(200, { hello: 'world' }));
    await expect(getVersion(settings)).rejects.toMatchObject({
      kind: 'invalid-response'
    });
  });

  it('names both versions on a mismatch', () => {
    expect(versionMismatch({ version: '9.9.9', api: 'v1' }, '0.1.0')).toMatch(
      /server is version 9\.9\.9 but this sidebar is 0\.1\.0/
    );
    expect(versionMismatch({ version: '0.1.0', api: 'v2' }, '0.1.0')).toMatch(
      /speaks API v2, this sidebar speaks v1/
    );
  });
});

describe('FRONTEND_VERSION', () => {
  it('equals the version in package.json', () => {
    expect(FRONTEND_VERSION).toBe(pkg.version);
  });
});
