/**
 * The MLOps sidebar: a JupyterLab `SidePanel` whose sections are
 * `ReactWidget`s over one `MlopsModel`; and the main-area widgets for run
 * detail and run comparison.
 */
import { InputDialog, MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import {
  ReactWidget,
  refreshIcon,
  SidePanel,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';
import * as React from 'react';

import { CompareView } from './components/CompareView';
import { useSignals } from './components/hooks';
import { LineageView } from './components/LineageView';
import { IModelActions, ModelsView } from './components/ModelsView';
import { MonitorView } from './components/MonitorView';
import { IRunActions, RunDetailView } from './components/RunDetail';
import { RunsView } from './components/RunsView';
import { SweepsView } from './components/SweepsView';
import { compareIcon, mlopsIcon, runIcon } from './icons';
import { ConnectionState, MlopsModel } from './model';
import { IMlopsSidebar, SIDEBAR_ID } from './tokens';
import { trans as bundle, TRANSLATION_DOMAIN } from './i18n';
import { FRONTEND_VERSION } from './version';

export { TRANSLATION_DOMAIN };

/**
 * Render the connection state.
 */
export function ServerStatusView(props: {
  state: ConnectionState;
  trans: TranslationBundle;
  onRefresh?: () => void;
}): JSX.Element {
  const { state, trans, onRefresh } = props;
  let body: JSX.Element;
  switch (state.status) {
    case 'loading':
      body = <span>{trans.__('Connecting to the mlops_jupyter server…')}</span>;
      break;
    case 'ok':
    case 'mismatch':
      body = (
        <span
          className="jp-mlops-ServerStatus-facts"
          title={trans.__(
            'Server extension %1, REST API %2, sidebar %3',
            state.info.version,
            state.info.api,
            FRONTEND_VERSION
          )}
        >
          <span className="jp-mlops-ServerVersion">
            {trans.__('mlops_jupyter %1', state.info.version)}
          </span>
          <span className="jp-mlops-Muted">
            {' · '}
            {trans.__('API %1', state.info.api)}
          </span>
        </span>
      );
      break;
    case 'error':
      body = (
        <span className="jp-mlops-ServerStatus-error">{state.message}</span>
      );
      break;
  }
  return (
    <div className="jp-mlops-ServerStatus-body" data-status={state.status}>
      {body}
      {state.status === 'mismatch' && (
        <p className="jp-mlops-ServerStatus-warning">{state.message}</p>
      )}
      {onRefresh && (
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Check the server again')}
          onClick={onRefresh}
        />
      )}
    </div>
  );
}

/**
 * The connection state of a model, kept current through its signal.
 */
function ConnectionView(props: {
  model: MlopsModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model } = props;
  useSignals(model.connectionChanged);
  return (
    <ServerStatusView
      state={model.connection}
      trans={props.trans}
      onRefresh={() => void model.checkServer()}
    />
  );
}

/**
 * A sidebar section: a titled `ReactWidget` rendering one view.
 */
export class SectionWidget extends ReactWidget {
  constructor(options: SectionWidget.IOptions) {
    super();
    this.title.label = options.label;
    this.addClass('jp-mlops-Section');
    this.addClass(`jp-mlops-Section-${options.name}`);
    this.node.dataset.section = options.name;
    this._render = options.render;
  }

  render(): JSX.Element {
    return this._render();
  }

  private _render: () => JSX.Element;
}

export namespace SectionWidget {
  export interface IOptions {
    name: string;
    label: string;
    render: () => JSX.Element;
  }
}

/**
 * What the sidebar's views ask the application to do.
 */
export interface ISidebarActions extends IModelActions, IRunActions {
  compare(runIds: string[]): void;
}

/** The Retrain action's question: the new data's path ('' keeps the old data). */
async function askRetrainData(
  name: string,
  alias: string
): Promise<string | null> {
  const answer = await InputDialog.getText({
    title: bundle.__('Retrain %1@%2', name, alias),
    label: bundle.__(
      'New training data (a CSV/parquet path relative to the server root; empty: the same data)'
    ),
    placeholder: 'data/new.csv',
    okLabel: bundle.__('Retrain')
  });
  return answer.button.accept ? (answer.value ?? '').trim() : null;
}

/**
 * The MLOps sidebar.
 */
export class MlopsSidebar extends SidePanel implements IMlopsSidebar {
  constructor(options: MlopsSidebar.IOptions) {
    const translator = options.translator ?? nullTranslator;
    super({ translator });
    const trans = translator.load(TRANSLATION_DOMAIN);
    const { model, actions } = options;
    this.id = SIDEBAR_ID;
    this.addClass('jp-mlops-Sidebar');
    this.title.icon = mlopsIcon;
    this.title.caption = trans.__('MLOps');
    this.model = model;
    this.serverSettings = model.client.serverSettings;

    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('jp-mlops-Sidebar-heading');
    heading.node.textContent = trans.__('MLOps');
    this.header.addWidget(heading);

    const sections: [string, string, number, () => JSX.Element][] = [
      [
        'runs',
        trans.__('Runs'),
        100,
        () => (
          <RunsView
            model={model}
            onOpenRun={actions.openRun}
            onCompare={actions.compare}
          />
        )
      ],
      [
        'lineage',
        trans.__('Lineage'),
        200,
        () => <LineageView model={model} onOpenRun={actions.openRun} />
      ],
      [
        'models',
        trans.__('Models'),
        300,
        () => (
          <ModelsView
            model={model}
            actions={actions}
            rendermime={options.rendermime ?? null}
          />
        )
      ],
      [
        'monitoring',
        trans.__('Monitoring'),
        400,
        () => (
          <MonitorView
            model={model}
            onOpenRun={actions.openRun}
            actions={{
              openNotebook: actions.openNotebook,
              rollback: actions.rollback,
              askDataPath: askRetrainData
            }}
          />
        )
      ],
      [
        'sweeps',
        trans.__('Batch runs'),
        500,
        () => <SweepsView model={model} onOpenRun={actions.openRun} />
      ]
    ];
    for (const [name, label, rank, render] of sections) {
      this.addSection(new SectionWidget({ name, label, render }), { rank });
    }
    // the connection is one compact line under the heading, always in view
    const status = ReactWidget.create(
      <ConnectionView model={model} trans={trans} />
    );
    status.addClass('jp-mlops-ServerStatus');
    this.header.addWidget(status);
    // the runs table deserves most of the height
    (this.content as AccordionPanel).setRelativeSizes([5, 2.5, 3, 1.5, 1]);
    // a link to a version (a notification's) shows it in the Models section
    model.versionRevealed.connect(() => {
      const index = this.widgets.findIndex(
        widget => widget.node.dataset.section === 'models'
      );
      if (index >= 0) {
        (this.content as AccordionPanel).expand(index);
      }
    }, this);
  }

  readonly model: MlopsModel;
  readonly serverSettings: ServerConnection.ISettings;

  addSection(widget: Widget, options: { rank?: number } = {}): void {
    const rank = options.rank ?? 500;
    this._ranks.set(widget, rank);
    const index = this.widgets.findIndex(
      other => (this._ranks.get(other) ?? 500) > rank
    );
    if (index === -1) {
      this.addWidget(widget);
    } else {
      this.insertWidget(index, widget);
    }
  }

  /**
   * Coming back on screen: show fresh data now rather than at the next tick.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.model.connection.status !== 'loading') {
      void this.model.refresh();
    }
  }

  private _ranks = new Map<Widget, number>();
}

export namespace MlopsSidebar {
  export interface IOptions {
    model: MlopsModel;
    actions: ISidebarActions;
    rendermime?: IRenderMimeRegistry | null;
    translator?: ITranslator;
  }
}

/**
 * A main-area tab showing one run.
 */
export function createRunWidget(
  model: MlopsModel,
  runId: string,
  actions: IRunActions
): MainAreaWidget {
  const content = ReactWidget.create(
    <RunDetailView model={model} runId={runId} actions={actions} />
  );
  const widget = new MainAreaWidget({ content });
  widget.id = `mlops-run-${runId}`;
  widget.addClass('jp-mlops-MainArea');
  widget.title.label = `Run ${runId.slice(-8)}`;
  widget.title.caption = `mlops_jupyter run ${runId}`;
  widget.title.icon = runIcon;
  widget.title.closable = true;
  void model.runDetail(runId).then(
    run => {
      widget.title.label = `Run ${run.name ?? runId.slice(-8)}`;
    },
    () => undefined
  );
  return widget;
}

/**
 * A main-area tab comparing runs.
 */
export function createCompareWidget(
  model: MlopsModel,
  runIds: string[],
  onOpenRun: (runId: string) => void
): MainAreaWidget {
  const content = ReactWidget.create(
    <CompareView model={model} runIds={runIds} onOpenRun={onOpenRun} />
  );
  const widget = new MainAreaWidget({ content });
  widget.id = `mlops-compare-${runIds.join('-')}`;
  widget.addClass('jp-mlops-MainArea');
  widget.title.label = `Compare ${runIds.length} runs`;
  widget.title.icon = compareIcon;
  widget.title.closable = true;
  return widget;
}
