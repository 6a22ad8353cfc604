import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';

/** One request a receiver got. */
export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status the receiver answered. */
  status: number;
  /** `webhook-id`. */
  id: string;
}

/** A real HTTP endpoint on 127.0.0.1 that records what it gets and answers as `answer` says. */
export interface WebhookReceiver {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  received: ReceivedHook[];
  /** The status to answer a request with (after a while, if it returns a promise), unless it wrote the answer itself. */
  answer: (hook: Omit<ReceivedHook, 'status'>, res: ServerResponse) => number | Promise<number>;
  /** Requests answered 2xx, by webhook-id. */
  delivered(): Map<string, ReceivedHook[]>;
  /** Resolves once `count` requests were answered 2xx (fails after `timeoutMs`). */
  waitForDelivered(count: number, timeoutMs?: number): Promise<ReceivedHook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received,
    answer: () => 204,
    delivered() {
      const byId = new Map<string, ReceivedHook[]>();
      for (const hook of received)
        if (hook.status >= 200 && hook.status < 300) byId.set(hook.id, [...(byId.get(hook.id) ?? []), hook]);
      return byId;
    },
    async waitForDelivered(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      const ok = () => received.filter((hook) => hook.status >= 200 && hook.status < 300);
      while (ok().length < count) {
        if (Date.now() > deadline)
          throw new Error(`waited for ${count} deliveries, got ${ok().length} (${received.length} requests)`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return ok();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const hook = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        id: String(req.headers['webhook-id']),
      };
      void Promise.resolve(receiver.answer(hook, res)).then((status) => {
        received.push({ ...hook, status });
        if (!res.headersSent) res.writeHead(status).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  receiver.port = typeof address === 'object' && address ? address.port : 0;
  receiver.url = `http://127.0.0.1:${receiver.port}`;
  return receiver;
}
