/**
 * The sidebar's model: what the panel shows, fetched from the REST API and
 * announced through Lumino signals, the way jupyterlab-git's `GitExtension`
 * does it. Views subscribe to signals and never call the server themselves.
 *
 * One `Poll` refreshes whatever is on screen (the visible pages of runs, the
 * models, the monitor checks, the sweeps still running). It stands by while
 * the panel is hidden or the browser tab is in the background.
 */
import { Notification } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IVersionInfo, MlopsApiError, versionMismatch } from './api';
import { API_GENERATION } from './version';
import { MlopsClient } from './client';
import {
  IGateReport,
  ILineageGraph,
  IMetricSeries,
  IModelDetail,
  IModelSummary,
  IModelVersionDetail,
  IMonitorCheck,
  IMonitorCheckDetail,
  IRetrainState,
  INotebookParameters,
  IRun,
  IRunDetail,
  ISweepRequest,
  ISweepSummary,
  IModelServer
} from './types';

/**
 * What the sidebar knows about its server extension.
 */
export type ConnectionState =
  | { status: 'loading' }
  | { status: 'ok'; info: IVersionInfo }
  | { status: 'mismatch'; info: IVersionInfo; message: string }
  | { status: 'error'; message: string };

export type RunScope = 'notebook' | 'all';

/**
 * How the runs table is filtered and ordered.
 */
export interface IRunsQuery {
  scope: RunScope;
  filter: string;
  /** A run field (`start_time`, `metrics.acc`, ...). */
  orderBy: string;
  descending: boolean;
}

/**
 * What the lineage section shows: a run or a model version.
 */
export type LineageFocus =
  | { kind: 'run'; id: string }
  | { kind: 'model_version'; id: string; name: string; version: number };

/** A model version, by name and number. */
export interface IVersionRef {
  name: string;
  version: number;
}

/**
 * Where errors go. The default shows JupyterLab notifications.
 */
export interface INotifier {
  /** `sticky`: stays until dismissed (the sidebar cannot work without it). */
  error(message: string, sticky?: boolean): void;
  success(message: string): void;
}

export const notificationNotifier: INotifier = {
  error: (message, sticky = false) => {
    Notification.error(message, { autoClose: sticky ? false : 8000 });
  },
  success: message => {
    Notification.success(message, { autoClose: 4000 });
  }
};

export const DEFAULT_PAGE_SIZE = 100;
export const DEFAULT_POLL_INTERVAL = 5000;
const MAX_POLL_INTERVAL = 60_000;

/**
 * The `order_by` string for a query.
 */
export function orderByOf(query: IRunsQuery): string {
  return `${query.orderBy} ${query.descending ? 'desc' : 'asc'}`;
}

export class MlopsModel implements IDisposable {
  constructor(options: MlopsModel.IOptions) {
    this.client = options.client;
    this._isVisible = options.isVisible ?? (() => true);
    this._notebookPath = options.notebookPath ?? (() => null);
    this._notifier = options.notifier ?? notificationNotifier;
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.poll = new Poll({
      auto: false,
      factory: () => this._refreshAll(),
      frequency: {
        interval: options.pollInterval ?? DEFAULT_POLL_INTERVAL,
        backoff: true,
        max: MAX_POLL_INTERVAL
      },
      name: 'mlops-jupyter:model',
      standby: () => !this._isVisible() || 'when-hidden'
    });
  }

  readonly client: MlopsClient;
  readonly pageSize: number;
  readonly poll: Poll;

