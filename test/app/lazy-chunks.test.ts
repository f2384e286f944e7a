import { afterEach, describe, expect, it } from 'vitest';
import { lazyChunksOf, prefetchForNextPage } from '../../src/app/lazy-chunks-plugin.ts';
import { LAZY_CHUNKS_ELEMENT_ID, preloadLazyChunks } from '../../src/app/preload-lazy-chunks.ts';

const chunk = (fileName: string, imports: string[] = [], dynamicImports: string[] = []) => ({
  type: 'chunk' as const,
  fileName,
  name: fileName.replace(/^assets\//, '').replace(/\.js$/, ''),
  imports,
  dynamicImports,
});

describe('the lazy chunks index.html lists for preloading', () => {
  const bundle = {
    'assets/index.js': chunk('assets/index.js', ['assets/fhirclient.js', 'assets/react.js'], ['assets/mount-app.js', 'assets/rules.js']),
    'assets/fhirclient.js': chunk('assets/fhirclient.js'),
    'assets/react.js': chunk('assets/react.js'),
    'assets/mount-app.js': chunk('assets/mount-app.js', ['assets/render.js', 'assets/react.js'], ['assets/help.js']),
    'assets/render.js': chunk('assets/render.js', ['assets/mui.js']),
    'assets/mui.js': chunk('assets/mui.js'),
    'assets/rules.js': chunk('assets/rules.js'),
    'assets/help.js': chunk('assets/help.js'),
    'assets/index.css': { type: 'asset' as const, fileName: 'assets/index.css' },
  };

  it('are every chunk the entry reaches through dynamic imports, not what it already loads', () => {
    expect(lazyChunksOf('assets/index.js', bundle).sort()).toEqual(['assets/help.js', 'assets/mount-app.js', 'assets/mui.js', 'assets/render.js', 'assets/rules.js']);
  });

  it('leave out on-demand chunks and what only they import', () => {
    const withDialog = {
      ...bundle,
      'assets/mount-app.js': chunk('assets/mount-app.js', ['assets/render.js', 'assets/react.js'], ['assets/help.js', 'assets/dialog.js']),
      'assets/dialog.js': chunk('assets/dialog.js', ['assets/dialog-parts.js', 'assets/mui.js']),
      'assets/dialog-parts.js': chunk('assets/dialog-parts.js'),
    };
    const files = lazyChunksOf('assets/index.js', withDialog, ['dialog']);
    expect(files).not.toContain('assets/dialog.js');
    expect(files).not.toContain('assets/dialog-parts.js');
    expect(files).toContain('assets/mui.js');
  });

  it('are nothing for an entry without dynamic imports', () => {
    expect(lazyChunksOf('assets/render.js', bundle)).toEqual([]);
  });

  it('are prefetched by the launch page with the redirect page\'s entry, minus what the launch page loads and on-demand chunks', () => {
    const withLaunch = {
      ...bundle,
      'assets/launch.js': chunk('assets/launch.js', ['assets/fhirclient.js']),
      'assets/mount-app.js': chunk('assets/mount-app.js', ['assets/render.js', 'assets/react.js'], ['assets/help.js', 'assets/dialog.js']),
      'assets/dialog.js': chunk('assets/dialog.js'),
    };
    expect(prefetchForNextPage('assets/launch.js', 'assets/index.js', withLaunch, ['dialog']).sort()).toEqual([
      'assets/help.js',
      'assets/index.js',
      'assets/mount-app.js',
      'assets/mui.js',
      'assets/react.js',
      'assets/render.js',
      'assets/rules.js',
    ]);
  });
});

describe('preloadLazyChunks', () => {
  afterEach(() => {
    document.head.innerHTML = '';
    document.body.innerHTML = '';
  });

  const list = (content: string) => {
    const script = document.createElement('script');
    script.type = 'application/json';
    script.id = LAZY_CHUNKS_ELEMENT_ID;
    script.textContent = content;
    document.body.appendChild(script);
  };
  const hints = () => [...document.querySelectorAll('link[rel="modulepreload"]')].map((l) => l.getAttribute('href'));

  it('adds one modulepreload hint per listed chunk, once', () => {
    list('["/assets/render-abc.js","/assets/mount-app-def.js"]');
    expect(preloadLazyChunks()).toBe(2);
    expect(preloadLazyChunks()).toBe(0);
    expect(hints()).toEqual(['/assets/render-abc.js', '/assets/mount-app-def.js']);
  });

  it('does not duplicate a hint the page already has', () => {
    const existing = document.createElement('link');
    existing.rel = 'modulepreload';
    existing.href = '/assets/render-abc.js';
    document.head.appendChild(existing);
    list('["/assets/render-abc.js"]');
    expect(preloadLazyChunks()).toBe(0);
    expect(hints()).toEqual(['/assets/render-abc.js']);
  });

  it('ignores anything that is not a same-origin script path, and a missing or broken list', () => {
    list('["https://evil.example/x.js","/assets/ok.js","javascript:alert(1)","/a\\"]"]');
    expect(preloadLazyChunks()).toBe(1);
    expect(hints()).toEqual(['/assets/ok.js']);
    document.body.innerHTML = '';
    expect(preloadLazyChunks()).toBe(0);
    list('{not json');
    expect(preloadLazyChunks()).toBe(0);
  });
});
