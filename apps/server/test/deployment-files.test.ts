import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SETTING_NAMES } from '../src/config.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(resolve(ROOT, file), 'utf8');

/** The settings compose gives the Tessera containers, service by service. */
function composeSettings(): Map<string, Record<string, string>> {
  const compose = parse(read('compose.yaml'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; image?: string; command?: string[] }>;
  };
  return new Map(
    Object.entries(compose.services)
      .filter(([, service]) => service.image?.startsWith('tessera'))
      .map(([name, service]) => [name, service.environment ?? {}]),
  );
}

describe('deployment files against the settings (config.ts)', () => {
  it('.env.example lists every setting, and only settings', () => {
    const listed = [...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...SETTING_NAMES].sort());
  });

  it('the README documents every setting', () => {
    const readme = read('README.md');
    expect(SETTING_NAMES.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('compose.yaml sets only real settings, migrates in a one-shot service and starts the nodes without migrating', () => {
    const services = composeSettings();
    expect([...services.keys()].sort()).toEqual(['migrate', 'tessera']);
    for (const [, environment] of services)
      expect(Object.keys(environment).filter((name) => !SETTING_NAMES.includes(name))).toEqual([]);
    expect(services.get('tessera')).toMatchObject({ MIGRATE_ON_START: 'false' });
    const compose = parse(read('compose.yaml'), { merge: true }) as {
      services: Record<string, { command?: string[]; depends_on?: Record<string, { condition: string }> }>;
    };
    expect(compose.services.migrate?.command).toEqual(['tessera', 'migrate']);
    expect(compose.services.tessera?.depends_on?.migrate).toEqual({
      condition: 'service_completed_successfully',
    });
    expect(Object.keys(compose.services).sort()).toEqual(['mail', 'migrate', 'postgres', 'redis', 'tessera']);
  });

  it('the Dockerfile builds production dependencies only and runs as a non-root user with a health check', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/pnpm --filter @tessera\/server deploy --prod /);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(dockerfile).toMatch(/HOST=0\.0\.0\.0/);
    // Every ENV the image sets is a setting (or Node's own NODE_ENV).
    const envs = [...dockerfile.matchAll(/^\s*(?:ENV )?([A-Z][A-Z0-9_]*)=\S+ ?\\?$/gm)].map((m) => m[1]!);
    expect(
      envs.filter(
        (name) =>
          !SETTING_NAMES.includes(name) && !['NODE_ENV', 'CI', 'TURBO_TELEMETRY_DISABLED'].includes(name),
      ),
    ).toEqual([]);
  });
});
