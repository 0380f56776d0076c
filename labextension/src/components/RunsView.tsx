/**
 * The Runs section: scope toggle, filter box, and a virtualized, sortable
 * table of runs. Only the rows on screen exist in the DOM and only their
 * pages are fetched, so 100 000 runs scroll like 100.
 */
import {
  caretDownEmptyThinIcon,
  caretUpEmptyThinIcon,
  refreshIcon,
  ToolbarButtonComponent
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { MlopsModel, RunScope } from '../model';
import { IRun } from '../types';
import { StatusBadge } from './badges';
import {
  fieldName,
  formatDuration,
  formatTime,
  formatTimestamp,
  formatValue,
  runLabel
} from './format';
import { useSignals } from './hooks';
import { trans } from '../i18n';

export const ROW_HEIGHT = 26;
const OVERSCAN = 12;
const MAX_METRIC_COLUMNS = 3;

/**
 * Rows [start, end) to render for a scroll position, with some overscan
 * so fast scrolling does not show blank rows.
 */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  total: number,
  rowHeight = ROW_HEIGHT,
  overscan = OVERSCAN
): [number, number] {
  const first = Math.floor(scrollTop / rowHeight);
  const count = Math.ceil(viewportHeight / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + count + overscan);
  return [start, Math.max(start, end)];
}

/**
 * Metric keys worth a column: those of the first loaded rows (stable while
 * scrolling), and the sort key when it is a metric.
 */
export function metricColumns(
  runs: IRun[],
  orderBy: string,
  max = MAX_METRIC_COLUMNS
): string[] {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const key of Object.keys(run.metrics ?? {})) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const keys = [...counts.keys()].sort(
    (a, b) => counts.get(b)! - counts.get(a)! || a.localeCompare(b)
  );
  const sorted = sortedMetric(orderBy);
  const chosen = keys.slice(0, max);
  if (sorted && !chosen.includes(sorted)) {
    chosen.splice(max - 1, 1, sorted);
  }
  return chosen.slice(0, max);
}

