/**
 * Shapes of the JSON documents the mlops_jupyter REST API answers with
 * (`/mlops/api/v1`), named for the views.
 *
 * Nothing is written out here: every shape is a schema of `api-schema.ts`, which `jlpm api:types`
 * generates with openapi-typescript from the OpenAPI document the server generates from its
 * pydantic models (`mlops_jupyter/server/models.py`). CI fails when the committed file differs.
 *
 * Times are seconds since the epoch (floats), as the store keeps them.
 */

import type { components } from './api-schema';

type Schemas = components['schemas'];

export type IRun = Schemas['RunSummary'];
export type RunStatus = IRun['status'];
export type IRunsPage = Schemas['RunPage'];
export type ILinkedNode = Schemas['LinkedNode'];
export type IArtifact = Schemas['Artifact'];
export type IRunSource = Schemas['RunSource'];
export type IEnvironment = Schemas['Environment'];
export type IRunDetail = Schemas['RunDetail'];
export type IMetricSeries = Schemas['MetricSeries'];
export type ILineageNode = Schemas['LineageNode'];
export type LineageNodeType = ILineageNode['type'];
export type ILineageEdge = Schemas['LineageEdge'];
export type ILineageGraph = Schemas['LineageGraph'];
export type IApproval = Schemas['Approval'];
export type IAliasEvent = Schemas['AliasEvent'];
export type IModelVersion = Schemas['ModelVersion'];
export type ApprovalState = IModelVersion['status'];
export type IModelVersionDetail = Schemas['ModelVersionDetail'];
export type IModelSummary = Schemas['ModelSummary'];
export type IModelDetail = Schemas['ModelDetail'];
export type IActionResult = Schemas['ActionResult'];
export type IGateResult = Schemas['GateResult'];
export type IGateReport = Schemas['GateReport'];
export type IMonitorCheck = Schemas['MonitorCheck'];
export type CheckStatus = IMonitorCheck['status'];
export type IRetrainState = Schemas['RetrainState'];

/*
 * A check's report is a free-form object in the document (its shape is the Python
 * DriftReport/PerformanceReport's `to_dict()`); these name the parts the Monitoring section draws.
 */

/** Paired reference/current shares per bin (numbers) or category. */
export interface IHistogram {
  edges?: number[];
  labels?: string[];
  reference: number[];
  current: number[];
}

/** One column of a drift report. */
export interface IColumnDrift {
  column: string;
  kind: string;
  method: string;
  statistic: number | null;
  p_value: number | null;
  threshold: number;
  drifted: boolean;
  band?: string | null;
  histogram: IHistogram;
  stats: Record<string, number | null>;
}

/** `GET monitor/{check_id}`, with the report's drawn parts named. */
export type IMonitorCheckDetail = Omit<
  Schemas['MonitorCheckDetail'],
  'report'
> & {
  report: {
    columns?: IColumnDrift[];
    problems?: Array<{ kind: string; severity: string; message: string }>;
    metrics?: Array<Record<string, unknown>>;
    rule?: string;
    on?: string;
    error?: number;
    [key: string]: unknown;
  };
};
export type INotebookParameter = Schemas['NotebookParameter'];
export type INotebookParameters = Schemas['NotebookParameters'];
export type ISweepRequest = Schemas['SweepRequest'];
export type ISweepStarted = Schemas['SweepStarted'];
export type ISweepProgress = Schemas['SweepProgress'];
export type ISweepSummary = Schemas['SweepSummary'];
export type ISweepDetail = Schemas['SweepDetail'];
export type IModelServer = Schemas['ModelServer'];
// governance (issue 14): owners and the user's notifications
export type IOwners = Schemas['Owners'];
export type IOwnersRequest = Schemas['OwnersRequest'];
export type IGovernanceEvent = Schemas['GovernanceEvent'];
export type INotifications = Schemas['Notifications'];
