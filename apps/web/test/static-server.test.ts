import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../scripts/static-server.js';

/** A request with the path sent as written (fetch would normalise `..` away). */
function get(
  url: string,
  path: string,
  o: { method?: string; host?: string } = {},
): Promise<{ status: number; type?: string; body: string; length?: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const headers = o.host ? { host: o.host } : {};
    request({ host: u.hostname, port: u.port, path, method: o.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () =>
        ok({
          status: res.statusCode!,
          type: res.headers['content-type'],
          body,
          length: res.headers['content-length'],
        }),
      );
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
    symlinkSync(join(root, 'secret.txt'), join(root, 'site', 'link.txt'));
    symlinkSync(root, join(root, 'model', 'up'));
    writeFileSync(join(root, 'site', 'inside.txt'), 'inside');
    symlinkSync(join(root, 'site', 'inside.txt'), join(root, 'site', 'alias.txt'));
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

  it('follows no symlink out of its folders (one inside them is served)', async () => {
    expect(await get(url, '/link.txt')).toMatchObject({ status: 404 });
    expect(await get(url, '/model/up/secret.txt')).toMatchObject({ status: 404 });
    expect(await get(url, '/alias.txt')).toMatchObject({ status: 200, body: 'inside' });
  });

  it('survives malformed requests: bad percent-encoding is 400, a NUL is 404, a raw garbage line 400', async () => {
    expect(await get(url, '/%')).toMatchObject({ status: 400 });
    expect(await get(url, '/%E0%A4%A')).toMatchObject({ status: 400 });
    expect(await get(url, '/index.html%00.png')).toMatchObject({ status: 404 });
    const u = new URL(url);
    const reply = await new Promise<string>((ok) => {
      const s = new Socket();
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => ok(got));
      s.on('error', () => ok(got));
      s.connect(Number(u.port), u.hostname, () => s.write('NOT HTTP AT ALL\r\n\r\n'));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    // and it still serves
    expect(await get(url, '/')).toMatchObject({ status: 200, body: '<p>page</p>' });
  });

  it('answers HEAD with the headers of GET and no body; other methods 405 with Allow', async () => {
    expect(await get(url, '/model/model.onnx', { method: 'HEAD' })).toMatchObject({
      status: 200,
      body: '',
      length: '4',
    });
    expect(await get(url, '/', { method: 'POST' })).toMatchObject({ status: 405 });
    expect(await get(url, '/', { method: 'DELETE' })).toMatchObject({ status: 405 });
  });

  it('refuses requests for another Host (DNS rebinding)', async () => {
    expect(await get(url, '/', { host: 'evil.example:80' })).toMatchObject({ status: 403 });
    const port = new URL(url).port;
    expect(await get(url, '/', { host: `localhost:${port}` })).toMatchObject({ status: 200 });
  });
});
