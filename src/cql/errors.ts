/**
 * The engine's errors: `ElmLoadError` when a library cannot be loaded or compiled (never a silent
 * null at run time), `CqlRuntimeError` for a failure the specification makes an error at run time
 * (a singleton from a list of two, a Message with severity Error).
 */
import type { ElmNode } from './elm.ts';

/** Where in which library a node sits. */
export interface ElmSite {
  readonly library: string;
  readonly node?: ElmNode;
}

function siteText(site: ElmSite): string {
  const n = site.node;
  const parts = [`library ${site.library}`];
  if (n) {
    parts.push(`node ${n.type}`);
    if (n.locator) parts.push(`at ${n.locator}`);
    else if (n.localId) parts.push(`localId ${n.localId}`);
  }
  return parts.join(', ');
}

/** A library that cannot be loaded: unsupported node, missing include, value set or definition. */
export class ElmLoadError extends Error {
  override readonly name = 'ElmLoadError';
  readonly library: string;
  readonly nodeType: string | undefined;
  readonly locator: string | undefined;
  constructor(message: string, site: ElmSite) {
    super(`${message} (${siteText(site)})`);
    this.library = site.library;
    this.nodeType = site.node?.type;
    this.locator = site.node?.locator;
  }
}

/** A run-time error the CQL specification requires (not a null). */
export class CqlRuntimeError extends Error {
  override readonly name = 'CqlRuntimeError';
}
