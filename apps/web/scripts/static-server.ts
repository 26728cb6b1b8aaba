import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

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

/** A file under `root` for a URL path, or null (outside `root`, or no such file). */
function fileUnder(root: string, urlPath: string): string | null {
  const rel = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, '');
  if (rel.split(sep).includes('..')) return null;
  let file = join(root, rel);
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

/**
 * Serves the built page (`site`) at `/` and a model folder (`model.onnx`, `samples.json`) at
 * `/model/`, on 127.0.0.1 only. Port 0 picks a free one.
 */
export async function serveStatic(
  site: string,
  modelDir: string | null,
  port = 0,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const file =
      modelDir && path.startsWith('/model/')
        ? fileUnder(modelDir, path.slice('/model/'.length))
        : fileUnder(site, path);
    if (!file || req.method !== 'GET') {
      res.writeHead(file ? 405 : 404, { 'content-type': 'text/plain' }).end(file ? 'GET only' : 'not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const { port: p } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${p}/` };
}
