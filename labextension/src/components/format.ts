/**
 * Formatting of run values for compact, readable tables and labels.
 */

/** `12 s`, `3 min 4 s`, `2 h 5 min`; an em dash for unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '—';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${Math.round(seconds % 60)} s`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Time relative to `now` for recent events, else a short date. */
export function formatTime(epochSeconds: number, now = Date.now()): string {
  const delta = now / 1000 - epochSeconds;
  if (delta >= 0 && delta < 60) {
    return 'just now';
  }
  if (delta >= 0 && delta < 3600) {
    return `${Math.floor(delta / 60)} min ago`;
  }
  if (delta >= 0 && delta < 86400) {
    return `${Math.floor(delta / 3600)} h ago`;
  }
  return new Date(epochSeconds * 1000)
    .toISOString()
    .slice(0, 16)
    .replace('T', ' ');
}

/** The full UTC time, for tooltips. */
export function formatTimestamp(epochSeconds: number): string {
  return (
    new Date(epochSeconds * 1000).toISOString().replace('T', ' ').slice(0, 19) +
    ' UTC'
  );
}

/** Numbers with 4 significant digits; other values as JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'number') {
    if (!isFinite(value)) {
      return String(value);
    }
    if (Number.isInteger(value) && Math.abs(value) < 1e6) {
      return String(value);
    }
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-5 || abs >= 1e6)
      ? value.toExponential(3)
      : String(Number(value.toPrecision(4)));
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** A run's display name: its name, else the start of its id. */
export function runLabel(run: {
  name?: string | null;
  run_id: string;
}): string {
  return run.name || shortId(run.run_id);
}

export function shortId(id: string): string {
  return id.length > 10 ? id.slice(-8) : id;
}

/** A field name for the filter language, back-quoting keys that need it. */
export function fieldName(namespace: string, key: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(key)
    ? `${namespace}.${key}`
    : `${namespace}.\`${key}\``;
}
