import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A small loop (capture, store, release) drawn with the theme's icon colour.
 */
const MLOPS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 3a9 9 0 0 1 8.66 6.5h-2.1A7 7 0 0 0 5.1 10.6L7.5 13H1V6.5l2.6 2.6A9 9 0 0 1 12 3z"/>
    <path d="M12 21a9 9 0 0 1-8.66-6.5h2.1a7 7 0 0 0 13.46-1.1L16.5 11H23v6.5l-2.6-2.6A9 9 0 0 1 12 21z"/>
    <circle cx="12" cy="12" r="2.5"/>
  </g>
</svg>`;

export const mlopsIcon = new LabIcon({
  name: 'mlops-jupyter:mlops',
  svgstr: MLOPS_SVG
});

/**
 * A run: a play triangle over a baseline.
 */
export const runIcon = new LabIcon({
  name: 'mlops-jupyter:run',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M7 4.5v12l9.5-6z"/>
    <rect x="4" y="19" width="16" height="2" rx="1"/>
  </g>
</svg>`
});

/**
 * Comparing runs: two overlaid curves.
 */
export const compareIcon = new LabIcon({
  name: 'mlops-jupyter:compare',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="none" stroke="#616161" stroke-width="2" stroke-linecap="round">
    <path d="M3 19 8 11l4 4 8-11"/>
    <path d="M3 14l5 1 4-6 8 3" stroke-dasharray="2 3"/>
  </g>
</svg>`
});

/**
 * "Track this cell": a target (a recorded run) in the cell toolbar.
 */
export const trackIcon = new LabIcon({
  name: 'mlops-jupyter:track',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 2a7 7 0 1 1 0 14 7 7 0 0 1 0-14z"/>
    <circle cx="12" cy="12" r="3.5"/>
  </g>
</svg>`
});
