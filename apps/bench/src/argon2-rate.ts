import { hash, verify } from '@node-rs/argon2';

export interface Argon2Cost {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface Argon2Rate {
  verifiesPerSecond: number;
  /** Mean wall time of one verify with `concurrency` in flight. */
  msPerVerify: number;
  /** CPU time (user + system, all threads) per verify: the cost a sign-in cannot avoid. */
  cpuMsPerVerify: number;
  verifies: number;
  seconds: number;
  concurrency: number;
}

const PASSWORD = 'correct horse battery staple';

/**
 * How many argon2id verifies per second this machine allows at the given cost: `concurrency`
 * verifies in flight (one per core) for `seconds`. The upper bound for `auth.login`, which
 * costs exactly one verify per successful sign-in.
 */
export async function measureArgon2Rate(
  cost: Argon2Cost,
  concurrency: number,
  seconds: number,
): Promise<Argon2Rate> {
  const stored = await hash(PASSWORD, cost);
  // Warm-up: one verify per lane, so page faults of the first 19 MiB blocks are not counted.
  await Promise.all(Array.from({ length: concurrency }, () => verify(stored, PASSWORD)));

  let verifies = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const lane = async () => {
    while (performance.now() < deadline) {
      if (!(await verify(stored, PASSWORD))) throw new Error('argon2 verify failed on its own hash');
      verifies++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    cpuMsPerVerify: (cpu.user + cpu.system) / 1000 / verifies,
    verifiesPerSecond: verifies / elapsed,
    msPerVerify: (elapsed * 1000 * concurrency) / verifies,
    verifies,
    seconds: elapsed,
    concurrency,
  };
}
