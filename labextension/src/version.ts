/**
 * Version of this frontend package.
 *
 * Kept equal to `version` in labextension/package.json (a jest spec checks
 * it); the Python package takes its version from the same file, so a
 * mismatch with the server means a stale frontend or server build.
 */
export const FRONTEND_VERSION = '0.1.0';

/**
 * REST API generation this frontend speaks.
 */
export const API_GENERATION = 'v1';
