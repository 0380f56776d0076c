/**
 * React glue for Lumino signals and model promises.
 */
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

/**
 * Re-render whenever one of `signals` is emitted; returns a counter that
 * changes with every emission (usable as an effect dependency).
 */
export function useSignals(...signals: ISignal<any, any>[]): number {
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    const slot = () => setTick(value => value + 1);
    for (const signal of signals) {
      signal.connect(slot);
    }
    // an emission between the first render and this effect was missed
    slot();
    return () => {
      for (const signal of signals) {
        signal.disconnect(slot);
      }
    };
  }, signals);
  return tick;
}

export type Loadable<T> =
  | { state: 'loading' }
  | { state: 'ready'; value: T }
  | { state: 'error'; message: string };

/**
 * The result of `load()`, re-run whenever `deps` change; an answer that
 * arrives after the deps changed again is dropped.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: React.DependencyList
): Loadable<T> {
  const [result, setResult] = React.useState<Loadable<T>>({ state: 'loading' });
  React.useEffect(() => {
    let current = true;
    setResult(previous =>
      previous.state === 'ready' ? previous : { state: 'loading' }
    );
    load().then(
      value => current && setResult({ state: 'ready', value }),
      error =>
        current &&
        setResult({
          state: 'error',
          message: error instanceof Error ? error.message : String(error)
        })
    );
    return () => {
      current = false;
    };
  }, deps);
  return result;
}
