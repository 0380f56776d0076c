/**
 * Governance notifications: the events of the models the user owns (pending
 * approvals, failed gates and checks, rejections), shown through JupyterLab's
 * notification center, each with a link to the version.
 *
 * The server decides what concerns the user (`GET notifications`: events
 * naming them, or a group of theirs, among the owners to notify). A poll asks
 * for the events after the newest one seen; the newest seen `seq` is kept in
 * the browser's storage so a reload does not repeat them. The first time, only
 * the few newest are shown.
 */
import { Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

import { requestAPI } from './api';
import { trans } from './i18n';
import {
  IGovernanceEvent as IGovernanceEventSchema,
  INotifications as INotificationsSchema
} from './types';

/** One event, as `GET notifications` returns it (generated from the server's models). */
export type IGovernanceEvent = IGovernanceEventSchema;
export type INotificationsPage = INotificationsSchema;

/**
 * Fetch the user's notifications newer than `after` (newest first).
 */
export function fetchNotifications(
  settings: ServerConnection.ISettings,
  after: number,
  limit = 20
): Promise<INotificationsPage> {
  return requestAPI<INotificationsPage>(
    'notifications',
    settings,
    {},
    {
      after,
      limit
    }
  );
}

/** The notification center's kind for an event type. */
export function severityOf(type: string): 'warning' | 'error' | 'info' {
  if (type === 'gate.failed' || type === 'check.failed') {
    return 'error';
  }
  return type === 'approval.requested' ? 'warning' : 'info';
}

/**
 * The events to announce: newer than `lastSeen`, oldest first; the first
 * time (`lastSeen` null) only the `firstTime` newest.
 */
export function toAnnounce(
  events: IGovernanceEvent[],
  lastSeen: number | null,
  firstTime = 3
): IGovernanceEvent[] {
  const newer = events
    .filter(event => lastSeen === null || event.seq > lastSeen)
    .sort((a, b) => a.seq - b.seq);
  return lastSeen === null ? newer.slice(-firstTime) : newer;
}

export interface IGovernanceNotifierOptions {
  settings: ServerConnection.ISettings;
  /** Show the version (its card in the Models section, and its lineage). */
  openVersion: (name: string, version: number) => void;
  /** Where the newest seen `seq` is kept (default: the browser's localStorage). */
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Milliseconds between looks (default 15 s). */
  interval?: number;
  /** Where notifications go (default: JupyterLab's notification center). */
  notify?: (event: IGovernanceEvent, open: () => void) => void;
}

function notifyCenter(event: IGovernanceEvent, open: () => void): void {
  const options = {
    autoClose: false as const,
    actions:
      event.model && event.version !== null
        ? [{ label: trans.__('Open version'), callback: open }]
        : []
  };
  const message = trans.__('MLOps: %1', event.summary);
  const kind = severityOf(event.type);
  if (kind === 'error') {
    Notification.error(message, options);
  } else if (kind === 'warning') {
    Notification.warning(message, options);
  } else {
    Notification.info(message, options);
  }
}

export class GovernanceNotifier implements IDisposable {
  constructor(options: IGovernanceNotifierOptions) {
    this._options = options;
    this._storage =
      options.storage === undefined
        ? typeof localStorage === 'undefined'
          ? null
          : localStorage
        : options.storage;
    this._key = `mlops-jupyter:notified:${options.settings.baseUrl}`;
    this.poll = new Poll({
      auto: false,
      factory: () => this.check(),
      frequency: {
        interval: options.interval ?? 15_000,
        backoff: true,
        max: 300_000
      },
      name: 'mlops-jupyter:notifications',
      standby: 'when-hidden'
    });
  }

  readonly poll: Poll;

  get isDisposed(): boolean {
    return this.poll.isDisposed;
  }

  start(): void {
    void this.poll.start();
  }

  dispose(): void {
    this.poll.dispose();
  }

  /** The newest `seq` already announced, or null before the first look. */
  get lastSeen(): number | null {
    const stored = this._storage?.getItem(this._key) ?? null;
    return stored === null ? null : Number(stored);
  }

  /**
   * Look once: announce what is new and remember the newest seen.
   */
  async check(): Promise<void> {
    const lastSeen = this.lastSeen;
    const page = await fetchNotifications(
      this._options.settings,
      lastSeen ?? 0
    );
    const events = toAnnounce(page.notifications, lastSeen);
    const notify = this._options.notify ?? notifyCenter;
    for (const event of events) {
      notify(event, () => {
        if (event.model && event.version !== null) {
          this._options.openVersion(event.model, event.version);
        }
      });
    }
    const newest = Math.max(
      lastSeen ?? 0,
      ...page.notifications.map(event => event.seq)
    );
    this._storage?.setItem(this._key, String(newest));
  }

  private _options: IGovernanceNotifierOptions;
  private _storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  private _key: string;
}
