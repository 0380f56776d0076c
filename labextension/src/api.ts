import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_GENERATION, FRONTEND_VERSION } from './version';

/**
 * Path of the mlops_jupyter REST API below the server's base URL.
 */
export const API_PATH = `mlops/api/${API_GENERATION}`;

/**
 * What kind of failure a request ended in.
 *
 * - `network`: the server could not be reached at all.
 * - `auth`: 401/403, the session is not (or no longer) authenticated.
 * - `not-found`: 404, usually the server extension is not enabled.
 * - `bad-request`: 400, the server refused the input (its message says why).
 * - `server`: any other non-2xx answer.
 * - `invalid-response`: a 2xx answer whose body is not the expected JSON.
 */
export type ApiErrorKind =
  | 'network'
  | 'auth'
  | 'not-found'
  | 'bad-request'
  | 'server'
  | 'invalid-response';

/**
 * Error raised by every helper in this module.
 */
export class MlopsApiError extends Error {
  constructor(
    message: string,
    readonly kind: ApiErrorKind,
    readonly status: number | null = null,
    readonly url: string = '',
    readonly detail: string = ''
  ) {
    super(message);
    this.name = 'MlopsApiError';
  }
}

/**
 * Build the absolute URL of an API end point.
 *
 * @param baseUrl the Jupyter server base URL (`serverSettings.baseUrl`)
 * @param endPoint path below `/mlops/api/v1`, e.g. `version` or `runs/ID`
 * @param query optional query parameters; `undefined` values are dropped
 */
export function apiUrl(
  baseUrl: string,
  endPoint = '',
  query: Record<string, string | number | boolean | undefined> = {}
): string {
  const segments = endPoint
    .split('/')
    .filter(segment => segment.length > 0)
    .map(segment => encodeURIComponent(decodeURIComponent(segment)));
  const url = URLExt.join(baseUrl, API_PATH, ...segments);
  const params = Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`
    );
  return params.length > 0 ? `${url}?${params.join('&')}` : url;
}

/**
 * Map an HTTP status (and the server's JSON error body) to an error.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  url: string
): MlopsApiError {
  let detail = '';
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const message = record.message ?? record.reason ?? record.detail;
    if (typeof message === 'string') {
      detail = message;
    }
  } else if (typeof body === 'string' && !body.trim().startsWith('<')) {
    // plain text is a message; an HTML error page is not worth quoting
    detail = body.trim().slice(0, 200);
  }
  let kind: ApiErrorKind;
  let summary: string;
  if (status === 401 || status === 403) {
    kind = 'auth';
    summary = 'Not authorized by the Jupyter server';
  } else if (status === 404) {
    kind = 'not-found';
    // tornado's own 404 says no more than "Not Found": the route is missing
    if (detail.toLowerCase() === 'not found') {
      detail = '';
    }
    summary = detail
      ? 'Not found'
      : 'Not found: is the mlops_jupyter server extension installed and enabled?';
  } else if (status === 400) {
    kind = 'bad-request';
    summary = 'The server refused the request';
  } else {
    kind = 'server';
    summary = `Server error ${status}`;
  }
  const message = detail ? `${summary} (${detail})` : summary;
  return new MlopsApiError(message, kind, status, url, detail);
}

/**
 * Call the mlops_jupyter REST API and return the decoded JSON body.
 *
 * `ServerConnection.makeRequest` adds the token and XSRF headers.
 */
export async function requestAPI<T>(
  endPoint: string,
  serverSettings: ServerConnection.ISettings,
  init: RequestInit = {},
  query: Record<string, string | number | boolean | undefined> = {}
): Promise<T> {
  const url = apiUrl(serverSettings.baseUrl, endPoint, query);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, serverSettings);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MlopsApiError(
      `Cannot reach the Jupyter server: ${reason}`,
      'network',
      null,
      url
    );
  }

  const text = await response.text();
  let body: unknown = text;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      if (response.ok) {
        throw new MlopsApiError(
          'The server answered with something that is not JSON',
          'invalid-response',
          response.status,
          url
        );
      }
    }
  }
  if (!response.ok) {
    throw errorFromResponse(response.status, body, url);
  }
  return body as T;
}

/**
 * Answer of `GET /mlops/api/v1/version`.
 */
export interface IVersionInfo {
  version: string;
  api: string;
}

/**
 * Fetch the server extension's version.
 */
export async function getVersion(
  serverSettings: ServerConnection.ISettings
): Promise<IVersionInfo> {
  const info = await requestAPI<Partial<IVersionInfo>>(
    'version',
    serverSettings
  );
  if (
    !info ||
    typeof info.version !== 'string' ||
    typeof info.api !== 'string'
  ) {
    throw new MlopsApiError(
      'The server answered /version without "version" and "api"',
      'invalid-response',
      200,
      apiUrl(serverSettings.baseUrl, 'version')
    );
  }
  return { version: info.version, api: info.api };
}

/**
 * Compare the server's answer with this frontend.
 *
 * @returns `null` when compatible, else a sentence for the user.
 */
export function versionMismatch(
  info: IVersionInfo,
  frontendVersion: string = FRONTEND_VERSION,
  apiGeneration: string = API_GENERATION
): string | null {
  if (info.api !== apiGeneration) {
    return (
      `The mlops_jupyter server speaks API ${info.api}, this sidebar speaks ` +
      `${apiGeneration}. Reinstall mlops-jupyter and restart JupyterLab.`
    );
  }
  if (info.version !== frontendVersion) {
    return (
      `The mlops_jupyter server is version ${info.version} but this sidebar is ` +
      `${frontendVersion}. Rebuild or reinstall mlops-jupyter and reload the page.`
    );
  }
  return null;
}
