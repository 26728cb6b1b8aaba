import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../scripts/static-server.js';

/** GET with the path sent as written (fetch would normalise `..` away). */
function get(url: string, path: string): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, type: res.headers['content-type'], body }));
    })
      .on('error', fail)
      .end();
  });
}

describe('the page server', () => {
  const root = mkdtempSync(join(tmpdir(), 'hs-serve-'));
  let url: string;
  let close: () => void;
  beforeAll(async () => {
    mkdirSync(join(root, 'site', 'tfjs'), { recursive: true });
    mkdirSync(join(root, 'model'));
    writeFileSync(join(root, 'site', 'index.html'), '<p>page</p>');
    writeFileSync(join(root, 'site', 'tfjs', 'x.wasm'), 'wasm');
    writeFileSync(join(root, 'model', 'model.onnx'), 'onnx');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    const s = await serveStatic(join(root, 'site'), join(root, 'model'));
    url = s.url;
    close = () => s.server.close();
  });
  afterAll(() => {
    close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the page at / and the model folder at /model/, with the right types', async () => {
    expect(await get(url, '/')).toMatchObject({
      status: 200,
      body: '<p>page</p>',
      type: 'text/html; charset=utf-8',
    });
    expect(await get(url, '/tfjs/x.wasm')).toMatchObject({ status: 200, type: 'application/wasm' });
    expect(await get(url, '/model/model.onnx')).toMatchObject({ status: 200, body: 'onnx' });
    expect((await get(url, '/nope.js')).status).toBe(404);
  });

  it('never serves a file outside its folders', async () => {
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/model/../../secret.txt',
      '/model/%2e%2e/%2e%2e/secret.txt',
    ])
      expect(await get(url, p)).toMatchObject({ status: 404 });
  });
});
