/**
 * The Models section: registered models with their owners; per model its
 * versions with alias badges and approval state, the actions each state
 * allows, the model card and the alias history as a timeline.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import * as React from 'react';

import { IVersionRef, MlopsModel } from '../model';
import { IAliasEvent, IModelSummary, IModelVersion } from '../types';
import { AliasBadge, ApprovalBadge } from './badges';
import { formatTime, formatTimestamp, formatValue, shortId } from './format';
import { useLoad, useSignals } from './hooks';
import { OwnersLine } from './OwnersLine';
import { ServingLine } from './ServingLine';
import { trans } from '../i18n';

/**
 * What the models view asks the application to do (dialogs live there).
 */
export interface IModelActions {
  registerFromRun(runId?: string): void;
  requestApproval(name: string, version: number): void;
  review(name: string, version: number, decision: 'approve' | 'reject'): void;
  promote(name: string, version: number, aliases: string[]): void;
  rollback(name: string, version: number, aliases: string[]): void;
  archive(name: string, version: number): void;
  /** Set the model's owners, starting from the current ones. */
  editOwners(name: string, owners: string[]): void;
  openRun(runId: string): void;
  showModelLineage(name: string, version: number): void;
}

/**
 * The actions a version's state allows, in the order they are offered.
 */
export function allowedActions(version: IModelVersion): string[] {
  if (version.archived) {
    return [];
  }
  const actions: string[] = [];
  if (version.status === 'registered' || version.status === 'rejected') {
    actions.push('request-approval');
  }
  if (version.status === 'pending') {
    actions.push('approve', 'reject');
  }
  if (version.status === 'approved') {
    actions.push('promote');
  }
  if (version.aliases.length > 0) {
    actions.push('rollback');
  } else {
    actions.push('archive');
  }
  return actions;
}

/**
 * Markdown through JupyterLab's rendermime, so it looks like a notebook's
 * Markdown cells (sanitized, themed, with LaTeX and links handled).
 */
