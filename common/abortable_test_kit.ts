/**
 * @module Count the abort listeners a signal holds, for leak tests of code that takes a long-lived
 * signal (an `EventTarget` exposes no count, so `addEventListener`/`removeEventListener` of this
 * one signal are wrapped). Every add in the project goes through `addAbortListener`, which always
 * passes `{ once: true }`; a listener that fired is gone without a remove, so the count is exact
 * only while the signal has not aborted.
 */

/** `signal` (now counting) and how many abort listeners it holds. */
export function countAbortListeners(signal: AbortSignal): { signal: AbortSignal; listeners: () => number } {
  const held = new Set<unknown>();
  const add = signal.addEventListener.bind(signal), remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((t: string, l: EventListener, o?: AddEventListenerOptions) => {
    if (t === "abort") held.add(l);
    add(t, l, o);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((t: string, l: EventListener, o?: EventListenerOptions) => {
    if (t === "abort") held.delete(l);
    remove(t, l, o);
  }) as typeof signal.removeEventListener;
  return { signal, listeners: () => held.size };
}
