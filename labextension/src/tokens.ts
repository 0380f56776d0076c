import { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

/**
 * Widget id of the MLOps sidebar (a user-facing contract: tests find the
 * tab with `.jp-SideBar li.lm-TabBar-tab[data-id="mlops-jupyter-sidebar"]`).
 */
export const SIDEBAR_ID = 'mlops-jupyter-sidebar';

/**
 * The MLOps sidebar, for plugins that add sections to it.
 */
export interface IMlopsSidebar {
  /**
   * Add a section (shown as a collapsible accordion item titled with
   * `widget.title.label`). Sections are ordered by ascending rank; the
   * built-in ones are Runs (100), Lineage (200), Models (300), Monitoring
   * (400) and Batch runs (500).
   */
  addSection(widget: Widget, options?: { rank?: number }): void;

  /**
   * Settings to pass to `requestAPI` for calls to the mlops_jupyter server.
   */
  readonly serverSettings: ServerConnection.ISettings;
}

export const IMlopsSidebar = new Token<IMlopsSidebar>(
  'mlops-jupyter:IMlopsSidebar',
  'The MLOps sidebar panel, to which other plugins add sections.'
);
