/**
 * Web Storage as Chromium denies it to a cross-site iframe when third-party cookies are blocked
 * (its default): reading `sessionStorage` or `localStorage` throws a SecurityError.
 * @returns a function that gives the page its storage back
 */
export function denyBrowserStorage(): () => void {
  const names = ['sessionStorage', 'localStorage'] as const;
  const saved = names.map((name) => [name, Object.getOwnPropertyDescriptor(window, name), Object.getOwnPropertyDescriptor(globalThis, name)] as const);
  for (const name of names) {
    const get = (): never => {
      throw new DOMException(`Failed to read the '${name}' property from 'Window': Access is denied for this document.`, 'SecurityError');
    };
    Object.defineProperty(window, name, { configurable: true, get });
    Object.defineProperty(globalThis, name, { configurable: true, get });
  }
  return () => {
    for (const [name, onWindow, onGlobal] of saved) {
      if (onWindow) Object.defineProperty(window, name, onWindow);
      if (onGlobal) Object.defineProperty(globalThis, name, onGlobal);
    }
  };
}
