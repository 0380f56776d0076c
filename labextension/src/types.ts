/**
 * Shapes of the JSON documents the mlops_jupyter REST API answers with
 * (`/mlops/api/v1`, described by its OpenAPI document `openapi.json`).
 *
 * Times are seconds since the epoch (floats), as the store keeps them.
 */

export type RunStatus = 'running' | 'finished' | 'failed' | 'killed';

/**
 * One row of `GET runs`.
 */
export interface IRun {
  run_id: string;
  experiment: string;
  name: string | null;
  kind: string;
  status: RunStatus;
  start_time: number;
  end_time: number | null;
  duration_s: number | null;
  parent_run_id?: string | null;
  attempt?: number;
  user?: string | null;
  notebook_path?: string | null;
  cell_id?: string | null;
  params: Record<string, unknown>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
}

/**
 * Answer of `GET runs`: one page of runs and the number of runs matching.
 */
export interface IRunsPage {
  runs: IRun[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * A dataset (or other node) linked to a run as input or output.
 */
export interface ILinkedNode {
  node_type: 'dataset' | 'run' | 'model_version';
  node_id: string;
  name?: string | null;
  uri?: string | null;
  fingerprint?: string | null;
  format?: string | null;
  rows?: number | null;
  columns?: number | null;
}

export interface IArtifact {
  name: string;
  digest: string;
  size: number;
  media_type?: string | null;
  created_at?: number;
}

export interface IRunSource {
  notebook_path?: string | null;
  cell_id?: string | null;
  execution_count?: number | null;
  code?: string | null;
  code_hash?: string | null;
  host?: string | null;
}

export interface IEnvironment {
  python?: string | null;
  platform?: string | null;
  packages?: Record<string, string> | null;
  git_commit?: string | null;
  git_branch?: string | null;
  git_dirty_hash?: string | null;
  host?: string | null;
  user?: string | null;
}

/**
 * Answer of `GET runs/{id}`.
 */
export interface IRunDetail extends IRun {
  metric_keys: string[];
  source: IRunSource;
  environment: IEnvironment | null;
  inputs: ILinkedNode[];
  outputs: ILinkedNode[];
  artifacts: IArtifact[];
  children: string[];
  error: string | null;
}

/**
 * Answer of `GET runs/{id}/metrics/{key}`: a series, downsampled by the
 * server (LTTB) to at most `max_points` points; NaN/inf points are left out.
 */
export interface IMetricSeries {
  run_id: string;
  key: string;
  total_points: number;
  nonfinite_points: number;
  method: 'none' | 'lttb' | string;
  step: number[];
  value: number[];
  timestamp: number[];
}

export type LineageNodeType = 'dataset' | 'run' | 'model_version';

/**
 * A node of `GET lineage/{id}`; `id` is `TYPE:ID`, unique in the graph.
 */
export interface ILineageNode {
  id: string;
  type: LineageNodeType;
  node_id: string;
  label: string;
  attributes: Record<string, unknown>;
}

/**
 * An edge follows the data: `dataset -> run` for an input, `run -> dataset`
 * for an output.
 */
export interface ILineageEdge {
  source: string;
  target: string;
  role: 'input' | 'output';
  name: string | null;
}

export interface ILineageGraph {
  root: string;
  direction: 'upstream' | 'downstream' | 'both';
  nodes: ILineageNode[];
  edges: ILineageEdge[];
}

/** A version's approval state; `registered` means never put up for review. */
export type ApprovalState = 'registered' | 'pending' | 'approved' | 'rejected';

export interface IApproval {
  /** The approval request (round) the decision belongs to. */
  round: number;
  actor: string;
  decision: 'request' | 'approve' | 'reject';
  comment: string | null;
  at: number;
}

export interface IAliasEvent {
  alias: string;
  /** The alias's revision after the move. */
  revision: number;
  action: 'promote' | 'rollback';
  from_version: number | null;
  to_version: number;
  actor: string;
  reason: string | null;
  forced: boolean;
  gates: Record<string, unknown> | null;
  at: number;
}

export interface IModelVersion {
  name: string;
  version: number;
  version_id: string;
  /** `models:/NAME/VERSION` */
  uri: string;
  status: ApprovalState;
  run_id: string;
  artifact_name: string;
  artifact_digest: string;
  artifact_size: number;
  flavor: string;
  format: string;
  model_class: string | null;
  description: string | null;
  registered_by: string;
  registered_at: number;
  archived: boolean;
  archived_at: number | null;
  archived_by: string | null;
  aliases: string[];
  approval_round: number;
  approved_by: string[];
  metrics: Record<string, number | null>;
  params: Record<string, unknown>;
  signature: Record<string, unknown> | null;
}

/**
 * Answer of `GET models/{name}/versions/{v}`.
 */
export interface IModelVersionDetail extends IModelVersion {
  /** The model card, Markdown. */
  card: string;
  approvals: IApproval[];
  /** Moves of any alias to or from this version, oldest first. */
  alias_history: IAliasEvent[];
  input_example: Record<string, unknown> | null;
  datasets: Record<string, unknown>[];
  trusted_types: string[];
}

/**
 * One row of `GET models`.
 */
export interface IModelSummary {
  name: string;
  description: string | null;
  owner: string;
  policy: Record<string, unknown>;
  created_at: number;
  updated_at: number;
  /** Number of versions. */
  versions: number;
  latest_version: number | null;
  /** alias -> version */
  aliases: Record<string, number>;
}

/**
 * Answer of `GET models/{name}`.
 */
export interface IModelDetail extends Omit<IModelSummary, 'versions'> {
  versions: IModelVersion[];
  alias_history: IAliasEvent[];
}

/**
 * Answer of a `POST models/{name}/versions/{v}/{action}`.
 */
export interface IActionResult {
  action: string;
  actor: string;
  version: IModelVersionDetail;
  alias_change: IAliasEvent | null;
}

export interface IGateResult {
  /** The gate as written, e.g. `acc >= 0.9`. */
  gate: string;
  metric: string;
  value: number | null;
  bound: number | null;
  passed: boolean;
  detail: string;
}

/**
 * Answer of `GET models/{name}/versions/{v}/gates?alias=`: what a promotion
 * would check, without changing anything.
 */
export interface IGateReport {
  name: string;
  version: number;
  alias: string;
  protected: boolean;
  status: ApprovalState;
  approvals: number;
  required_approvals: number;
  current_version: number | null;
  approved: boolean;
  gates_passed: boolean;
  /** Whether a promotion would be allowed. */
  allowed: boolean;
  /** Why not, when it would not. */
  reasons: string[];
  results: IGateResult[];
}

export type CheckStatus = 'ok' | 'warning' | 'failed';

export interface IMonitorCheck {
  check_id: string;
  model: string;
  version: number;
  alias: string | null;
  kind: 'drift' | 'performance';
  status: CheckStatus;
  drifted_columns: string[];
  result: Record<string, unknown>;
  /** The training run of the checked version. */
  run_id: string | null;
  /** The check's own run (kind `check`). */
  check_run_id?: string;
  /** The training notebook, relative to the server root (when under it). */
  notebook?: string | null;
  retrain_run_id?: string | null;
  candidate_version?: number | null;
  rolled_back_to?: number | null;
  created_at: number;
}

/** Paired reference/current shares per bin (numbers) or category. */
export interface IHistogram {
  edges?: number[];
  labels?: string[];
  reference: number[];
  current: number[];
}

/** One column of a drift report (`GET monitor/{id}`). */
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

export interface IMonitorCheckDetail {
  check: IMonitorCheck;
  report: {
    columns?: IColumnDrift[];
    problems?: Array<{ kind: string; severity: string; message: string }>;
    metrics?: Array<Record<string, unknown>>;
    rule?: string;
    on?: string;
    error?: number;
    [key: string]: unknown;
  };
}

/** A retrain started from the sidebar (`POST monitor/retrain`). */
export interface IRetrainState {
  retrain_id: string;
  name: string;
  alias: string;
  status: 'running' | 'finished' | 'failed';
  run_id: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

export interface INotebookParameter {
  name: string;
  /** e.g. `float`, `int | None`, `'a' | 'b'` */
  type: string;
  /** Accepted Python kinds: bool int float str list tuple dict NoneType. */
  kinds: string[];
  choices: unknown[] | null;
  default: unknown;
  /** The default as written. */
  default_source: string;
  annotation: string | null;
  /** The trailing comment. */
  help: string | null;
  line: number;
}

/**
 * Answer of `GET notebooks/params?path=`.
 */
export interface INotebookParameters {
  path: string;
  has_parameters_cell: boolean;
  parameters: INotebookParameter[];
}

/**
 * Body of `POST sweeps`.
 */
export interface ISweepRequest {
  notebook: string;
  grid: Record<string, unknown[]>;
  parameters?: Record<string, unknown>;
  workers?: number;
  name?: string;
  experiment?: string;
}

/**
 * Answer of `POST sweeps` (202).
 */
export interface ISweepStarted {
  sweep_id: string;
  points_total: number;
  status: string;
}

export interface ISweepProgress {
  /** Points planned. */
  total: number | null;
  finished: number;
  failed: number;
  killed: number;
  running: number;
  /** Planned, not started. */
  pending: number | null;
}

export interface ISweepSummary {
  sweep_id: string;
  name: string | null;
  experiment: string;
  status: RunStatus;
  notebook_path: string | null;
  start_time: number;
  end_time: number | null;
  progress: ISweepProgress;
}

/**
 * Answer of `GET sweeps/{id}`.
 */
export interface ISweepDetail {
  sweep: ISweepSummary;
  params: Record<string, unknown>;
  children: IRun[];
}

/**
 * A live model server (`mlops-jupyter serve`), from `GET servers`.
 */
export interface IModelServer {
  server_id: string;
  url: string;
  model: string;
  alias: string | null;
  /** The version most of its workers serve. */
  version: number | null;
  /** Every version some worker serves (two during a swap). */
  versions: number[];
  heartbeat: string;
  workers: number;
  pinned: boolean;
  requests: number;
  request_rate: number;
  p50_ms: number | null;
  p95_ms: number | null;
  error: string | null;
  host: string;
}
