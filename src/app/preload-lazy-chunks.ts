/**
 * Runtime half of ./lazy-chunks-plugin.ts: turns the build's list of lazy chunks into
 * `<link rel="modulepreload">` hints, added once the first FHIR reads have been sent. They fetch
 * every chunk the first card needs at once, instead of one import's dependencies after another;
 * the modules run when main.tsx imports them. Vite's own preload helper sees the links and does
 * not request the files again.
 */
/** The id of the inert `<script type="application/json">` list in index.html. */
export const LAZY_CHUNKS_ELEMENT_ID = 'careloop-lazy-chunks';

/** Adds the hints once; returns how many were added (0 in dev, where there is no list). */
export function preloadLazyChunks(doc: Document = document): number {
  const element = doc.getElementById(LAZY_CHUNKS_ELEMENT_ID);
  if (!element?.textContent) return 0;
  let files: unknown;
  try {
    files = JSON.parse(element.textContent);
  } catch {
    return 0;
  }
  if (!Array.isArray(files)) return 0;
  let added = 0;
  for (const file of files) {
    // Only same-origin paths the build wrote; anything else is ignored.
    if (typeof file !== 'string' || !/^\/[\w\-./]+\.js$/.test(file)) continue;
    if (doc.querySelector(`link[href="${file}"]`)) continue;
    const link = doc.createElement('link');
    link.rel = 'modulepreload';
    link.crossOrigin = '';
    link.href = file;
    doc.head.appendChild(link);
    added += 1;
  }
  element.remove();
  return added;
}
