/** Tiny HTML helpers for the sandbox's server-rendered pages. */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function page(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d2733; background: #eef2f6; }
  header.ehr { background: #1f3a5f; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: baseline; }
  header.ehr a { color: #cfe0f5; }
  main { padding: 16px; }
  table { border-collapse: collapse; background: #fff; }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #d8dee6; vertical-align: top; }
  .card { background: #fff; border: 1px solid #d8dee6; border-radius: 6px; padding: 12px; margin-bottom: 12px; }
  .muted { color: #5b6b7c; }
  button { font: inherit; padding: 6px 12px; }
</style>${head}</head>
<body>${body}</body></html>`;
}
