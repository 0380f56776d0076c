/**
 * The JupyterLab plugin: builds the model and the MLOps sidebar, opens run
 * detail and comparison tabs, and adds the commands ("Track this cell",
 * "Run notebook as batch…") to the palette and the cell toolbar.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { MlopsClient } from './client';
import {
  isTracked,
  LOAD_EXTENSION,
  loadsExtension,
  toggleTrack
} from './commands/track';
import { trackIcon, runIcon } from './icons';
import { MlopsModel } from './model';
import {
  createCompareWidget,
  createRunWidget,
  ISidebarActions,
  MlopsSidebar
} from './panel';
import { setTranslator, trans } from './i18n';
import { IMlopsSidebar, SIDEBAR_ID } from './tokens';

export * from './api';
export * from './tokens';
export { MlopsClient } from './client';
export { MlopsModel } from './model';
export { MlopsSidebar } from './panel';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const open = 'mlops-jupyter:open-sidebar';
  export const checkServer = 'mlops-jupyter:check-server';
  export const refresh = 'mlops-jupyter:refresh';
  export const toggleTrack = 'mlops-jupyter:toggle-track';
  export const runBatch = 'mlops-jupyter:run-batch';
  export const openRun = 'mlops-jupyter:open-run';
}

const NO_ARGS = { args: { type: 'object' as const, properties: {} } };

/**
 * Show `widget` in the main area, or the already open widget with its id.
 */
function showInMain(app: JupyterFrontEnd, widget: () => MainAreaWidget): void {
  const created = widget();
  for (const open of app.shell.widgets('main')) {
    if (open.id === created.id) {
      created.dispose();
      app.shell.activateById(open.id);
      return;
    }
  }
  app.shell.add(created, 'main');
  app.shell.activateById(created.id);
}

/**
 * Add the "Track this cell" and "Run notebook as batch…" commands.
 */
function addNotebookCommands(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  model: MlopsModel
): void {
  const activeCodeCell = () => {
    const cell = tracker.activeCell;
    return cell && cell.model.type === 'code' ? cell : null;
  };

  app.commands.addCommand(CommandIDs.toggleTrack, {
    label: trans.__('Track this cell'),
    caption: trans.__(
      'Toggle %%track on the first line: each run of the cell is recorded (code, params, metrics, data, model)'
    ),
    icon: trackIcon,
    describedBy: NO_ARGS,
    isEnabled: () => activeCodeCell() !== null,
    isToggled: () => {
      const cell = activeCodeCell();
      return cell ? isTracked(cell.model.sharedModel.getSource()) : false;
    },
    execute: () => {
      const cell = activeCodeCell();
      const notebook = tracker.currentWidget;
      if (!cell || !notebook) {
        return;
      }
      const shared = cell.model.sharedModel;
      shared.setSource(toggleTrack(shared.getSource()));
      app.commands.notifyCommandChanged(CommandIDs.toggleTrack);
      const cells = notebook.content.model?.sharedModel.cells ?? [];
      const sources = cells.map(c => c.getSource());
      if (isTracked(shared.getSource()) && !loadsExtension(sources)) {
        Notification.info(
          trans.__(
            '%%track needs the mlops_jupyter IPython extension in this notebook.'
          ),
          {
            autoClose: 10000,
            actions: [
              {
                label: trans.__('Add %1', LOAD_EXTENSION),
                callback: () => {
                  notebook.content.model?.sharedModel.insertCell(0, {
                    cell_type: 'code',
                    source: LOAD_EXTENSION
                  });
                }
              }
            ]
          }
        );
      }
    }
  });

  app.commands.addCommand(CommandIDs.runBatch, {
    label: trans.__('Run notebook as batch…'),
    caption: trans.__(
      "Run the notebook with papermill over a grid of its parameters' values"
    ),
    icon: runIcon,
    describedBy: NO_ARGS,
    isEnabled: () => tracker.currentWidget !== null,
    execute: async () => {
      const panel = tracker.currentWidget;
      if (!panel) {
        return;
      }
      // a batch run executes the file on disk: save what the user sees first
      if (panel.context.model.dirty) {
        await panel.context.save();
      }
      const path = panel.context.path;
      let parameters;
      try {
        parameters = await model.notebookParameters(path);
      } catch {
        return; // the model has notified
      }
      const { batchDialog } = await import('./commands/batch');
      const started = await batchDialog(
        path,
        parameters,
        async request => (await model.startSweep(request, true)) !== null
      );
      if (started) {
        app.shell.activateById(SIDEBAR_ID);
      }
    }
  });

  tracker.activeCellChanged.connect(() =>
    app.commands.notifyCommandChanged(CommandIDs.toggleTrack)
  );
}

