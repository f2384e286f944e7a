import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/server/workflow/group-commit.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('commits what arrives together in one batch and answers each caller after it', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, string>((items) => {
      batches.push([...items]);
      return items.map((i) => `stored ${i}`);
    });
    const answers = await Promise.all([1, 2, 3].map((i) => group.submit(i)));
    expect(answers).toEqual(['stored 1', 'stored 2', 'stored 3']);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(group.counters).toEqual({ batches: 1, items: 3 });
  });

  it('keeps at most inFlight batches committing; what arrives meanwhile is the next batch', async () => {
    const release: Array<() => void> = [];
    const batches: number[][] = [];
    const group = new GroupCommit<number, number>(
      async (items) => {
        batches.push([...items]);
        await new Promise<void>((r) => release.push(r));
        return [...items];
      },
      { inFlight: 2 },
    );
    const first = group.submit(1);
    await tick();
    const second = [group.submit(2), group.submit(3)];
    await tick();
    const third = [group.submit(4), group.submit(5)];
    await tick();
    expect(batches).toEqual([[1], [2, 3]]); // two in flight; 4 and 5 wait
    release.shift()?.();
    await first;
    await tick();
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
    for (const r of release.splice(0)) r();
    expect(await Promise.all([...second, ...third])).toEqual([2, 3, 4, 5]);
  });

  it('rejects every caller of a batch that fails, and only them', async () => {
    let fail = true;
    const group = new GroupCommit<number, number>((items) => {
      if (fail) throw new Error('disk full');
      return [...items];
    });
    const failed = await Promise.allSettled([group.submit(1), group.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await group.submit(3)).toBe(3);
  });
});
