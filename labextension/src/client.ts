/**
 * The typed REST client: one method per `/mlops/api/v1` end point the
 * sidebar uses. It knows paths, query parameters and bodies; the model
 * (`model.ts`) knows when to call what.
 */
import { ServerConnection } from '@jupyterlab/services';

import { getVersion, IVersionInfo, requestAPI } from './api';
import {
  IActionResult,
  IGateReport,
  ILineageGraph,
  IMetricSeries,
  IModelDetail,
  IModelSummary,
  IModelVersionDetail,
  IMonitorCheck,
  IOwners,
  IOwnersRequest,
  IMonitorCheckDetail,
  IRetrainState,
  INotebookParameters,
  IRunDetail,
  IRunsPage,
  ISweepDetail,
  ISweepRequest,
  ISweepStarted,
  IModelServer
} from './types';

/**
 * The actions `POST models/{name}/versions/{v}/{action}` takes.
 */
export type VersionAction =
  | 'request-approval'
  | 'approve'
  | 'reject'
  | 'promote'
  | 'rollback'
  | 'archive';

/**
 * Body of a version action; the actor is never in it (the server takes
 * the authenticated user).
 */
export interface IActionRequest {
  comment?: string;
  alias?: string;
  reason?: string;
  force?: boolean;
}

/**
 * What `GET runs` is asked for.
 */
export interface IRunsRequest {
  filter?: string;
  orderBy?: string;
  notebook?: string;
  limit: number;
  offset: number;
}

function post(body: unknown = {}): RequestInit {
  return { method: 'POST', body: JSON.stringify(body) };
}

function versionPath(name: string, version: number, action = ''): string {
  const base = `models/${encodeURIComponent(name)}/versions/${version}`;
  return action ? `${base}/${action}` : base;
}

export class MlopsClient {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  version(): Promise<IVersionInfo> {
    return getVersion(this.serverSettings);
  }

  runs(request: IRunsRequest): Promise<IRunsPage> {
    return requestAPI<IRunsPage>(
      'runs',
      this.serverSettings,
      {},
      {
        filter: request.filter || undefined,
        order_by: request.orderBy || undefined,
        notebook: request.notebook || undefined,
        limit: request.limit,
        offset: request.offset
      }
    );
  }

  run(runId: string): Promise<IRunDetail> {
    return requestAPI<IRunDetail>(
      `runs/${encodeURIComponent(runId)}`,
      this.serverSettings
    );
  }

  metric(runId: string, key: string, maxPoints = 400): Promise<IMetricSeries> {
    return requestAPI<IMetricSeries>(
      `runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(key)}`,
      this.serverSettings,
      {},
      { max_points: maxPoints }
    );
  }

  lineage(
    nodeId: string,
    direction: 'upstream' | 'downstream' | 'both' = 'both'
  ): Promise<ILineageGraph> {
    return requestAPI<ILineageGraph>(
      `lineage/${encodeURIComponent(nodeId)}`,
      this.serverSettings,
      {},
      { direction }
    );
  }

  /** Live model servers (`GET servers`), optionally of one model. */
  async servers(model?: string): Promise<IModelServer[]> {
    const answer = await requestAPI<{ servers: IModelServer[] }>(
      'servers',
      this.serverSettings,
      {},
      model ? { model } : {}
    );
    return answer.servers;
  }

  async models(): Promise<IModelSummary[]> {
    const answer = await requestAPI<{ models: IModelSummary[] }>(
      'models',
      this.serverSettings
    );
    return answer.models;
  }

  model(name: string): Promise<IModelDetail> {
    return requestAPI<IModelDetail>(
      `models/${encodeURIComponent(name)}`,
      this.serverSettings
    );
  }

  modelVersion(name: string, version: number): Promise<IModelVersionDetail> {
    return requestAPI<IModelVersionDetail>(
      versionPath(name, version),
      this.serverSettings
    );
  }

  register(runId: string, name: string): Promise<IModelVersionDetail> {
    return requestAPI<IModelVersionDetail>(
      'models',
      this.serverSettings,
      post({ run_id: runId, name })
    );
  }

  /** Replace a model's owners (users or `group:NAME`); the server decides who may. */
  setOwners(name: string, owners: string[]): Promise<IOwners> {
    const request: IOwnersRequest = { owners };
    return requestAPI<IOwners>(
      `models/${encodeURIComponent(name)}/owners`,
      this.serverSettings,
      post(request)
    );
  }

  /** What promoting a version to an alias would check; changes nothing. */
  gates(name: string, version: number, alias: string): Promise<IGateReport> {
    return requestAPI<IGateReport>(
      versionPath(name, version, 'gates'),
      this.serverSettings,
      {},
      { alias }
    );
  }

  act(
    name: string,
    version: number,
    action: VersionAction,
    body: IActionRequest = {}
  ): Promise<IActionResult> {
    return requestAPI<IActionResult>(
      versionPath(name, version, action),
      this.serverSettings,
      post(body)
    );
  }

  async monitor(): Promise<IMonitorCheck[]> {
    const answer = await requestAPI<{ checks: IMonitorCheck[] }>(
      'monitor',
      this.serverSettings
    );
    return answer.checks;
  }

  monitorCheck(checkId: string): Promise<IMonitorCheckDetail> {
    return requestAPI<IMonitorCheckDetail>(
      `monitor/${encodeURIComponent(checkId)}`,
      this.serverSettings
    );
  }

  startRetrain(body: {
    name: string;
    alias?: string;
    data?: string;
    check_id?: string;
  }): Promise<IRetrainState> {
    return requestAPI<IRetrainState>(
      'monitor/retrain',
      this.serverSettings,
      post(body)
    );
  }

  retrainState(retrainId: string): Promise<IRetrainState> {
    return requestAPI<IRetrainState>(
      `monitor/retrain/${encodeURIComponent(retrainId)}`,
      this.serverSettings
    );
  }

  notebookParameters(path: string): Promise<INotebookParameters> {
    return requestAPI<INotebookParameters>(
      'notebooks/params',
      this.serverSettings,
      {},
      { path }
    );
  }

  startSweep(request: ISweepRequest): Promise<ISweepStarted> {
    return requestAPI<ISweepStarted>(
      'sweeps',
      this.serverSettings,
      post(request)
    );
  }

  sweep(sweepId: string): Promise<ISweepDetail> {
    return requestAPI<ISweepDetail>(
      `sweeps/${encodeURIComponent(sweepId)}`,
      this.serverSettings
    );
  }
}
