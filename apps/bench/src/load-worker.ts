// Child process entry of load.ts: runs one autocannon load and prints a LoadResult as JSON.
import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load.js';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const { bodies, refreshChains } = spec;
let next = 0;

/** Per-connection state autocannon keeps for us: the connection's current refresh token. */
interface Chain {
  refreshToken?: string;
}
const cpuBefore = process.cpuUsage();

const result = await autocannon({
  url: spec.url,
  method: spec.method,
  headers: spec.headers ?? {},
  connections: spec.connections,
  duration: spec.durationSeconds,
  ...(spec.amount ? { amount: spec.amount } : {}),
  requests: [
    refreshChains?.length
      ? {
          setupRequest: (request, context: Chain) => {
            context.refreshToken ??= refreshChains[next++ % refreshChains.length];
            return { ...request, body: JSON.stringify({ refreshToken: context.refreshToken }) };
          },
          onResponse: (status, body, context: Chain) => {
            if (status === 200)
              context.refreshToken = (
                JSON.parse(body) as { result: { data: { refreshToken: string } } }
              ).result.data.refreshToken;
          },
        }
      : {
          setupRequest: (request) =>
            bodies?.length ? { ...request, body: bodies[next++ % bodies.length] } : request,
        },
  ],
});

const cpu = process.cpuUsage(cpuBefore);
const statusCodes = Object.fromEntries(
  Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
);
const summary: LoadResult = {
  requestsPerSecond: result['2xx'] / result.duration,
  latencyMs: {
    p50: result.latency.p50,
    p99: result.latency.p99,
    average: result.latency.average,
    max: result.latency.max,
  },
  ok: result['2xx'],
  non2xx: result.non2xx,
  statusCodes,
  errors: result.errors,
  timeouts: result.timeouts,
  durationSeconds: result.duration,
  loadGeneratorCpuSeconds: (cpu.user + cpu.system) / 1e6,
};
process.stdout.write(JSON.stringify(summary));