  // -- lifecycle -----------------------------------------------------------

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.poll.dispose();
    Signal.clearData(this);
  }

  /**
   * Check the server's version, then start polling (which loads what is on
   * screen once the panel shows).
   */
  async start(): Promise<void> {
    await this.checkServer();
    void this.poll.start();
  }

  /**
   * Refresh now (for a refresh button, or when the panel is shown).
   */
  refresh(): Promise<void> {
    return this.poll.refresh();
  }

  // -- connection ----------------------------------------------------------

  get connection(): ConnectionState {
    return this._connection;
  }

  get connectionChanged(): ISignal<this, ConnectionState> {
    return this._connectionChanged;
  }

  /**
   * The version handshake: a different API generation stops the sidebar,
   * a different package version is reported and tolerated.
   */
  async checkServer(): Promise<void> {
    this._setConnection({ status: 'loading' });
    try {
      const info = await this.client.version();
      const mismatch = versionMismatch(info);
      if (mismatch) {
        this._setConnection({ status: 'mismatch', info, message: mismatch });
        this._notifier.error(`MLOps sidebar: ${mismatch}`, true);
      } else {
        this._setConnection({ status: 'ok', info });
      }
    } catch (error) {
      const message = messageOf(error);
      this._setConnection({ status: 'error', message });
      this._report(error, true, true);
    }
  }

  /**
   * Whether the server speaks this sidebar's API generation.
   */
  get isUsable(): boolean {
    const state = this._connection;
    return (
      state.status === 'ok' ||
      (state.status === 'mismatch' && state.info.api === API_GENERATION)
    );
  }

  // -- runs ----------------------------------------------------------------

  get runsChanged(): ISignal<this, void> {
    return this._runsChanged;
  }

  get query(): IRunsQuery {
    return this._query;
  }

  /**
   * Change the query; cached pages are dropped and the first page fetched.
   */
  setQuery(change: Partial<IRunsQuery>): void {
    const next = { ...this._query, ...change };
    if (JSON.stringify(next) === JSON.stringify(this._query)) {
      return;
    }
    this._query = next;
    this._resetRuns();
  }

  /**
   * The notebook the "this notebook" scope means changed (another notebook
   * was activated).
   */
  notebookChanged(): void {
    if (this._query.scope === 'notebook') {
      this._resetRuns();
    }
  }

  /** Number of runs matching the query, or null before the first answer. */
  get totalRuns(): number | null {
    return this._total;
  }

  /** The server's message for a filter it refused (HTTP 400), else null. */
  get filterError(): string | null {
    return this._filterError;
  }

  /** Whether a page of runs is being fetched. */
  get loadingRuns(): boolean {
    return this._pending.size > 0;
  }

  /** The run at a row of the table, or undefined while its page loads. */
  runAt(index: number): IRun | undefined {
    const page = this._pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  /** The notebook path used by the "this notebook" scope. */
  get notebookPath(): string | null {
    return this._notebookPath();
  }

  /**
   * The notebook runs are restricted to, or null for all runs.
   */
  get scopedNotebook(): string | null {
    return this._query.scope === 'notebook' ? this._notebookPath() : null;
  }

  /**
   * True when the scope is "this notebook" but no notebook is open: there
   * is nothing to ask the server.
   */
  get missingNotebook(): boolean {
    return this._query.scope === 'notebook' && !this._notebookPath();
  }

  /**
   * Make sure rows [start, end) are loaded; remembers them as the visible
   * range the poll refreshes.
   */
  ensureRows(start: number, end: number): void {
    this._visible = [start, end];
    // a hidden panel asks nothing: showing it refreshes what is on screen
    if (this.missingNotebook || !this._isVisible()) {
      return;
    }
    for (const page of this._pagesOf(start, end)) {
      if (!this._pages.has(page) && !this._pending.has(page)) {
        this._fetchPage(page).catch(error => this._report(error));
      }
    }
  }

  // -- selection -----------------------------------------------------------

  get selectionChanged(): ISignal<this, string[]> {
    return this._selectionChanged;
  }

  get selectedRunIds(): string[] {
    return this._selection;
  }

  /**
   * Select a run for comparison: alone, or added to (removed from) the
   * selection. The run on show (and in the lineage) is the lineage focus.
   */
  select(runId: string, additive = false): void {
    if (additive) {
      this._selection = this._selection.includes(runId)
        ? this._selection.filter(id => id !== runId)
        : [...this._selection, runId];
    } else {
      this._selection = [runId];
    }
    this._selectionChanged.emit(this._selection);
  }

  clearSelection(): void {
    this._selection = [];
    this._selectionChanged.emit(this._selection);
  }

  // -- run detail ----------------------------------------------------------

  /** Everything about one run (cached until the next refresh of it). */
  runDetail(runId: string): Promise<IRunDetail> {
    return this._guard(this.client.run(runId));
  }

  /** A metric series, downsampled by the server for charts. */
  metricSeries(runId: string, key: string): Promise<IMetricSeries> {
    return this._guard(this.client.metric(runId, key));
  }

  // -- lineage -------------------------------------------------------------

  get lineageFocus(): LineageFocus | null {
    return this._lineageFocus;
  }

  get lineageFocusChanged(): ISignal<this, LineageFocus | null> {
    return this._lineageFocusChanged;
  }

  setLineageFocus(focus: LineageFocus | null): void {
    if (JSON.stringify(focus) === JSON.stringify(this._lineageFocus)) {
      return;
    }
    this._lineageFocus = focus;
    this._lineageFocusChanged.emit(focus);
  }

  lineage(nodeId: string): Promise<ILineageGraph> {
    return this._guard(this.client.lineage(nodeId));
  }

  // -- models --------------------------------------------------------------

  get modelsChanged(): ISignal<this, IModelSummary[]> {
    return this._modelsChanged;
  }

  /** Registered models, or null before the first answer. */
  get models(): IModelSummary[] | null {
    return this._models;
  }

  /** Emitted with a model's name after an action changed it. */
  get modelChanged(): ISignal<this, string> {
    return this._modelChanged;
  }

  /** The version a link asked to show (a notification's "Open version"), or null. */
  get revealedVersion(): IVersionRef | null {
    return this._revealedVersion;
  }

  /** Emitted when a link asks to show a version. */
  get versionRevealed(): ISignal<this, IVersionRef> {
    return this._versionRevealed;
  }

  /**
   * Show a version in the Models section: its model and card open, scrolled
   * into view; also when it is the one shown already (the user may have
   * closed it since).
   */
  revealVersion(name: string, version: number): void {
    this._revealedVersion = { name, version };
    this._versionRevealed.emit(this._revealedVersion);
  }

  modelDetail(name: string): Promise<IModelDetail> {
    return this._guard(this.client.model(name));
  }

  modelVersion(name: string, version: number): Promise<IModelVersionDetail> {
    return this._guard(this.client.modelVersion(name, version));
  }

  async refreshModels(): Promise<void> {
    const models = await this.client.models();
    if (JSON.stringify(models) !== JSON.stringify(this._models)) {
      this._models = models;
      this._modelsChanged.emit(models);
    }
  }

  // -- live model servers (issue 13) -----------------------------------------

  get serversChanged(): ISignal<this, IModelServer[]> {
    return this._serversChanged;
  }

  /** Live model servers, or null before the first answer. */
  get servers(): IModelServer[] | null {
    return this._servers;
  }

  /** Refresh the live servers; a failure keeps the last answer (servers are extra). */
  async refreshServers(): Promise<void> {
    let servers: IModelServer[];
    try {
      servers = await this.client.servers();
    } catch {
      return;
    }
    if (JSON.stringify(servers) !== JSON.stringify(this._servers)) {
      this._servers = servers;
      this._serversChanged.emit(servers);
    }
  }

  registerModel(runId: string, name: string): Promise<boolean> {
    return this._action(
      this.client.register(runId, name),
      name,
      version => `Registered ${name} v${version}`
    );
  }

  requestApproval(name: string, version: number): Promise<boolean> {
    return this._action(
      this.client.act(name, version, 'request-approval'),
      name,
      () => `Approval requested for ${name} v${version}`
    );
  }

  approve(name: string, version: number, comment: string): Promise<boolean> {
    return this._action(
      this.client.act(name, version, 'approve', { comment }),
      name,
      () => `Approved ${name} v${version}`
    );
  }

  reject(name: string, version: number, comment: string): Promise<boolean> {
    return this._action(
      this.client.act(name, version, 'reject', { comment }),
      name,
      () => `Rejected ${name} v${version}`
    );
  }

  archive(name: string, version: number): Promise<boolean> {
    return this._action(
      this.client.act(name, version, 'archive'),
      name,
      () => `Archived ${name} v${version}`
    );
  }

  /** What a promotion would check (approval, gates), changing nothing. */
  gates(name: string, version: number, alias: string): Promise<IGateReport> {
    return this._guard(this.client.gates(name, version, alias));
  }

  promote(
    name: string,
    version: number,
    alias: string,
    comment?: string
  ): Promise<boolean> {
    return this._action(
      this.client.act(name, version, 'promote', { alias, comment }),
      name,
      () => `${name}@${alias} now points to v${version}`
    );
  }

  /** Move `alias` back to its previous holder; `version` must hold it now. */
  rollback(name: string, version: number, alias: string): Promise<boolean> {
    return this._action(
      this.client.act(name, version, 'rollback', { alias }),
      name,
      () => `Rolled ${name}@${alias} back from v${version}`
    );
  }

  /**
   * Replace a model's owners; resolves to the owners the server kept (names
   * case-folded, sorted). A refusal rejects with the server's error without
   * notifying: the owners dialog shows it where the user typed.
   */
  async setOwners(name: string, owners: string[]): Promise<string[]> {
    const answer = await this.client.setOwners(name, owners);
    this._notifier.success(
      answer.owners.length > 0
        ? `Owners of ${name}: ${answer.owners.join(', ')}`
        : `${name} has no owners now (its creator is notified)`
    );
    await this._changed(name);
    return answer.owners;
  }

  // -- monitoring ----------------------------------------------------------

  /** Latest monitoring checks, or null before the first answer. */
  get checks(): IMonitorCheck[] | null {
    return this._checks;
  }

  get checksChanged(): ISignal<this, IMonitorCheck[]> {
    return this._checksChanged;
  }

  async refreshChecks(): Promise<void> {
    const checks = await this.client.monitor();
    if (JSON.stringify(checks) !== JSON.stringify(this._checks)) {
      this._checks = checks;
      this._checksChanged.emit(checks);
    }
  }

  /** One check with its full report (per-column statistics, histograms). */
  checkDetail(checkId: string): Promise<IMonitorCheckDetail> {
    return this._guard(this.client.monitorCheck(checkId));
  }

  /** Retrains started from this page, by `name@alias`, newest state. */
  get retrains(): Map<string, IRetrainState> {
    return this._retrains;
  }

  get retrainsChanged(): ISignal<this, Map<string, IRetrainState>> {
    return this._retrainsChanged;
  }

  /**
   * Retrain `name@alias` on `data` (a path under the server root) through the
   * batch engine; the state is polled until the run ends. Resolves with the
   * final state (or null when the server refused to start it).
   */
  async retrain(
    name: string,
    alias: string,
    data?: string,
    checkId?: string
  ): Promise<IRetrainState | null> {
    const key = `${name}@${alias}`;
    let state: IRetrainState;
    try {
      state = await this.client.startRetrain({
        name,
        alias,
        ...(data ? { data } : {}),
        ...(checkId ? { check_id: checkId } : {})
      });
    } catch (error) {
      this._notifier.error(
        `Retrain of ${key} refused: ${(error as Error).message}`
      );
      return null;
    }
    const update = (next: IRetrainState) => {
      state = next;
      // a new map each time: views compare what the signal carries
      this._retrains = new Map(this._retrains).set(key, next);
      this._retrainsChanged.emit(this._retrains);
    };
    update(state);
    while (state.status === 'running' && !this.isDisposed) {
      await new Promise(resolve => setTimeout(resolve, this._retrainPollMs));
      try {
        update(await this.client.retrainState(state.retrain_id));
      } catch (error) {
        this._notifier.error(`Retrain of ${key}: ${(error as Error).message}`);
        return null;
      }
    }
    if (state.status === 'finished') {
      const candidate = state.result?.candidate;
      const action = state.result?.action;
      this._notifier.success(`Retrained ${key}: v${candidate} (${action})`);
    } else {
      this._notifier.error(`Retrain of ${key} failed: ${state.error ?? ''}`);
    }
    void this.refreshChecks();
    void this.refreshModels();
    return state;
  }

  // -- sweeps --------------------------------------------------------------

  /** Sweeps started from this page, newest first, with their progress. */
  get sweeps(): ISweepSummary[] {
    return this._sweeps;
  }

  get sweepsChanged(): ISignal<this, ISweepSummary[]> {
    return this._sweepsChanged;
  }

  notebookParameters(path: string): Promise<INotebookParameters> {
    return this._guard(this.client.notebookParameters(path));
  }

  /**
   * Start a sweep and follow it; null (and a notification) when the server
   * refused it. With `rethrowRefusal`, a 400 (values the server cannot read,
   * with its one-line message) is thrown instead, for the form to show.
   */
  async startSweep(
    request: ISweepRequest,
    rethrowRefusal = false
  ): Promise<ISweepSummary | null> {
    let started;
    try {
      started = await this.client.startSweep(request);
    } catch (error) {
      if (
        rethrowRefusal &&
        error instanceof MlopsApiError &&
        error.kind === 'bad-request'
      ) {
        throw error;
      }
      this._report(error);
      return null;
    }
    const sweep: ISweepSummary = {
      sweep_id: started.sweep_id,
      name: request.name ?? null,
      experiment: request.experiment ?? '',
      status: 'running',
      notebook_path: request.notebook,
      start_time: Date.now() / 1000,
      end_time: null,
      progress: {
        total: started.points_total,
        finished: 0,
        failed: 0,
        killed: 0,
        running: 0,
        pending: started.points_total
      }
    };
    this._sweeps = [sweep, ...this._sweeps];
    this._sweepsChanged.emit(this._sweeps);
    this._notifier.success(
      `Started a sweep of ${request.notebook}: ${started.points_total} runs`
    );
    void this.poll.refresh();
    return sweep;
  }

  // -- private -------------------------------------------------------------

  private _setConnection(state: ConnectionState): void {
    this._connection = state;
    this._connectionChanged.emit(state);
  }

  private _pagesOf(start: number, end: number): number[] {
    const total = this._total ?? Infinity;
    const last = Math.min(end, total) - 1;
    const pages: number[] = [];
    for (
      let page = Math.floor(Math.max(start, 0) / this.pageSize);
      page <= Math.floor(Math.max(last, 0) / this.pageSize);
      page++
    ) {
      pages.push(page);
    }
    return pages;
  }

  private _resetRuns(): void {
    this._generation++;
    this._pages.clear();
    this._pending.clear();
    this._total = null;
    this._filterError = null;
    this._runsChanged.emit();
    this.ensureRows(0, Math.max(this._visible[1] - this._visible[0], 1));
  }

  private async _fetchPage(page: number): Promise<void> {
    const generation = this._generation;
    this._pending.add(page);
    try {
      const answer = await this.client.runs({
        filter: this._query.filter.trim(),
        notebook: this.scopedNotebook ?? undefined,
        orderBy: orderByOf(this._query),
        limit: this.pageSize,
        offset: page * this.pageSize
      });
      if (generation !== this._generation) {
        return;
      }
      this._pages.set(page, answer.runs);
      this._total = answer.total;
      this._filterError = null;
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      if (error instanceof MlopsApiError && error.kind === 'bad-request') {
        // a filter the server cannot parse: shown next to the filter box
        this._filterError = error.detail || error.message;
        this._total = 0;
      } else {
        throw error;
      }
    } finally {
      if (generation === this._generation) {
        this._pending.delete(page);
        this._runsChanged.emit();
      }
    }
  }

  /**
   * One poll tick: re-fetch the visible pages and everything else shown.
   */
  private async _refreshAll(): Promise<void> {
    if (this._connection.status === 'loading') {
      return;
    }
    if (this._connection.status === 'error') {
      await this.checkServer();
      if (this._connection.status === 'error') {
        throw new Error(this._connection.message);
      }
    }
    if (!this.isUsable) {
      return;
    }
    try {
      await this._refreshVisibleRuns();
      await Promise.all([
        this.refreshModels(),
        this.refreshServers(),
        this.refreshChecks(),
        this._refreshSweeps()
      ]);
      this._lastError = null;
    } catch (error) {
      this._report(error);
      throw error;
    }
  }

  private async _refreshVisibleRuns(): Promise<void> {
    if (this.missingNotebook) {
      return;
    }
    const [start, end] = this._visible;
    const pages = this._pagesOf(start, end);
    this._pages = new Map(
      [...this._pages].filter(([page]) => pages.includes(page))
    );
    await Promise.all(pages.map(page => this._fetchPage(page)));
  }

  private async _refreshSweeps(): Promise<void> {
    const running = this._sweeps.filter(sweep => sweep.status === 'running');
    if (running.length === 0) {
      return;
    }
    const details = await Promise.all(
      running.map(sweep => this.client.sweep(sweep.sweep_id))
    );
    const byId = new Map(details.map(d => [d.sweep.sweep_id, d.sweep]));
    this._sweeps = this._sweeps.map(s => byId.get(s.sweep_id) ?? s);
    this._sweepsChanged.emit(this._sweeps);
    if (details.some(d => d.sweep.status !== 'running')) {
      // a sweep ended: its runs belong in the table
      this._resetRuns();
    }
  }

  /**
   * Run a registry action; tell the user how it went and refresh the model.
   * Resolves to whether the action succeeded.
   */
  private async _action(
    request: Promise<{ version: number } | { version: { version: number } }>,
    modelName: string,
    done: (version: number) => string
  ): Promise<boolean> {
    let answer;
    try {
      answer = await request;
    } catch (error) {
      this._report(error, false);
      return false;
    }
    const version =
      typeof answer.version === 'number'
        ? answer.version
        : answer.version.version;
    this._notifier.success(done(version));
    await this._changed(modelName);
    return true;
  }

  /** A model changed: its open views reload, and the list of models refreshes. */
  private async _changed(modelName: string): Promise<void> {
    this._modelChanged.emit(modelName);
    try {
      await this.refreshModels();
    } catch (error) {
      this._report(error);
    }
  }

  /** Report a failed request and pass the failure on. */
  private async _guard<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      this._report(error);
      throw error;
    }
  }

  /**
   * Show an error once: the poll repeats failing requests, the user must not
   * get the same notification every few seconds.
   */
  private _report(error: unknown, dedupe = true, sticky = false): void {
    const message = `MLOps sidebar: ${messageOf(error)}`;
    if (dedupe && message === this._lastError) {
      return;
    }
    this._lastError = message;
    this._notifier.error(message, sticky);
  }

  private _isDisposed = false;
  private _isVisible: () => boolean;
  private _notebookPath: () => string | null;
  private _notifier: INotifier;
  private _lastError: string | null = null;

  private _connection: ConnectionState = { status: 'loading' };
  private _connectionChanged = new Signal<this, ConnectionState>(this);

  private _query: IRunsQuery = {
    scope: 'all',
    filter: '',
    orderBy: 'start_time',
    descending: true
  };
  private _generation = 0;
  private _pages = new Map<number, IRun[]>();
  private _pending = new Set<number>();
  private _total: number | null = null;
  private _filterError: string | null = null;
  private _visible: [number, number] = [0, DEFAULT_PAGE_SIZE];
  private _runsChanged = new Signal<this, void>(this);

  private _selection: string[] = [];
  private _selectionChanged = new Signal<this, string[]>(this);

  private _lineageFocus: LineageFocus | null = null;
  private _lineageFocusChanged = new Signal<this, LineageFocus | null>(this);

  private _models: IModelSummary[] | null = null;
  private _servers: IModelServer[] | null = null;
  private _serversChanged = new Signal<this, IModelServer[]>(this);
  private _modelsChanged = new Signal<this, IModelSummary[]>(this);
  private _modelChanged = new Signal<this, string>(this);
  private _revealedVersion: IVersionRef | null = null;
  private _versionRevealed = new Signal<this, IVersionRef>(this);

  private _checks: IMonitorCheck[] | null = null;
  private _retrains = new Map<string, IRetrainState>();
  private _retrainsChanged = new Signal<this, Map<string, IRetrainState>>(this);
  private _retrainPollMs = 1000;
  private _checksChanged = new Signal<this, IMonitorCheck[]>(this);

  private _sweeps: ISweepSummary[] = [];
  private _sweepsChanged = new Signal<this, ISweepSummary[]>(this);
}

export namespace MlopsModel {
  export interface IOptions {
    client: MlopsClient;
    /** Whether the panel is on screen; the poll stands by while it is not. */
    isVisible?: () => boolean;
    /** Path of the notebook "this notebook" means (the current notebook). */
    notebookPath?: () => string | null;
    notifier?: INotifier;
    pageSize?: number;
    pollInterval?: number;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
