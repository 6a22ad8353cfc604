import { describe, expect, it } from 'vitest';
import { createSignInFloor, RECHECK_MS } from './sign-in-floor.js';

/** A floor over a clock and a database the test moves by hand. */
function floorWith(options: { foreign: () => Promise<boolean>; slowest?: () => Promise<number> }) {
  let clock = 0;
  const floor = createSignInFloor({
    baseMs: 200,
    hasForeignHashes: options.foreign,
    slowestForeignCheckMs: options.slowest ?? (() => Promise.resolve(400)),
    now: () => clock,
  });
  return { floor, advance: (ms: number) => (clock += ms) };
}

describe('the sign-in floor', () => {
  it('is the base floor while no imported hash is left', async () => {
    const { floor } = floorWith({ foreign: () => Promise.resolve(false) });
    expect(await floor.floorMs()).toBe(200);
  });

  it('covers the slowest imported check, with a margin, while one is left', async () => {
    const { floor } = floorWith({ foreign: () => Promise.resolve(true) });
    expect(await floor.floorMs()).toBe(500);
  });

  it('rises at once to cover a check slower than measured, and falls back by half in ten minutes', async () => {
    const { floor, advance } = floorWith({ foreign: () => Promise.resolve(true) });
    floor.foreignCheckTook(800);
    expect(await floor.floorMs()).toBe(1000);
    advance(10 * 60_000);
    expect(await floor.floorMs()).toBe(500);
  });

  it('keeps the floor in force when the database cannot say whether imported hashes are left', async () => {
    let answer = () => Promise.resolve(true);
    const { floor, advance } = floorWith({ foreign: () => answer() });
    expect(await floor.floorMs()).toBe(500);
    answer = () => Promise.reject(new Error('connection lost'));
    advance(RECHECK_MS + 1);
    // Falling back to the base floor here would answer this one sign-in 300 ms early.
    expect(await floor.floorMs()).toBe(500);
    answer = () => Promise.resolve(false);
    expect(await floor.floorMs()).toBe(200);
  });

  it('keeps the floor in force when measuring fails, and measures again next time', async () => {
    let measured = 0;
    const { floor } = floorWith({
      foreign: () => Promise.resolve(true),
      slowest: () => {
        measured++;
        return measured === 1 ? Promise.reject(new Error('the hasher line is full')) : Promise.resolve(600);
      },
    });
    floor.foreignCheckTook(320);
    // Meanwhile the checks seen here set it.
    expect(await floor.floorMs()).toBe(400);
    expect(await floor.floorMs()).toBe(750);
    expect(measured).toBe(2);
  });

  it('knows at once, without asking the database, when a node meets an imported hash itself', async () => {
    let asked = 0;
    const { floor } = floorWith({
      foreign: () => {
        asked++;
        return Promise.resolve(false);
      },
    });
    expect(await floor.floorMs()).toBe(200);
    floor.foreignHashSeen();
    expect(await floor.floorMs()).toBe(500);
    expect(asked).toBe(1);
  });
});
