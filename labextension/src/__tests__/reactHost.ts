/**
 * A fresh element and React root for every test of a spec file: call `mountEachTest()` once at
 * the top of the file and render into `root`, query `host`. Both are live bindings, replaced
 * before each test and unmounted and removed after it.
 */
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

export let host: HTMLDivElement;
export let root: Root;

export function mountEachTest(cleanup?: () => void): void {
  beforeEach(() => {
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
  });
  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    cleanup?.();
  });
}