/**
 * The MLOps sidebar plugin.
 */
const plugin: JupyterFrontEndPlugin<IMlopsSidebar> = {
  id: 'mlops-jupyter:plugin',
  description:
    'MLOps sidebar: runs, lineage, model registry, releases and monitoring.',
  autoStart: true,
  provides: IMlopsSidebar,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    ITranslator,
    INotebookTracker,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    notebooks: INotebookTracker | null,
    rendermime: IRenderMimeRegistry | null
  ): IMlopsSidebar => {
    setTranslator(translator ?? nullTranslator);
    let sidebar: Widget | null = null;
    const model = new MlopsModel({
      client: new MlopsClient(app.serviceManager.serverSettings),
      isVisible: () => sidebar?.isVisible ?? false,
      notebookPath: () => notebooks?.currentWidget?.context.path ?? null
    });
    notebooks?.currentChanged.connect(() => model.notebookChanged());

    // the dialogs load on first use, not with JupyterLab
    const dialogs = () => import('./dialogs');
    const actions: ISidebarActions = {
      openRun: runId =>
        showInMain(app, () => createRunWidget(model, runId, actions)),
      compare: runIds =>
        showInMain(app, () =>
          createCompareWidget(model, runIds, actions.openRun)
        ),
      registerModel: runId =>
        void dialogs().then(d => d.registerModelDialog(model, runId)),
      registerFromRun: runId =>
        void dialogs().then(d => d.registerModelDialog(model, runId)),
      showLineage: runId => {
        model.setLineageFocus({ kind: 'run', id: runId });
        app.shell.activateById(SIDEBAR_ID);
      },
      showModelLineage: (name, version) =>
        model.setLineageFocus({
          kind: 'model_version',
          id: `${name}/${version}`,
          name,
          version
        }),
      openNotebook: path =>
        void app.commands.execute('docmanager:open', { path }),
      requestApproval: (name, version) =>
        void model.requestApproval(name, version),
      review: (name, version, decision) =>
        void dialogs().then(d =>
          d.reviewDialog(model, name, version, decision)
        ),
      promote: (name, version, aliases) =>
        void dialogs().then(d =>
          d.promoteDialog(model, name, version, aliases)
        ),
      rollback: (name, version, aliases) =>
        void dialogs().then(d =>
          d.rollbackDialog(model, name, version, aliases)
        ),
      archive: (name, version) =>
        void dialogs().then(d => d.archiveDialog(model, name, version)),
      editOwners: (name, owners) =>
        void dialogs().then(d => d.editOwnersDialog(model, name, owners))
    };

    const panel = new MlopsSidebar({
      model,
      actions,
      rendermime,
      translator: translator ?? undefined
    });
    sidebar = panel;
    app.shell.add(panel, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(panel, SIDEBAR_ID);
    }

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Open the MLOps sidebar'),
      describedBy: NO_ARGS,
      execute: () => app.shell.activateById(SIDEBAR_ID)
    });
    app.commands.addCommand(CommandIDs.checkServer, {
      label: trans.__('Check the mlops_jupyter server extension'),
      describedBy: NO_ARGS,
      execute: () => model.checkServer()
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh the MLOps sidebar'),
      describedBy: NO_ARGS,
      execute: () => model.refresh()
    });
    app.commands.addCommand(CommandIDs.openRun, {
      label: args => trans.__('Open run %1', String(args.runId ?? '')),
      describedBy: {
        args: {
          type: 'object',
          properties: { runId: { type: 'string' } },
          required: ['runId']
        }
      },
      execute: args => actions.openRun(String(args.runId))
    });
    const category = trans.__('MLOps');
    const paletteCommands = [
      CommandIDs.open,
      CommandIDs.refresh,
      CommandIDs.checkServer
    ];
    if (notebooks) {
      addNotebookCommands(app, notebooks, model);
      paletteCommands.push(CommandIDs.toggleTrack, CommandIDs.runBatch);
    }
    if (palette) {
      for (const command of paletteCommands) {
        palette.addItem({ command, category });
      }
    }

    // governance: the events of the user's models in the notification center
    // (loaded after the application started; nothing waits for it)
    const startNotifications = async () => {
      const { GovernanceNotifier } = await import('./governance');
      const notifier = new GovernanceNotifier({
        settings: app.serviceManager.serverSettings,
        openVersion: (name, version) => {
          model.revealVersion(name, version);
          actions.showModelLineage(name, version);
          app.shell.activateById(SIDEBAR_ID);
        }
      });
      panel.disposed.connect(() => notifier.dispose());
      notifier.start();
    };

    void app.restored.then(() => {
      void model.start();
      void startNotifications();
    });
    return panel;
  }
};

export default plugin;
