/**
 * Governance notifications: what is announced, once, with a link to the
 * version; against a fake REST server.
 */
import {
  GovernanceNotifier,
  IGovernanceEvent,
  severityOf,
  toAnnounce
} from '../governance';
import { fakeServer } from './fakeServer';

function event(
  seq: number,
  type: IGovernanceEvent['type'] = 'approval.requested'
): IGovernanceEvent {
  return {
    seq,
    event_id: `e${seq}`,
    type,
    model: 'churn',
    version: seq,
    actor: 'alice',
    at: 1_700_000_000 + seq,
    owners: ['bob'],
    summary: `churn v${seq} awaits approval by alice`,
    data: { uri: `models:/churn/${seq}` }
  };
}

class MemoryStorage {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('toAnnounce', () => {
  it('announces only newer events, oldest first', () => {
    const events = [event(5), event(3), event(4)];
    expect(toAnnounce(events, 3).map(e => e.seq)).toEqual([4, 5]);
    expect(toAnnounce(events, 5)).toEqual([]);
  });

  it('announces only the newest few the first time', () => {
    const events = [6, 5, 4, 3, 2, 1].map(seq => event(seq));
    expect(toAnnounce(events, null).map(e => e.seq)).toEqual([4, 5, 6]);
  });

  it('maps failures to errors and requests to warnings', () => {
    expect(severityOf('gate.failed')).toBe('error');
    expect(severityOf('check.failed')).toBe('error');
    expect(severityOf('approval.requested')).toBe('warning');
    expect(severityOf('version.rejected')).toBe('info');
  });
});

describe('GovernanceNotifier', () => {
  it('asks for events after the newest seen and notifies each once', async () => {
    const server = fakeServer();
    let answer = [event(2), event(1, 'gate.failed')];
    server.on('notifications', () => ({ user: 'bob', notifications: answer }));
    const seen: IGovernanceEvent[] = [];
    const opened: string[] = [];
    const storage = new MemoryStorage();
    const notifier = new GovernanceNotifier({
      settings: server.client.serverSettings,
      openVersion: (name, version) => opened.push(`${name}/${version}`),
      storage,
      notify: (e, open) => {
        seen.push(e);
        open();
      }
    });
    await notifier.check();
    expect(seen.map(e => e.seq)).toEqual([1, 2]);
    expect(opened).toEqual(['churn/1', 'churn/2']);
    expect(notifier.lastSeen).toBe(2);
    expect(server.calls('notifications')[0].searchParams.get('after')).toBe(
      '0'
    );

    answer = [event(3)];
    await notifier.check();
    expect(seen.map(e => e.seq)).toEqual([1, 2, 3]);
    expect(server.calls('notifications')[1].searchParams.get('after')).toBe(
      '2'
    );
    answer = [];
    await notifier.check();
    expect(seen).toHaveLength(3);
    expect(notifier.lastSeen).toBe(3);
    notifier.dispose();
  });
});
