import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does with one request: `pass` forwards it; `drop` hangs up without forwarding;
 * `drop-after` forwards it and hangs up instead of answering (the server acted, the client never
 * hears); `{ status, after }` answers that status, after forwarding when `after` (a gateway that
 * times out while the server acts); `{ delayMs }` forwards it late.
 */
export type Fault = 'pass' | 'drop' | 'drop-after' | { status: number; after: boolean } | { delayMs: number };

/** A request as the plan sees it: method, path and, for JSON bodies, the parsed body. */
export interface ProxiedRequest {
  n: number;
  method: string;
  path: string;
  body: unknown;
}

/** A running fault proxy. */
export interface FaultProxy {
  url: string;
  /** Stops listening (connections are refused) until `start`: a server restart or outage. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Every request seen, with what was done to it. */
  log: { request: ProxiedRequest; fault: Fault }[];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });
}

/**
 * An HTTP proxy in front of a test server (`target`, e.g. {@link fakeMlflow}) that injects the
 * faults a real deployment shows: dropped connections before or after the server acted, 5xx from
 * a gateway after the server acted, delays, and restarts (`stop` / `start` on the same port).
 * `plan` decides per request; the proxy binds to 127.0.0.1 only.
 */
export async function faultProxy(
  target: string,
  plan: (r: ProxiedRequest) => Fault = () => 'pass',
): Promise<FaultProxy> {
  const to = new URL(target);
  const log: FaultProxy['log'] = [];
  let n = 0;
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((ok, fail) => {
      const out = request(
        {
          host: to.hostname,
          port: to.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: to.host },
        },
        (res) => {
          void readBody(res).then(
            (b) => ok({ status: res.statusCode ?? 502, headers: res.headers, body: b }),
            fail,
          );
        },
      );
      out.on('error', fail);
      out.end(body);
    });
  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString()) : undefined;
      } catch {
        body = undefined;
      }
      const r: ProxiedRequest = { n: ++n, method: req.method ?? 'GET', path: req.url ?? '/', body };
      const fault = plan(r);
      log.push({ request: r, fault });
      if (fault === 'drop') return void res.socket?.destroy();
      if (typeof fault === 'object' && 'delayMs' in fault)
        await new Promise((w) => setTimeout(w, fault.delayMs));
      if (typeof fault === 'object' && 'status' in fault && !fault.after) {
        res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('injected');
        return;
      }
      const answer = await forward(req, raw);
      if (fault === 'drop-after') return void res.socket?.destroy();
      if (typeof fault === 'object' && 'status' in fault) {
        res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('injected after the server acted');
        return;
      }
      res.writeHead(answer.status, answer.headers).end(answer.body);
    })().catch(() => res.socket?.destroy());
  };
  let server: Server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const closeServer = (s: Server) =>
    new Promise<void>((ok) => {
      s.close(() => ok());
      s.closeAllConnections();
    });
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    stop: () => closeServer(server),
    start: async () => {
      server = createServer(handler);
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(port, '127.0.0.1', ok);
      });
    },
    close: () => (server.listening ? closeServer(server) : Promise.resolve()),
  };
}
