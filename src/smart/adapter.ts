import type BrowserAdapterDefault from 'fhirclient/lib/adapters/BrowserAdapter';
import * as adapterModule from 'fhirclient/lib/adapters/BrowserAdapter';
import type { fhirclient } from 'fhirclient/lib/types';

type BrowserAdapterClass = typeof BrowserAdapterDefault;

/**
 * fhirclient ships CommonJS with `exports.default`; bundlers disagree on whether a default import
 * of it is the class or the `exports` object (Vite's dev prebundle gives the latter). Take the
 * class from either shape.
 */
function adapterClass(): BrowserAdapterClass {
  const outer = (adapterModule as unknown as { default: unknown }).default;
  const inner = (outer as { default?: unknown } | undefined)?.default;
  const candidate = typeof outer === 'function' ? outer : inner;
  if (typeof candidate !== 'function') throw new Error('fhirclient BrowserAdapter could not be loaded');
  return candidate as BrowserAdapterClass;
}

/**
 * A fresh fhirclient browser adapter for each launch step.
 *
 * `fullSessionStorageSupport: false` keys every stored launch by its own `state` and keeps that
 * state in the redirect URL, instead of fhirclient's single well-known sessionStorage key. Two
 * Careloop instances sharing one sessionStorage (two tabs of an EHR webview, two patients) then
 * never read or delete each other's launch. A new adapter per call also means each call reads the
 * current page URL rather than the first one fhirclient saw.
 * @param storage where fhirclient keeps the launch; sessionStorage (fhirclient's own) when omitted,
 * a page-memory store when the browser denies the iframe its storage (see launch-handoff.ts).
 */
export function createAdapter(storage?: fhirclient.Storage): InstanceType<BrowserAdapterClass> {
  const BrowserAdapter = adapterClass();
  const adapter = new BrowserAdapter({ fullSessionStorageSupport: false, replaceBrowserHistory: true });
  if (storage) adapter.getStorage = () => storage;
  return adapter;
}
