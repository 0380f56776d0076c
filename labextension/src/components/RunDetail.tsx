/**
 * Everything about one run, in a main-area tab: params, metric charts,
 * code, lineage, environment, artifacts, and the actions that start here.
 */
import * as React from 'react';

import { MlopsModel } from '../model';
import { IEnvironment, ILinkedNode, ILineageNode, IRunDetail } from '../types';
import { StatusBadge } from './badges';
import {
  formatDuration,
  formatTimestamp,
  formatValue,
  runLabel
} from './format';
import { useLoad, useSignals } from './hooks';
import { LineageGraphView } from './LineageGraph';
import { MetricCharts } from './MetricCharts';

/**
 * What a run view can ask the application to do.
 */
export interface IRunActions {
  openRun(runId: string): void;
  registerModel(runId: string): void;
  openNotebook?(path: string): void;
  showLineage(runId: string): void;
}

export function KeyValueTable(props: {
  values: Record<string, unknown>;
  className?: string;
  empty: string;
}): JSX.Element {
  const entries = Object.entries(props.values).sort(([a], [b]) =>
    a.localeCompare(b)
  );
  if (entries.length === 0) {
    return <p className="jp-mlops-Empty">{props.empty}</p>;
  }
  return (
    <table className={`jp-mlops-KeyValue ${props.className ?? ''}`}>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{formatValue(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Section(props: {
  title: string;
  name: string;
  children: React.ReactNode;
  open?: boolean;
}): JSX.Element {
  return (
    <details
      className="jp-mlops-Detail-section"
      data-section={props.name}
      open={props.open ?? true}
    >
      <summary>{props.title}</summary>
      <div className="jp-mlops-Detail-sectionBody">{props.children}</div>
    </details>
  );
}

function DatasetList(props: {
  title: string;
  items: ILinkedNode[];
}): JSX.Element | null {
  if (props.items.length === 0) {
    return null;
  }
  return (
    <div className="jp-mlops-Datasets">
      <h4>{props.title}</h4>
      <ul>
        {props.items.map(item => (
          <li key={`${item.node_type}:${item.node_id}:${item.name}`}>
            <code>{item.uri ?? item.name ?? item.node_id}</code>
            {item.rows !== null && item.rows !== undefined && (
              <span className="jp-mlops-Muted">
                {' '}
                {item.rows.toLocaleString('en')} rows
                {item.columns ? ` × ${item.columns} columns` : ''}
              </span>
            )}
            {item.fingerprint && (
              <span className="jp-mlops-Muted" title={item.fingerprint}>
                {' '}
                #{item.fingerprint.slice(0, 10)}
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function EnvironmentView(props: {
  environment: IEnvironment | null;
}): JSX.Element {
  const env = props.environment;
  if (!env) {
    return <p className="jp-mlops-Empty">No environment captured.</p>;
  }
  const facts: Record<string, unknown> = {
    python: env.python,
    platform: env.platform,
    host: env.host,
    user: env.user,
    'git commit': env.git_commit,
    'git branch': env.git_branch,
    'uncommitted changes': env.git_dirty_hash
      ? `yes (#${env.git_dirty_hash.slice(0, 10)})`
      : 'no'
  };
  const known: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(facts)) {
    if (value !== null && value !== undefined) {
      known[key] = value;
    }
  }
  return (
    <>
      <KeyValueTable values={known} empty="" />
      <details className="jp-mlops-Packages">
        <summary>
          {Object.keys(env.packages ?? {}).length} packages in use
        </summary>
        <KeyValueTable
          values={env.packages ?? {}}
          empty="No packages recorded."
        />
      </details>
    </>
  );
}

function RunLineage(props: {
  model: MlopsModel;
  run: IRunDetail;
  actions: IRunActions;
}): JSX.Element {
  const { model, run, actions } = props;
  const graph = useLoad(() => model.lineage(run.run_id), [run.run_id]);
  const onNodeClick = (node: ILineageNode) => {
    if (node.type === 'run' && node.node_id !== run.run_id) {
      actions.openRun(node.node_id);
    }
  };
  return (
    <>
      <DatasetList title="Read" items={run.inputs} />
      <DatasetList title="Wrote" items={run.outputs} />
      {graph.state === 'ready' && (
        <LineageGraphView graph={graph.value} onNodeClick={onNodeClick} />
      )}
      {graph.state === 'error' && (
        <p className="jp-mlops-Error">{graph.message}</p>
      )}
    </>
  );
}

export function RunHeader(props: { run: IRunDetail }): JSX.Element {
  const { run } = props;
  return (
    <header className="jp-mlops-Detail-header">
      <h2>
        {runLabel(run)} <StatusBadge status={run.status} />
      </h2>
      <dl className="jp-mlops-Facts">
        <dt>id</dt>
        <dd>
          <code>{run.run_id}</code>
        </dd>
        <dt>experiment</dt>
        <dd>{run.experiment}</dd>
        <dt>kind</dt>
        <dd>
          {run.kind}
          {run.attempt && run.attempt > 1 ? ` · attempt ${run.attempt}` : ''}
        </dd>
        <dt>started</dt>
        <dd>{formatTimestamp(run.start_time)}</dd>
        <dt>took</dt>
        <dd>{formatDuration(run.duration_s)}</dd>
        {run.user && (
          <>
            <dt>user</dt>
            <dd>{run.user}</dd>
          </>
        )}
        {run.source?.notebook_path && (
          <>
            <dt>notebook</dt>
            <dd>
              {run.source.notebook_path}
              {run.source.execution_count
                ? ` · [${run.source.execution_count}]`
                : ''}
            </dd>
          </>
        )}
      </dl>
    </header>
  );
}

export function RunDetailView(props: {
  model: MlopsModel;
  runId: string;
  actions: IRunActions;
}): JSX.Element {
  const { model, runId, actions } = props;
  // a finished run does not change; a running one is re-read with each refresh
  const tick = useSignals(model.runsChanged);
  const [refreshKey, setRefreshKey] = React.useState(0);
  const loaded = useLoad(() => model.runDetail(runId), [runId, refreshKey]);
  React.useEffect(() => {
    if (loaded.state === 'ready' && loaded.value.status === 'running') {
      setRefreshKey(key => key + 1);
    }
  }, [tick]);

  if (loaded.state === 'loading') {
    return (
      <div className="jp-mlops-Detail jp-mod-loading">Loading run {runId}…</div>
    );
  }
  if (loaded.state === 'error') {
    return (
      <div className="jp-mlops-Detail jp-mlops-Error">{loaded.message}</div>
    );
  }
  const run = loaded.value;
  const notebook = run.source?.notebook_path;
  return (
    <div
      className="jp-mlops-Detail jp-mlops-RunDetail"
      data-run-id={run.run_id}
    >
      <RunHeader run={run} />
      <div className="jp-mlops-Detail-actions">
        <button
          className="jp-mlops-Button jp-mod-accept"
          onClick={() => actions.registerModel(run.run_id)}
        >
          Register model…
        </button>
        <button
          className="jp-mlops-Button"
          onClick={() => actions.showLineage(run.run_id)}
        >
          Show in lineage
        </button>
        {notebook && actions.openNotebook && (
          <button
            className="jp-mlops-Button"
            onClick={() => actions.openNotebook!(notebook)}
          >
            Open notebook
          </button>
        )}
      </div>
      {run.error && (
        <Section title="Error" name="error">
          <pre className="jp-mlops-Code jp-mlops-Error">{run.error}</pre>
        </Section>
      )}
      <Section
        title={`Params (${Object.keys(run.params).length})`}
        name="params"
      >
        <KeyValueTable values={run.params} empty="No params logged." />
      </Section>
      <Section
        title={`Metrics (${Object.keys(run.metrics).length})`}
        name="metrics"
      >
        <KeyValueTable
          values={run.metrics}
          empty="No metrics logged."
          className="jp-mlops-Latest"
        />
        <MetricCharts model={model} runs={[run]} />
      </Section>
      <Section title="Code" name="code">
        {run.source?.code ? (
          <pre className="jp-mlops-Code">{run.source.code}</pre>
        ) : (
          <p className="jp-mlops-Empty">No code recorded for this run.</p>
        )}
      </Section>
      <Section title="Lineage" name="lineage">
        <RunLineage model={model} run={run} actions={actions} />
      </Section>
      <Section title="Environment" name="environment" open={false}>
        <EnvironmentView environment={run.environment} />
      </Section>
      {Object.keys(run.tags).length > 0 && (
        <Section title="Tags" name="tags" open={false}>
          <KeyValueTable values={run.tags} empty="" />
        </Section>
      )}
      {run.artifacts.length > 0 && (
        <Section
          title={`Artifacts (${run.artifacts.length})`}
          name="artifacts"
          open={false}
        >
          <ul className="jp-mlops-Artifacts">
            {run.artifacts.map(artifact => (
              <li key={artifact.name}>
                <code>{artifact.name}</code>{' '}
                <span className="jp-mlops-Muted">
                  {(artifact.size / 1024).toFixed(1)} KiB · #
                  {artifact.digest.slice(0, 10)}
                </span>
              </li>
            ))}
          </ul>
        </Section>
      )}
      {run.children.length > 0 && (
        <Section
          title={`Child runs (${run.children.length})`}
          name="children"
          open={false}
        >
          <ul className="jp-mlops-Children">
            {run.children.map(child => (
              <li key={child}>
                <button
                  className="jp-mlops-LinkButton"
                  onClick={() => actions.openRun(child)}
                >
                  {child}
                </button>
              </li>
            ))}
          </ul>
        </Section>
      )}
    </div>
  );
}
