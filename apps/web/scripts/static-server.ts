import { realpathSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, sep, isAbsolute } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.onnx': 'application/octet-stream',
};

/** Why a request gets no file: the status and a short text. */
type Refusal = { status: number; text: string };

/**
 * The real path of a regular file under `root` for a URL path, or a refusal: an undecodable
 * path is 400; a path with `..`, a NUL, a symlink that leads out of `root`, or no such file is 404.
 */
async function fileUnder(root: string, urlPath: string): Promise<string | Refusal> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { status: 400, text: 'bad request: malformed percent-encoding' };
  }
  const notFound = { status: 404, text: 'not found' };
  if (decoded.includes('\0')) return notFound;
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  if (rel.split(sep).includes('..')) return notFound;
  try {
    const realRoot = realpathSync(root);
    let file = realpathSync(join(realRoot, rel));
    if ((await stat(file)).isDirectory()) file = realpathSync(join(file, 'index.html'));
    // Symlinks are followed by realpath: what they lead to must still be inside the folder.
    const inside = relative(realRoot, file);
    if (inside.startsWith('..') || isAbsolute(inside)) return notFound;
    return (await stat(file)).isFile() ? file : notFound;
  } catch {
    return notFound;
  }
}

/** Host headers a loopback server answers to (a DNS-rebound name is refused). */
function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

/** Sends `file` (GET) or its headers (HEAD); an error while reading ends the response, never the server. */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const size = (await handle.stat()).size;
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    await handle.close();
    res.end();
    return;
  }
  // The stream reads the opened file: deleted or replaced meanwhile, it still sends what it opened.
  const stream = handle.createReadStream();
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * Serves the built page (`site`) at `/` and a model folder (`model.onnx`, `samples.json`) at
 * `/model/`, on 127.0.0.1 only, to requests whose Host is this loopback address (no DNS
 * rebinding). GET and HEAD only; only regular files inside the two folders (symlinks that lead
 * out are refused); no request, however malformed, stops it. Port 0 picks a free one.
 */
export async function serveStatic(
  site: string,
  modelDir: string | null,
  port = 0,
): Promise<{ server: Server; url: string }> {
  let boundPort = port;
  const server = createServer((req, res) => {
    void (async () => {
      if (!hostAllowed(req.headers.host, boundPort)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: unexpected Host header');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('GET or HEAD only');
        return;
      }
      const raw = (req.url ?? '/').split('?')[0]!;
      const path = raw.startsWith('/') ? raw : `/${raw}`;
      const found =
        modelDir && path.startsWith('/model/')
          ? await fileUnder(modelDir, path.slice('/model/'.length))
          : await fileUnder(site, path);
      if (typeof found !== 'string') {
        res.writeHead(found.status, { 'content-type': 'text/plain' }).end(found.text);
        return;
      }
      await sendFile(req, res, found);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  });
  // A request the HTTP parser refuses: answer 400 and close that connection only.
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  boundPort = (server.address() as AddressInfo).port;
  return { server, url: `http://127.0.0.1:${boundPort}/` };
}
