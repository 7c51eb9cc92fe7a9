import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { streamKey } from '../../src/core/stream-key.js';
import { startBeamcastProcess, type BeamcastProcess } from '../helpers/beamcast-process.js';
import { describeNeeding, skipWithout } from '../helpers/binaries.js';
import { nginxSiteFor } from '../helpers/deploy-files.js';
import { freePort } from '../helpers/free-port.js';
import { fakeFrame } from '../helpers/jpeg.js';
import { makeCertificate, nginxSkip, startNginx, type NginxServer } from '../helpers/nginx-server.js';
import { TEST_SECRET } from '../helpers/test-server.js';
import { TestClient } from '../helpers/ws-client.js';

const opensslSkip = () => skipWithout('openssl', 'openssl');

describeNeeding(opensslSkip(), 'the certificate script (deploy/nginx/self-signed-cert.sh)', () => {
  it('makes a self-signed server certificate for localhost and the names given, readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamcast-cert-'));
    try {
      makeCertificate(dir, ['192.168.1.20', 'cam.lan']);
      const cert = new X509Certificate(readFileSync(join(dir, 'beamcast.crt')));
      assert.equal(cert.ca, false, 'a server certificate, not a CA');
      assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192.168.1.20, DNS:cam.lan');
      assert.ok(cert.checkHost('cam.lan') && cert.checkIP('192.168.1.20'));
      assert.ok(new Date(cert.validTo).getTime() - Date.now() > 800 * 86400_000);
      assert.equal(statSync(join(dir, 'beamcast.key')).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a certificate the operator put there alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamcast-cert-'));
    try {
      writeFileSync(join(dir, 'beamcast.crt'), 'operator chain\n');
      writeFileSync(join(dir, 'beamcast.key'), 'operator key\n');
      makeCertificate(dir);
      assert.equal(readFileSync(join(dir, 'beamcast.crt'), 'utf8'), 'operator chain\n');
      assert.equal(readFileSync(join(dir, 'beamcast.key'), 'utf8'), 'operator key\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeNeeding(nginxSkip(), 'nginx serving HTTPS (deploy/nginx/beamcast.conf)', () => {
  let beamcast: BeamcastProcess;
  let nginx: NginxServer;
  let tlsPort: number;
  let ca: Buffer;
  beforeAll(async () => {
    beamcast = await startBeamcastProcess({ TRUST_PROXY: 'true', PUBLIC_WS_URL: 'same-origin', DEMO_ROOM: '', MAX_FPS: '240' });
    try {
      const port = await freePort();
      tlsPort = await freePort();
      nginx = await startNginx(nginxSiteFor(beamcast.httpPort, beamcast.wsPort, port, { tlsPort }), port);
      // The generated certificate names 127.0.0.1: trusting it, clients verify the connection fully.
      ca = readFileSync(join(nginx.certDir, 'beamcast.crt'));
    } catch (err) {
      await beamcast.stop();
      throw err;
    }
  });
  afterAll(async () => {
    await nginx?.stop();
    await beamcast.stop();
  });

  const httpsGet = (path: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: tlsPort, path, ca, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves pages and API over HTTPS, and tells pages loaded that way to open wss:// on the same origin', async () => {
    const page = await httpsGet('/camera?room=phone');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, new RegExp(`connect-src [^;]*wss://127\\.0\\.0\\.1:${tlsPort}`));
    const config = JSON.parse((await httpsGet('/api/config')).body) as { wsUrl: string };
    assert.equal(config.wsUrl, `wss://127.0.0.1:${tlsPort}`);
    // Plain HTTP stays, with ws:// for its pages.
    const plain = (await (await fetch(`${nginx.url}/api/config`)).json()) as { wsUrl: string };
    assert.equal(plain.wsUrl, `ws://127.0.0.1:${nginx.port}`);
  });

  it('carries a broadcaster over wss:// to a viewer on plain ws://, through the same nginx', async () => {
    const room = 'tls';
    const cam = await TestClient.connect(`wss://127.0.0.1:${tlsPort}/ws/${room}?role=broadcaster&key=${streamKey(TEST_SECRET, room)}`, { ca });
    const viewer = await TestClient.connect(`ws://127.0.0.1:${nginx.port}/ws/${room}`);
    try {
      await cam.nextText('welcome');
      await viewer.nextText('welcome');
      cam.send(fakeFrame(1));
      cam.send(fakeFrame(2));
      assert.equal((await viewer.nextFrame()).seq, 1);
      assert.equal((await viewer.nextFrame()).seq, 2);
    } finally {
      await cam.close();
      await viewer.close();
    }
  });
});
