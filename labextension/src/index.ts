import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { getVersion, versionMismatch } from './api';
import { MlopsSidebar, ServerStatusModel, TRANSLATION_DOMAIN } from './panel';
import { IMlopsSidebar, SIDEBAR_ID } from './tokens';

export * from './api';
export * from './tokens';
export { MlopsSidebar, ServerStatusModel } from './panel';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const open = 'mlops-jupyter:open-sidebar';
  export const checkServer = 'mlops-jupyter:check-server';
}

/**
 * Ask the server extension for its version and reflect the answer in the
 * model; tell the user through a notification when something is wrong.
 */
export async function checkServer(
  serverSettings: ServerConnection.ISettings,
  model: ServerStatusModel
): Promise<void> {
  model.state = { status: 'loading' };
  try {
    const info = await getVersion(serverSettings);
    const mismatch = versionMismatch(info);
    if (mismatch) {
      model.state = { status: 'mismatch', info, message: mismatch };
      Notification.warning(mismatch, { autoClose: false });
    } else {
      model.state = { status: 'ok', info };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    model.state = { status: 'error', message };
    Notification.error(`MLOps sidebar: ${message}`, { autoClose: false });
  }
}

const NO_ARGS = { args: { type: 'object' as const, properties: {} } };

/**
 * The MLOps sidebar plugin.
 */
const plugin: JupyterFrontEndPlugin<IMlopsSidebar> = {
  id: 'mlops-jupyter:plugin',
  description:
    'MLOps sidebar: runs, lineage, model registry, releases and monitoring.',
  autoStart: true,
  provides: IMlopsSidebar,
  optional: [ILayoutRestorer, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): IMlopsSidebar => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const serverSettings = app.serviceManager.serverSettings;
    const status = new ServerStatusModel();
    const refresh = () => {
      void checkServer(serverSettings, status);
    };
    const sidebar = new MlopsSidebar({
      serverSettings,
      status,
      onRefresh: refresh,
      translator: translator ?? undefined
    });
    app.shell.add(sidebar, 'left', { rank: 850 });
    if (restorer) {
      restorer.add(sidebar, SIDEBAR_ID);
    }

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Open the MLOps sidebar'),
      describedBy: NO_ARGS,
      execute: () => app.shell.activateById(SIDEBAR_ID)
    });
    app.commands.addCommand(CommandIDs.checkServer, {
      label: trans.__('Check the mlops_jupyter server extension'),
      describedBy: NO_ARGS,
      execute: () => checkServer(serverSettings, status)
    });
    if (palette) {
      const category = trans.__('MLOps');
      palette.addItem({ command: CommandIDs.open, category });
      palette.addItem({ command: CommandIDs.checkServer, category });
    }

    refresh();
    return sidebar;
  }
};

export default plugin;
