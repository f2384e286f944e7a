import BrowserAdapter from 'fhirclient/lib/adapters/BrowserAdapter';

/**
 * A fresh fhirclient browser adapter for each launch step.
 *
 * `fullSessionStorageSupport: false` keys every stored launch by its own `state` and keeps that
 * state in the redirect URL, instead of fhirclient's single well-known sessionStorage key. Two
 * Careloop instances sharing one sessionStorage (two tabs of an EHR webview, two patients) then
 * never read or delete each other's launch. A new adapter per call also means each call reads the
 * current page URL rather than the first one fhirclient saw.
 */
export function createAdapter(): BrowserAdapter {
  return new BrowserAdapter({ fullSessionStorageSupport: false, replaceBrowserHistory: true });
}
