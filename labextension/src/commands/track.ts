/**
 * "Track this cell": adds or removes `%%track` as the first line of a code
 * cell, so the cell's next execution is recorded as a run.
 */

export const TRACK_MAGIC = '%%track';

/** Whether the cell source starts with the `%%track` cell magic. */
export function isTracked(source: string): boolean {
  const firstLine = source.split('\n', 1)[0].trim();
  return firstLine === TRACK_MAGIC || firstLine.startsWith(`${TRACK_MAGIC} `);
}

/**
 * The source with `%%track` toggled: removed (with its options) when the
 * first line is the magic, else added as a new first line.
 */
export function toggleTrack(source: string): string {
  if (isTracked(source)) {
    const newline = source.indexOf('\n');
    return newline === -1 ? '' : source.slice(newline + 1);
  }
  return source.length > 0 ? `${TRACK_MAGIC}\n${source}` : `${TRACK_MAGIC}\n`;
}

/** Whether some cell source loads the IPython extension. */
export function loadsExtension(sources: string[]): boolean {
  return sources.some(source =>
    /^\s*%load_ext\s+mlops_jupyter\b/m.test(source)
  );
}

export const LOAD_EXTENSION = '%load_ext mlops_jupyter';