/** The metric key an order-by field sorts on, if it is a metric. */
function sortedMetric(orderBy: string): string | null {
  const match = /^metrics\.`?([^`]+)`?$/.exec(orderBy);
  return match ? match[1] : null;
}

interface IColumn {
  id: string;
  label: string;
  /** Field to order by, or null when the column cannot sort. */
  field: string | null;
  width: string;
  className: string;
  cell: (run: IRun) => React.ReactNode;
  title?: (run: IRun) => string;
}

/**
 * How many metric columns fit, and whether the time columns do, in a table
 * `width` pixels wide (the sidebar is often narrow).
 */
export function columnBudget(width: number): {
  metrics: number;
  times: boolean;
} {
  const fixed = 24 + 68 + 110; // select, status, a readable name
  const times = width - fixed >= 62 + 142;
  const left = width - fixed - (times ? 142 : 0);
  return {
    metrics: Math.max(1, Math.min(MAX_METRIC_COLUMNS, Math.floor(left / 62))),
    times
  };
}

function columnsFor(metricKeys: string[], times: boolean): IColumn[] {
  const columns: IColumn[] = [
    {
      id: 'status',
      label: trans.__('Status'),
      field: 'status',
      width: '68px',
      className: 'jp-mlops-RunsTable-status',
      cell: run => <StatusBadge status={run.status} />
    },
    {
      id: 'name',
      label: trans.__('Run'),
      field: 'name',
      width: 'minmax(90px, 1fr)',
      className: 'jp-mlops-RunsTable-name',
      cell: run => runLabel(run),
      title: run =>
        `${run.name ?? '(unnamed)'} · ${run.kind} · ${run.experiment}\n${run.run_id}`
    },
    ...metricKeys.map((key): IColumn => ({
      id: `metrics.${key}`,
      label: key,
      field: fieldName('metrics', key),
      width: '62px',
      className: 'jp-mlops-RunsTable-metric',
      cell: run => formatValue(run.metrics?.[key]),
      title: run => `${key} = ${run.metrics?.[key] ?? '—'}`
    }))
  ];
  if (!times) {
    return columns;
  }
  return [
    ...columns,
    {
      id: 'start_time',
      label: trans.__('Started'),
      field: 'start_time',
      width: '84px',
      className: 'jp-mlops-RunsTable-time',
      cell: run => formatTime(run.start_time),
      title: run => formatTimestamp(run.start_time)
    },
    {
      id: 'duration_s',
      label: trans.__('Took'),
      field: 'duration_s',
      width: '58px',
      className: 'jp-mlops-RunsTable-duration',
      cell: run => formatDuration(run.duration_s)
    }
  ];
}

const SELECT_WIDTH = '24px';

function ScopeToggle(props: {
  scope: RunScope;
  onChange: (scope: RunScope) => void;
}): JSX.Element {
  const options: [RunScope, string][] = [
    ['notebook', trans.__('This notebook')],
    ['all', trans.__('All')]
  ];
  return (
    <div
      className="jp-mlops-Segmented"
      role="radiogroup"
      aria-label={trans.__('Runs to show')}
    >
      {options.map(([scope, label]) => (
        <button
          key={scope}
          role="radio"
          aria-checked={props.scope === scope}
          className={props.scope === scope ? 'jp-mod-active' : ''}
          data-scope={scope}
          onClick={() => props.onChange(scope)}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

function FilterBox(props: {
  value: string;
  error: string | null;
  onApply: (filter: string) => void;
}): JSX.Element {
  const [draft, setDraft] = React.useState(props.value);
  React.useEffect(() => setDraft(props.value), [props.value]);
  return (
    <form
      className="jp-mlops-FilterBox"
      onSubmit={event => {
        event.preventDefault();
        props.onApply(draft);
      }}
    >
      <input
        className={`jp-mlops-FilterBox-input${props.error ? ' jp-mod-error' : ''}`}
        type="search"
        spellCheck={false}
        // eslint-disable-next-line jupyter/no-untranslated-string -- filter language, not prose
        placeholder="metrics.acc > 0.9 and params.model = 'rf'"
        aria-label={trans.__('Filter runs')}
        title={trans.__(
          'Filter runs (press Enter); the same language as mj.runs(filter=...)'
        )}
        value={draft}
        onChange={event => setDraft(event.target.value)}
        onBlur={() => draft !== props.value && props.onApply(draft)}
      />
      {props.error && (
        <pre className="jp-mlops-FilterBox-error" role="alert">
          {props.error}
        </pre>
      )}
    </form>
  );
}

function emptyMessage(model: MlopsModel): string | null {
  if (model.missingNotebook) {
    return trans.__('Open a notebook to see its runs, or show all runs.');
  }
  if (model.totalRuns !== 0 || model.filterError) {
    return null;
  }
  if (model.query.filter.trim()) {
    return trans.__('No run matches this filter.');
  }
  return model.query.scope === 'notebook'
    ? trans.__(
        'No runs from this notebook yet: add %%track to a cell and run it.'
      )
    : trans.__('No runs yet: add %%track to a cell, or call mj.start_run().');
}

export function RunsView(props: {
  model: MlopsModel;
  onOpenRun: (runId: string) => void;
  onCompare: (runIds: string[]) => void;
}): JSX.Element {
  const { model } = props;
  useSignals(
    model.runsChanged,
    model.selectionChanged,
    model.lineageFocusChanged
  );
  const scroller = React.useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = React.useState(0);
  const [viewport, setViewport] = React.useState(400);
  const [width, setWidth] = React.useState(400);

  React.useEffect(() => {
    const node = scroller.current;
    if (!node) {
      return;
    }
    const measure = () => {
      setViewport(node.clientHeight || 400);
      setWidth(node.clientWidth || 400);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const total = model.totalRuns ?? 0;
  const [start, end] = visibleRange(scrollTop, viewport, total);
  React.useEffect(() => {
    model.ensureRows(start, Math.max(end, start + 1));
  }, [start, end, model.query]);

  const query = model.query;
  const firstRows: IRun[] = [];
  for (let i = 0; i < Math.min(total, model.pageSize); i++) {
    const run = model.runAt(i);
    if (run) {
      firstRows.push(run);
    }
  }
  const budget = columnBudget(width);
  const columns = columnsFor(
    metricColumns(firstRows, query.orderBy, budget.metrics),
    budget.times
  );
  const template = [SELECT_WIDTH, ...columns.map(c => c.width)].join(' ');
  const selected = new Set(model.selectedRunIds);

  const sortBy = (field: string) => {
    if (field === query.orderBy) {
      model.setQuery({ descending: !query.descending });
    } else {
      model.setQuery({ orderBy: field, descending: field !== 'name' });
    }
    scroller.current?.scrollTo({ top: 0 });
  };

  // a click opens the run (and shows its lineage); ticking or a modifier
  // click gathers runs for comparison
  const onRowClick = (event: React.MouseEvent, run: IRun) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey) {
      model.select(run.run_id, true);
      return;
    }
    model.setLineageFocus({ kind: 'run', id: run.run_id });
    props.onOpenRun(run.run_id);
  };
  const focus = model.lineageFocus;
  const activeId = focus?.kind === 'run' ? focus.id : null;

  const rows: JSX.Element[] = [];
  for (let index = start; index < end; index++) {
    const run = model.runAt(index);
    const style = { top: index * ROW_HEIGHT, gridTemplateColumns: template };
    if (!run) {
      rows.push(
        <div
          key={`loading-${index}`}
          className="jp-mlops-RunsTable-row jp-mod-loading"
          style={style}
        >
          <span />
          <span className="jp-mlops-RunsTable-placeholder" />
        </div>
      );
      continue;
    }
    const isSelected = selected.has(run.run_id);
    rows.push(
      <div
        key={run.run_id}
        role="row"
        aria-rowindex={index + 2}
        aria-selected={isSelected}
        className={`jp-mlops-RunsTable-row${isSelected ? ' jp-mod-selected' : ''}${run.run_id === activeId ? ' jp-mod-active' : ''}`}
        data-run-id={run.run_id}
        style={style}
        onClick={event => onRowClick(event, run)}
      >
        <span className="jp-mlops-RunsTable-select">
          <input
            type="checkbox"
            aria-label={`Select ${runLabel(run)} for comparison`}
            checked={isSelected}
            onClick={event => event.stopPropagation()}
            onChange={() => model.select(run.run_id, true)}
          />
        </span>
        {columns.map(column => (
          <span
            key={column.id}
            className={column.className}
            title={column.title?.(run)}
          >
            {column.cell(run)}
          </span>
        ))}
      </div>
    );
  }

  const empty = emptyMessage(model);
  const count = model.selectedRunIds.length;
  return (
    <div className="jp-mlops-Runs">
      <div className="jp-mlops-Runs-toolbar">
        <ScopeToggle
          scope={query.scope}
          onChange={scope => model.setQuery({ scope })}
        />
        <span className="jp-mlops-Runs-spacer" />
        <button
          className="jp-mlops-Button jp-mlops-CompareButton"
          disabled={count < 2}
          title={
            count < 2
              ? trans.__('Tick two or more runs to compare them')
              : trans.__('Compare %1 runs', count)
          }
          onClick={() => props.onCompare(model.selectedRunIds)}
        >
          {count >= 2 ? trans.__('Compare (%1)', count) : trans.__('Compare')}
        </button>
        <ToolbarButtonComponent
          icon={refreshIcon}
          tooltip={trans.__('Refresh runs')}
          onClick={() => void model.refresh()}
        />
      </div>
      <FilterBox
        value={query.filter}
        error={model.filterError}
        onApply={filter => {
          model.setQuery({ filter: filter.trim() });
          scroller.current?.scrollTo({ top: 0 });
        }}
      />
      <div
        className="jp-mlops-RunsTable"
        role="grid"
        aria-rowcount={total + 1}
        ref={scroller}
        onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
      >
        <div
          className="jp-mlops-RunsTable-header"
          role="row"
          style={{ gridTemplateColumns: template }}
        >
          <span />
          {columns.map(column => {
            const active = column.field === query.orderBy;
            const Caret = query.descending
              ? caretDownEmptyThinIcon
              : caretUpEmptyThinIcon;
            return (
              <span
                key={column.id}
                role="columnheader"
                aria-sort={
                  active
                    ? query.descending
                      ? 'descending'
                      : 'ascending'
                    : 'none'
                }
                className={`${column.className}${active ? ' jp-mod-sorted' : ''}`}
                title={
                  column.field
                    ? trans.__('Sort by %1', column.field)
                    : undefined
                }
                onClick={() => column.field && sortBy(column.field)}
              >
                {column.label}
                {active && (
                  <Caret.react tag="span" className="jp-mlops-SortCaret" />
                )}
              </span>
            );
          })}
        </div>
        <div
          className="jp-mlops-RunsTable-body"
          style={{ height: total * ROW_HEIGHT }}
        >
          {rows}
        </div>
        {empty && <p className="jp-mlops-Empty">{empty}</p>}
      </div>
      <div className="jp-mlops-Runs-footer">
        {model.totalRuns === null
          ? trans.__('Loading runs…')
          : trans._n(
              '%2 run',
              '%2 runs',
              model.totalRuns,
              model.totalRuns.toLocaleString('en')
            )}
        {count > 0 && trans.__(' · %1 selected', count)}
        {count > 0 && (
          <button
            className="jp-mlops-LinkButton"
            onClick={() => model.clearSelection()}
          >
            {trans.__('clear')}
          </button>
        )}
      </div>
    </div>
  );
}