export function MarkdownView(props: {
  source: string;
  rendermime: IRenderMimeRegistry | null;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const { source, rendermime } = props;
  React.useEffect(() => {
    if (!rendermime || !host.current) {
      return;
    }
    const renderer = rendermime.createRenderer('text/markdown');
    const node = host.current;
    node.appendChild(renderer.node);
    void renderer.renderModel(
      new MimeModel({ data: { 'text/markdown': source }, trusted: false })
    );
    return () => {
      renderer.dispose();
      node.textContent = '';
    };
  }, [source, rendermime]);
  if (!rendermime) {
    return <pre className="jp-mlops-Card jp-mlops-Code">{source}</pre>;
  }
  return <div className="jp-mlops-Card" ref={host} />;
}

function VersionCard(props: {
  model: MlopsModel;
  name: string;
  version: number;
  rendermime: IRenderMimeRegistry | null;
  refreshKey: number;
}): JSX.Element {
  const { model, name, version } = props;
  const detail = useLoad(
    () => model.modelVersion(name, version),
    [name, version, props.refreshKey]
  );
  if (detail.state !== 'ready') {
    return (
      <div className="jp-mlops-Muted">
        {detail.state === 'error' ? detail.message : trans.__('Loading…')}
      </div>
    );
  }
  const value = detail.value;
  return (
    <div className="jp-mlops-VersionDetail">
      {Object.keys(value.metrics).length > 0 && (
        <dl className="jp-mlops-Facts">
          {Object.entries(value.metrics).map(([key, metric]) => (
            <React.Fragment key={key}>
              <dt>{key}</dt>
              <dd>{formatValue(metric)}</dd>
            </React.Fragment>
          ))}
        </dl>
      )}
      {value.approvals.length > 0 && (
        <ul className="jp-mlops-Approvals">
          {value.approvals.map((approval, i) => (
            <li key={i} className={`jp-mlops-Approval-${approval.decision}`}>
              <b>{approval.actor}</b> {approval.decision}{' '}
              <span
                className="jp-mlops-Muted"
                title={formatTimestamp(approval.at)}
              >
                {formatTime(approval.at)}
              </span>
              {approval.comment && <q>{approval.comment}</q>}
            </li>
          ))}
        </ul>
      )}
      {value.card ? (
        <MarkdownView source={value.card} rendermime={props.rendermime} />
      ) : (
        <p className="jp-mlops-Empty">{trans.__('No model card.')}</p>
      )}
    </div>
  );
}

function actionLabel(action: string): string {
  const labels: Record<string, string> = {
    'request-approval': trans.__('Request approval'),
    approve: trans.__('Approve…'),
    reject: trans.__('Reject…'),
    promote: trans.__('Promote…'),
    rollback: trans.__('Roll back…'),
    archive: trans.__('Archive…')
  };
  return labels[action] ?? action;
}

function VersionRow(props: {
  model: MlopsModel;
  version: IModelVersion;
  aliases: string[];
  actions: IModelActions;
  rendermime: IRenderMimeRegistry | null;
  refreshKey: number;
}): JSX.Element {
  const { model, version, actions } = props;
  const isThis = (ref: IVersionRef | null) =>
    ref?.name === version.name && ref.version === version.version;
  // a link to this version (a notification's) opens its card, in view
  const [revealed, setRevealed] = React.useState(() =>
    isThis(model.revealedVersion)
  );
  const [open, setOpen] = React.useState(revealed);
  const row = React.useRef<HTMLLIElement>(null);
  React.useEffect(() => {
    const show = () => {
      setRevealed(true);
      setOpen(true);
      row.current?.scrollIntoView?.({ block: 'nearest' });
    };
    if (isThis(model.revealedVersion)) {
      show();
    }
    const onRevealed = (_: MlopsModel, ref: IVersionRef) =>
      isThis(ref) ? show() : setRevealed(false);
    model.versionRevealed.connect(onRevealed);
    return () => {
      model.versionRevealed.disconnect(onRevealed);
    };
  }, [model, version.name, version.version]);
  const run = (action: string) => {
    const { name } = version;
    switch (action) {
      case 'request-approval':
        return actions.requestApproval(name, version.version);
      case 'approve':
      case 'reject':
        return actions.review(name, version.version, action);
      case 'promote':
        return actions.promote(name, version.version, props.aliases);
      case 'rollback':
        return actions.rollback(name, version.version, version.aliases);
      case 'archive':
        return actions.archive(name, version.version);
    }
  };
  return (
    <li
      ref={row}
      className={`jp-mlops-Version${version.archived ? ' jp-mod-archived' : ''}${revealed ? ' jp-mod-revealed' : ''}`}
      data-version={version.version}
    >
      <div className="jp-mlops-Version-line">
        <button
          className="jp-mlops-Version-toggle"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
          title={trans.__('Show the card, metrics and approvals')}
        >
          {trans.__('v%1', version.version)}
        </button>
        {version.aliases.map(alias => (
          <AliasBadge key={alias} alias={alias} />
        ))}
        <ApprovalBadge state={version.archived ? 'archived' : version.status} />
        <span className="jp-mlops-Runs-spacer" />
        <span
          className="jp-mlops-Muted"
          title={formatTimestamp(version.registered_at)}
        >
          {formatTime(version.registered_at)}
        </span>
      </div>
      <div className="jp-mlops-Version-meta">
        {version.run_id && (
          <button
            className="jp-mlops-LinkButton"
            onClick={() => actions.openRun(version.run_id!)}
            title={version.run_id}
          >
            {trans.__('run %1', shortId(version.run_id))}
          </button>
        )}
        {version.registered_by && (
          <span className="jp-mlops-Muted">
            {trans.__(' by %1', version.registered_by)}
          </span>
        )}
        {version.flavor && (
          <span className="jp-mlops-Muted"> · {version.flavor}</span>
        )}
        <button
          className="jp-mlops-LinkButton"
          onClick={() =>
            actions.showModelLineage(version.name, version.version)
          }
        >
          {trans.__('lineage')}
        </button>
      </div>
      <div className="jp-mlops-Version-actions">
        {allowedActions(version).map(action => (
          <button
            key={action}
            className={`jp-mlops-Button jp-mlops-Action-${action}`}
            data-action={action}
            onClick={() => run(action)}
          >
            {actionLabel(action)}
          </button>
        ))}
      </div>
      {open && (
        <VersionCard
          model={props.model}
          name={version.name}
          version={version.version}
          rendermime={props.rendermime}
          refreshKey={props.refreshKey}
        />
      )}
    </li>
  );
}

/**
 * Alias moves, newest first, as a vertical timeline.
 */
export function AliasTimeline(props: { events: IAliasEvent[] }): JSX.Element {
  if (props.events.length === 0) {
    return (
      <p className="jp-mlops-Empty">{trans.__('No alias has been set yet.')}</p>
    );
  }
  const events = [...props.events].sort((a, b) => b.at - a.at);
  return (
    <ol className="jp-mlops-Timeline">
      {events.map((event, i) => (
        <li key={i} className={`jp-mlops-Timeline-${event.action}`}>
          <span className="jp-mlops-Timeline-dot" />
          <div>
            <AliasBadge alias={event.alias} /> <b>{event.action}</b>{' '}
            {event.from_version !== null ? `v${event.from_version} → ` : ''}
            {event.to_version !== null
              ? `v${event.to_version}`
              : trans.__('unset')}
          </div>
          <div className="jp-mlops-Muted" title={formatTimestamp(event.at)}>
            {event.actor} · {formatTime(event.at)}
            {event.reason ? ` · ${event.reason}` : ''}
          </div>
        </li>
      ))}
    </ol>
  );
}

function ModelEntry(props: {
  model: MlopsModel;
  summary: IModelSummary;
  actions: IModelActions;
  rendermime: IRenderMimeRegistry | null;
  initiallyOpen: boolean;
}): JSX.Element {
  const { model, summary } = props;
  const [open, setOpen] = React.useState(
    props.initiallyOpen || model.revealedVersion?.name === summary.name
  );
  const [refreshKey, setRefreshKey] = React.useState(0);
  React.useEffect(() => {
    const onChanged = (_: MlopsModel, name: string) => {
      if (name === summary.name) {
        setRefreshKey(key => key + 1);
      }
    };
    const onRevealed = (_: MlopsModel, ref: IVersionRef) => {
      if (ref.name === summary.name) {
        setOpen(true);
      }
    };
    model.modelChanged.connect(onChanged);
    model.versionRevealed.connect(onRevealed);
    return () => {
      model.modelChanged.disconnect(onChanged);
      model.versionRevealed.disconnect(onRevealed);
    };
  }, [model, summary.name]);
  // the summary changes when the poll sees a new version or alias
  const summaryKey = JSON.stringify(summary);
  const detail = useLoad(
    () => (open ? model.modelDetail(summary.name) : Promise.resolve(null)),
    [open, summary.name, refreshKey, summaryKey]
  );
  const aliasNames = Object.keys(summary.aliases);
  return (
    <li className="jp-mlops-Model" data-model={summary.name}>
      <button
        className="jp-mlops-Model-header"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <span className={`jp-mlops-Disclosure${open ? ' jp-mod-open' : ''}`} />
        <b>{summary.name}</b>
        <span className="jp-mlops-Muted">
          {trans._n('%1 version', '%1 versions', summary.versions)}
        </span>
        {Object.entries(summary.aliases).map(([alias, version]) => (
          <span key={alias} className="jp-mlops-AliasPointer">
            <AliasBadge alias={alias} /> {trans.__('v%1', version)}
          </span>
        ))}
      </button>
      <ServingLine model={model} name={summary.name} />
      <OwnersLine
        owners={summary.owners}
        creator={summary.owner}
        onEdit={owners => props.actions.editOwners(summary.name, owners)}
      />
      {open && detail.state === 'ready' && detail.value && (
        <div className="jp-mlops-Model-body">
          {detail.value.description && <p>{detail.value.description}</p>}
          <ul className="jp-mlops-Versions">
            {[...detail.value.versions]
              .sort((a, b) => b.version - a.version)
              .map(version => (
                <VersionRow
                  key={version.version}
                  model={model}
                  version={version}
                  aliases={aliasNames}
                  actions={props.actions}
                  rendermime={props.rendermime}
                  refreshKey={refreshKey}
                />
              ))}
          </ul>
          <h4>{trans.__('Alias history')}</h4>
          <AliasTimeline events={detail.value.alias_history} />
        </div>
      )}
      {open && detail.state === 'error' && (
        <p className="jp-mlops-Error">{detail.message}</p>
      )}
    </li>
  );
}

export function ModelsView(props: {
  model: MlopsModel;
  actions: IModelActions;
  rendermime: IRenderMimeRegistry | null;
}): JSX.Element {
  const { model } = props;
  useSignals(model.modelsChanged, model.selectionChanged);
  const models = model.models;
  const selected = model.selectedRunIds;
  return (
    <div className="jp-mlops-Models">
      <div className="jp-mlops-Runs-toolbar">
        <button
          className="jp-mlops-Button jp-mlops-RegisterButton"
          title={
            selected.length === 1
              ? trans.__('Register the model of the selected run')
              : trans.__('Register the model a run logged')
          }
          onClick={() =>
            props.actions.registerFromRun(
              selected.length === 1 ? selected[0] : undefined
            )
          }
        >
          {trans.__('Register from run…')}
        </button>
      </div>
      {models === null && (
        <p className="jp-mlops-Muted">{trans.__('Loading models…')}</p>
      )}
      {models !== null && models.length === 0 && (
        <p className="jp-mlops-Empty">
          {trans.__(
            "No registered models yet. Register one from a run (Register model… in a run's detail) or with mj.register_model()."
          )}
        </p>
      )}
      {models !== null && models.length > 0 && (
        <ul className="jp-mlops-ModelList">
          {models.map(summary => (
            <ModelEntry
              key={summary.name}
              model={model}
              summary={summary}
              actions={props.actions}
              rendermime={props.rendermime}
              initiallyOpen={models.length === 1}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
