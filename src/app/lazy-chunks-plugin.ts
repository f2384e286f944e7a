/**
 * Build-time half of "download the UI while the first reads are in flight" (runtime half:
 * ./preload-lazy-chunks.ts). index.html's entry holds only the token exchange and the first FHIR
 * reads (fhirclient, the config, the fetchers); react-query and the audit client, React DOM, MUI,
 * the card and the rule engine are imported lazily. This plugin writes the file names of those
 * lazy chunks (everything the entry reaches through dynamic imports, minus on-demand chunks such
 * as the dialogs) into index.html as inert JSON; main.tsx turns them into `modulepreload` hints
 * once the reads are sent, so they all download at once while the server answers. They are not
 * the HTML's own preloads: the page's initial JS stays small.
 */
import type { Plugin } from 'vite';
import { LAZY_CHUNKS_ELEMENT_ID } from './preload-lazy-chunks.ts';

interface ChunkLike {
  type: 'chunk' | 'asset';
  fileName: string;
  name?: string;
  imports?: readonly string[];
  dynamicImports?: readonly string[];
}

/**
 * Files to preload for an entry: every chunk it can reach through dynamic imports (and their
 * static imports), minus what the entry already loads, and minus the chunks named in `onDemand`
 * (code for a later user action, e.g. a dialog) with what only they import. Exported for tests.
 */
export function lazyChunksOf(entry: string, bundle: Readonly<Record<string, ChunkLike>>, onDemand: readonly string[] = []): string[] {
  const closure = (roots: readonly string[], follow: (c: ChunkLike) => readonly string[]): Set<string> => {
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const c = bundle[name];
      if (c) for (const next of follow(c)) visit(next);
    };
    roots.forEach(visit);
    return seen;
  };
  const initial = closure([entry], (c) => c.imports ?? []);
  const wanted = (name: string) => !onDemand.includes(bundle[name]?.name ?? '');
  const reachable = closure([entry], (c) => [...(c.imports ?? []), ...(c.dynamicImports ?? []).filter(wanted)]);
  return [...reachable].filter((name) => !initial.has(name) && name.endsWith('.js'));
}

/**
 * What the launch page prefetches for the redirect page (`next`): the redirect page's entry with
 * its static imports and its lazy chunks (minus `onDemand`), minus what the launch page loads
 * itself. The launch page waits on the EHR's authorization redirect with the network idle; the
 * hashed assets are cached as immutable, so the redirect page finds them in the HTTP cache
 * instead of downloading ~2 MB after the token. Exported for tests.
 */
export function prefetchForNextPage(launchEntry: string, nextEntry: string, bundle: Readonly<Record<string, ChunkLike>>, onDemand: readonly string[] = []): string[] {
  const statics = (root: string): Set<string> => {
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const next of bundle[name]?.imports ?? []) visit(next);
    };
    visit(root);
    return seen;
  };
  const own = statics(launchEntry);
  const next = [...statics(nextEntry), ...lazyChunksOf(nextEntry, bundle, onDemand)];
  return [...new Set(next)].filter((name) => !own.has(name) && name.endsWith('.js'));
}

interface EntryChunk extends ChunkLike {
  isEntry?: boolean;
  facadeModuleId?: string | null;
}

/**
 * Adds the lazy-chunk list to the HTML pages named in `pages` (e.g. `['index.html']`); chunks
 * named in `onDemand` (by their module's name, e.g. `confirm-dialog`) are left to load when used.
 * With `prefetch` (`{ from: 'launch.html', for: 'index.html' }`), the first page also gets
 * `<link rel="prefetch">` hints for what the second will load (see `prefetchForNextPage`).
 */
export function lazyChunksPlugin(pages: readonly string[], { onDemand = [], prefetch }: { onDemand?: readonly string[]; prefetch?: { readonly from: string; readonly for: string } } = {}): Plugin {
  let base = '/';
  return {
    name: 'careloop-lazy-chunks',
    apply: 'build',
    configResolved(config) {
      base = config.base;
    },
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const page = ctx.path.replace(/^\//, '');
        if (!ctx.bundle || !ctx.chunk) return [];
        if (prefetch && page === prefetch.from) {
          const bundle = ctx.bundle as Record<string, EntryChunk>;
          const next = Object.values(bundle).find((c) => c.isEntry === true && (c.facadeModuleId ?? '').endsWith(`/${prefetch.for}`));
          if (!next) return [];
          return prefetchForNextPage(ctx.chunk.fileName, next.fileName, bundle, onDemand).map((f) => ({
            tag: 'link',
            attrs: { rel: 'prefetch', href: `${base}${f}` },
            injectTo: 'head' as const,
          }));
        }
        if (!pages.includes(page)) return [];
        const files = lazyChunksOf(ctx.chunk.fileName, ctx.bundle as Record<string, ChunkLike>, onDemand).map((f) => `${base}${f}`);
        return [
          {
            tag: 'script',
            attrs: { type: 'application/json', id: LAZY_CHUNKS_ELEMENT_ID },
            // JSON inside <script>: `<` is escaped so no file name can close the element.
            children: JSON.stringify(files).replace(/</g, '\\u003c'),
            injectTo: 'body',
          },
        ];
      },
    },
  };
}
