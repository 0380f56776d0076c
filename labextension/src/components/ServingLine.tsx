/**
 * Live model servers of one registered model, one line per alias:
 * "production → v3, served by 2 servers, p95 4 ms" (issue 13). The lines come
 * from the model's `servers` (the heartbeats `mlops-jupyter serve` records).
 */
import * as React from 'react';

import { trans } from '../i18n';
import { MlopsModel } from '../model';
import { IModelServer } from '../types';
import { useSignals } from './hooks';

export interface IServingSummary {
  /** The alias followed, or null for servers started on a version. */
  alias: string | null;
  /** Versions being served (more than one during a swap or mixed servers). */
  versions: number[];
  servers: number;
  /** The slowest server's p95, in milliseconds. */
  p95Ms: number | null;
  errors: string[];
}

/** The live servers of `name`, grouped by alias (alphabetical, version-pinned last). */
export function servingSummary(
  servers: IModelServer[],
  name: string
): IServingSummary[] {
  const byAlias = new Map<string, IModelServer[]>();
  for (const server of servers) {
    if (server.model !== name) {
      continue;
    }
    const key = server.alias ?? '';
    byAlias.set(key, [...(byAlias.get(key) ?? []), server]);
  }
  return [...byAlias.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)))
    .map(([alias, group]) => {
      const p95 = group
        .map(s => s.p95_ms)
        .filter((v): v is number => v !== null);
      const versions = new Set<number>();
      group.forEach(s =>
        (s.versions.length ? s.versions : s.version ? [s.version] : []).forEach(
          v => versions.add(v)
        )
      );
      return {
        alias: alias === '' ? null : alias,
        versions: [...versions].sort((a, b) => a - b),
        servers: group.length,
        p95Ms: p95.length ? Math.max(...p95) : null,
        errors: group.map(s => s.error).filter((e): e is string => !!e)
      };
    });
}

function formatMs(value: number): string {
  return value < 10 ? value.toFixed(1).replace(/\.0$/, '') : value.toFixed(0);
}

/** "production → v3, served by 2 servers, p95 4 ms". */
export function servingText(summary: IServingSummary): string {
  const versions = summary.versions.length
    ? summary.versions.map(v => trans.__('v%1', v)).join(', ')
    : trans.__('loading');
  const head = summary.alias
    ? trans.__('%1 → %2', summary.alias, versions)
    : trans.__('pinned %1', versions);
  const count = trans._n(
    'served by %1 server',
    'served by %1 servers',
    summary.servers
  );
  const p95 =
    summary.p95Ms === null
      ? ''
      : trans.__(', p95 %1 ms', formatMs(summary.p95Ms));
  return `${head}, ${count}${p95}`;
}

export function ServingLine(props: {
  model: MlopsModel;
  name: string;
}): JSX.Element | null {
  const { model, name } = props;
  useSignals(model.serversChanged);
  const summaries = servingSummary(model.servers ?? [], name);
  if (summaries.length === 0) {
    return null;
  }
  return (
    <ul className="jp-mlops-Serving" aria-label={trans.__('Live servers')}>
      {summaries.map(summary => (
        <li
          key={summary.alias ?? ''}
          className="jp-mlops-Serving-line"
          data-alias={summary.alias ?? ''}
          title={summary.errors.join('\n') || undefined}
        >
          <span
            className={`jp-mlops-Serving-dot${
              summary.errors.length ? ' jp-mod-error' : ''
            }`}
          />
          {servingText(summary)}
        </li>
      ))}
    </ul>
  );
}
