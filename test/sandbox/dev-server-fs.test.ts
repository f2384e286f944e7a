import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startApp } from '../../src/sandbox/app-server.ts';

const tag = randomBytes(6).toString('hex');
const SECRET = `careloop-fs-deny-${tag}`;
const dataDir = join(REPO_ROOT, '.data');
const files = {
  audit: join(dataDir, `audit-${tag}.sqlite`),
  wal: join(dataDir, `audit-${tag}.sqlite-wal`),
  anyInData: join(dataDir, `notes-${tag}.json`),
  env: join(REPO_ROOT, `.env.test-${tag}`),
  sqliteAtRoot: join(REPO_ROOT, `stray-${tag}.sqlite`),
};
let createdData = false;
let app: Awaited<ReturnType<typeof startApp>>;

beforeAll(async () => {
  await mkdir(dataDir, { recursive: true }).then((made) => void (createdData = made !== undefined));
  for (const file of Object.values(files)) await writeFile(file, SECRET);
  app = await startApp('dev', 0);
}, 60_000);

afterAll(async () => {
  await app?.close();
  for (const file of Object.values(files)) await rm(file, { force: true });
  if (createdData) await rm(dataDir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${app.url}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('the Vite dev server (npm start) serves the app, not the repository', () => {
  it.each([
    ['the audit database in .data', `/.data/audit-${tag}.sqlite`],
    ['its write-ahead log', `/.data/audit-${tag}.sqlite-wal`],
    ['anything else in .data', `/.data/notes-${tag}.json`],
    ['the same through ?raw', `/.data/notes-${tag}.json?raw`],
    ['the same through ?import', `/.data/notes-${tag}.json?import`],
    ['the same through /@fs/', `/@fs${dataDir}/audit-${tag}.sqlite`],
    ['an .env file', `/.env.test-${tag}`],
    ['a SQLite file anywhere', `/stray-${tag}.sqlite`],
  ])('refuses %s', async (_what, path) => {
    const { status, body } = await get(path);
    expect(body).not.toContain(SECRET);
    expect(status).toBeGreaterThanOrEqual(400);
  });

  it("refuses git's metadata (a worktree's .git file or a checkout's .git directory)", async () => {
    // A path that does not exist gets the app's index.html (Vite's SPA fallback), so what matters
    // is that no git content comes back; in a worktree `.git` is a file that names the main checkout.
    for (const path of ['/.git', '/.git/HEAD', '/.git/config', '/.git?raw']) {
      const { body } = await get(path);
      expect(body).not.toMatch(/gitdir:|\[core\]|ref: refs\//);
    }
  });

  it('still serves the app', async () => {
    const { status, body } = await get('/launch.html');
    expect(status).toBe(200);
    expect(body).toContain('<script');
  });
});
