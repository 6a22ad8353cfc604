export interface Tracing {
  /** Sends what is still buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry: a span per HTTP request (@fastify/otel, which also continues a
 * caller's `traceparent`), per procedure (the API's own middleware) and per SQL statement
 * (pg), plus outgoing HTTP (undici: webhooks). main.ts calls it before it loads the app, and
 * only when an endpoint is set, so a server without tracing never loads the SDK.
 *
 * Order matters: the pg instrumentation patches the driver as it is loaded (the require
 * hook sees `pg-pool`, which `pg` requires), so tracing must start before any module that
 * imports pg — main.ts imports the app only afterwards. Measured on Node 20: started first,
 * every query has its span without an ESM loader hook; started after the app is loaded, pg's
 * spans are missing. Fastify and undici report through diagnostics channels, order-free.
 */
/** `endpoint`: the OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
export async function startTracing(endpoint: string): Promise<Tracing> {
  const [
    { NodeSDK, tracing },
    { OTLPTraceExporter },
    { PgInstrumentation },
    { UndiciInstrumentation },
    fastifyOtel,
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-undici'),
    import('@fastify/otel'),
  ]);
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const sdk = new NodeSDK({
    serviceName: 'tessera',
    spanProcessors: [new tracing.BatchSpanProcessor(exporter)],
    instrumentations: [
      new fastifyOtel.FastifyOtelInstrumentation({
        registerOnInitialization: true,
        // A span per hook (a dozen per request, named after anonymous functions) is noise: request and handler suffice.
        instrumentHooks: false,
        // Probes and scrapes every few seconds would drown the traces that matter.
        ignorePaths: (route) => ['/healthz', '/readyz', '/metrics'].includes(route.url.split('?')[0] ?? ''),
      }),
      // requireParentSpan: no orphan SQL from the outbox worker's polling every second.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
