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
  ToolbarButtonComponent,
  UseSignal
} from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { IVersionInfo } from './api';
import { mlopsIcon } from './icons';
import { IMlopsSidebar, SIDEBAR_ID } from './tokens';
import { FRONTEND_VERSION } from './version';

/**
 * Translation domain of this extension.
 */
export const TRANSLATION_DOMAIN = 'mlops_jupyter';

/**
 * What the sidebar knows about its server extension.
 */
export type ConnectionState =
  | { status: 'loading' }
  | { status: 'ok'; info: IVersionInfo }
  | { status: 'mismatch'; info: IVersionInfo; message: string }
  | { status: 'error'; message: string };

/**
 * Holds the connection state and signals its changes.
 */
export class ServerStatusModel {
  get state(): ConnectionState {
    return this._state;
  }

  set state(value: ConnectionState) {
    this._state = value;
    this._changed.emit(value);
  }

  get changed(): ISignal<this, ConnectionState> {
    return this._changed;
  }

  private _state: ConnectionState = { status: 'loading' };
  private _changed = new Signal<this, ConnectionState>(this);
}

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
        <dl className="jp-mlops-ServerStatus-facts">
          <dt>{trans.__('Server')}</dt>
          <dd className="jp-mlops-ServerVersion">
            {trans.__('mlops_jupyter %1', state.info.version)}
          </dd>
          <dt>{trans.__('API')}</dt>
          <dd>{state.info.api}</dd>
          <dt>{trans.__('Sidebar')}</dt>
          <dd>{FRONTEND_VERSION}</dd>
        </dl>
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
 * Sidebar section showing the server extension's version.
 */
export class ServerStatusSection extends ReactWidget {
  constructor(options: ServerStatusSection.IOptions) {
    super();
    this._model = options.model;
    this._onRefresh = options.onRefresh;
    this._trans = (options.translator ?? nullTranslator).load(
      TRANSLATION_DOMAIN
    );
    this.addClass('jp-mlops-ServerStatus');
    this.title.label = this._trans.__('Server');
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this._model.changed} initialArgs={this._model.state}>
        {(_, state) => (
          <ServerStatusView
            state={state ?? this._model.state}
            trans={this._trans}
            onRefresh={this._onRefresh}
          />
        )}
      </UseSignal>
    );
  }

  private _model: ServerStatusModel;
  private _onRefresh?: () => void;
  private _trans: TranslationBundle;
}

export namespace ServerStatusSection {
  export interface IOptions {
    model: ServerStatusModel;
    onRefresh?: () => void;
    translator?: ITranslator;
  }
}

/**
 * The MLOps sidebar: a JupyterLab `SidePanel` whose sections are widgets.
 */
export class MlopsSidebar extends SidePanel implements IMlopsSidebar {
  constructor(options: MlopsSidebar.IOptions) {
    const translator = options.translator ?? nullTranslator;
    super({ translator });
    const trans = translator.load(TRANSLATION_DOMAIN);
    this.id = SIDEBAR_ID;
    this.addClass('jp-mlops-Sidebar');
    this.title.icon = mlopsIcon;
    this.title.caption = trans.__('MLOps');
    this.serverSettings = options.serverSettings;

    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('jp-mlops-Sidebar-heading');
    heading.node.textContent = trans.__('MLOps');
    this.header.addWidget(heading);

    this.addSection(
      new ServerStatusSection({
        model: options.status,
        onRefresh: options.onRefresh,
        translator
      }),
      { rank: 1000 }
    );
  }

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

  private _ranks = new Map<Widget, number>();
}

export namespace MlopsSidebar {
  export interface IOptions {
    serverSettings: ServerConnection.ISettings;
    status: ServerStatusModel;
    onRefresh?: () => void;
    translator?: ITranslator;
  }
}
