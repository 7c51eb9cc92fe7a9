import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { SERVER_ENTRY } from '../helpers/beamcast-process.js';
import { findBinary, itNeeding, skipWithout } from '../helpers/binaries.js';
import { dashboardExpressions, readRepoFile, repoFile, ROOT } from '../helpers/deploy-files.js';
import { freePort } from '../helpers/free-port.js';
import { startTestServer } from '../helpers/test-server.js';

// The Compose Specification schema is kept next to the repository, not in it.
const COMPOSE_SPEC = join(ROOT, '..', 'shared', 'compose-spec.json');
const PY_YAML_TO_JSON = 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)';
const PY_VALIDATE =
  'import json, sys, yaml, jsonschema; jsonschema.validate(yaml.safe_load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print("valid")';

function pythonWith(...modules: string[]): false | string {
  const py = findBinary('python3');
  if (!py) return 'python3 is not installed';
  const r = spawnSync(py, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  return r.status === 0 ? false : `python3 lacks ${modules.join(', ')} (Debian packages python3-yaml, python3-jsonschema; .ci/run installs them)`;
}

function yamlFile(path: string): any {
  const r = spawnSync(findBinary('python3')!, ['-c', PY_YAML_TO_JSON, repoFile(path)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('docker-compose.yml', () => {
  itNeeding(skipWithout('docker-compose', 'docker-compose'), 'is accepted by docker-compose config -q', () => {
    const r = spawnSync(findBinary('docker-compose')!, ['-f', repoFile('docker-compose.yml'), 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `docker-compose config -q:\n${r.stdout}${r.stderr}`);
  });

  const schemaSkip = existsSync(COMPOSE_SPEC) ? pythonWith('yaml', 'jsonschema') : `${COMPOSE_SPEC} is absent: schema validation skipped`;
  itNeeding(schemaSkip, 'validates against the Compose Specification schema', () => {
    const r = spawnSync(findBinary('python3')!, ['-c', PY_VALIDATE, repoFile('docker-compose.yml'), COMPOSE_SPEC], { encoding: 'utf8' });
    assert.equal(r.status, 0, `compose-spec validation:\n${r.stdout}${r.stderr}`);
  });

  itNeeding(pythonWith('yaml'), 'wires beamcast, redis, nginx, prometheus and grafana to the files under deploy/', () => {
    const compose = yamlFile('docker-compose.yml');
    const s = compose.services;
    assert.deepEqual(Object.keys(s).sort(), ['beamcast', 'grafana', 'nginx', 'prometheus', 'redis']);
    for (const svc of Object.values<any>(s)) {
      for (const v of svc.volumes ?? []) {
        const src = String(v).split(':')[0]!;
        if (src.startsWith('./')) assert.ok(existsSync(repoFile(src.slice(2))), `${src} exists`);
      }
    }
    const mountOf = (svc: string, src: string) => (s[svc].volumes as string[]).find((v) => v.startsWith(`${src}:`))?.split(':')[1];
    assert.equal(s.beamcast.build, '.');
    assert.equal(s.beamcast.environment.TRUST_PROXY, 'true', 'beamcast sits behind nginx');
    assert.equal(s.beamcast.environment.PUBLIC_WS_URL, 'same-origin', 'pages connect through nginx');
    for (const name of ['STREAM_SECRET', 'DEMO_ROOM', 'ALLOWED_ORIGINS', 'FRAME_ANCESTORS']) {
      assert.match(String(s.beamcast.environment[name]), new RegExp(`^\\$\\{${name}[:-]`), `${name} can be set in .env (docs/security.md)`);
    }
    assert.ok(!s.beamcast.ports, 'beamcast is reached through nginx only');
    assert.ok(s.nginx.ports.some((p: string) => String(p).endsWith(':80')), 'nginx publishes port 80');
    assert.ok(s.nginx.ports.some((p: string) => String(p).endsWith(':443')), 'nginx publishes port 443 (HTTPS, for phones)');
    assert.equal(mountOf('nginx', './deploy/nginx/beamcast.conf'), '/etc/nginx/conf.d/default.conf');
    // HTTPS: the certificate directory nginx.conf names, filled by the script the image runs first.
    const site443 = readRepoFile('deploy/nginx/beamcast.conf');
    assert.match(site443, /^\s*listen 443 ssl;/m);
    assert.equal(mountOf('nginx', './deploy/nginx/certs'), '/etc/nginx/certs');
    assert.match(site443, /^\s*ssl_certificate\s+\/etc\/nginx\/certs\/beamcast\.crt;/m);
    assert.match(mountOf('nginx', './deploy/nginx/self-signed-cert.sh') ?? '', /^\/docker-entrypoint\.d\/[\w-]+\.sh$/, 'the nginx image runs it before starting');
    assert.ok((statSync(repoFile('deploy/nginx/self-signed-cert.sh')).mode & 0o111) !== 0, 'the image runs only executable scripts');
    assert.doesNotMatch(s.nginx.image, /alpine/, 'an image with openssl (Debian) makes the certificate');
    assert.match(String(s.nginx.environment.TLS_NAMES), /^\$\{TLS_NAMES[:-]/);
    assert.equal(s.nginx.depends_on.beamcast.condition, 'service_healthy');

    // Scaled out: several replicas of one service, all on the redis service.
    const replicas = /^\$\{BEAMCAST_REPLICAS:-(\d+)\}$/.exec(String(s.beamcast.deploy.replicas));
    assert.ok(replicas && Number(replicas[1]) >= 2, `two or more beamcast nodes by default (deploy.replicas: ${s.beamcast.deploy.replicas})`);
    assert.equal(s.beamcast.environment.REDIS_URL, 'redis://redis:6379');
    assert.ok(!('NODE_ID' in s.beamcast.environment), 'each replica picks its own node id');
    assert.equal(s.beamcast.depends_on.redis.condition, 'service_healthy');
    assert.match(s.redis.image, /^redis:7\./);
    const redisArgs: string[] = s.redis.command;
    assert.equal(redisArgs[redisArgs.indexOf('--appendonly') + 1], 'yes', 'chat survives a Redis restart');
    assert.equal(mountOf('redis', 'redis-data'), '/data', 'the append-only file lives in a volume');
    assert.ok(s.redis.healthcheck.test.includes('ping'));
    assert.ok(!s.redis.ports, 'Redis is reached on the internal network only');

    // nginx balances over every replica: the service name re-resolved through Docker's DNS, no
    // stickiness (any node serves any room). It needs nginx 1.27.3 or later for "resolve".
    const site = readRepoFile('deploy/nginx/beamcast.conf');
    assert.match(site, /^resolver 127\.0\.0\.11 valid=\d+s/m);
    for (const [upstream, port] of [['beamcast_http', 8080], ['beamcast_ws', 8081]] as const) {
      const block = new RegExp(`upstream ${upstream} \\{([^}]*)\\}`).exec(site)?.[1] ?? '';
      assert.match(block, new RegExp(`^\\s*server beamcast:${port} resolve;`, 'm'), `${upstream} follows the replicas`);
      assert.match(block, /^\s*zone \w+ \d+k;/m, `${upstream} lives in shared memory, as "resolve" needs`);
      assert.match(block, /^\s*least_conn;/m, `${upstream} sends new connections to the least busy node`);
      assert.doesNotMatch(block, /\b(ip_hash|hash|sticky)\b/, `${upstream} is not sticky`);
    }
    const [, major, minor, patch] = /^nginx:(\d+)\.(\d+)(?:\.(\d+))?/.exec(s.nginx.image) ?? [];
    assert.ok(Number(major) * 1e6 + Number(minor) * 1e3 + Number(patch ?? 999) >= 1_027_003, `${s.nginx.image} knows "resolve"`);
    assert.equal(mountOf('prometheus', './deploy/prometheus/prometheus.yml'), '/etc/prometheus/prometheus.yml');
    assert.equal(mountOf('grafana', './deploy/grafana/provisioning'), '/etc/grafana/provisioning');

    // Grafana: the provider reads the dashboards where compose mounts them; every panel uses
    // the provisioned datasource, which points at the prometheus service.
    const provider = yamlFile('deploy/grafana/provisioning/dashboards/beamcast.yml').providers[0];
    assert.equal(mountOf('grafana', './deploy/grafana/dashboards'), provider.options.path);
    const ds = yamlFile('deploy/grafana/provisioning/datasources/prometheus.yml').datasources[0];
    assert.equal(ds.type, 'prometheus');
    assert.equal(ds.url, 'http://prometheus:9090');
    const dashboard = JSON.parse(readRepoFile('deploy/grafana/dashboards/beamcast.json'));
    assert.equal(dashboard.title, 'beamcast');
    const rows = dashboard.panels.filter((p: { type: string }) => p.type === 'row');
    assert.deepEqual(rows.map((r: { title: string }) => r.title), ['Nodes', 'Bus between nodes (Redis)']);
    for (const p of dashboard.panels) {
      if (p.type === 'row') continue;
      assert.equal(p.datasource.uid, ds.uid, `panel ${p.title} uses the provisioned datasource`);
      assert.ok(p.description, `panel ${p.title} explains itself`);
      for (const t of p.targets) assert.equal(t.datasource.uid, ds.uid);
    }
    const titles = dashboard.panels.map((p: { title: string }) => p.title);
    for (const t of [
      'Live rooms', 'Viewers', 'Frames per second', 'Bandwidth', 'Skipped frames', 'Rejected frames', 'Relay latency', 'Recompress latency', 'Chat',
      'Nodes up', 'Viewers per node', 'Bandwidth per node', 'Rooms per node', 'CPU', 'Memory', 'Event-loop lag',
      'Bus up', 'Bus frames', 'Bus bandwidth', 'Chat refused: bus down',
    ]) {
      assert.ok(titles.includes(t), `dashboard has "${t}"`);
    }
    const exprs = dashboardExpressions(dashboard);
    assert.ok(exprs.every((e) => !/\broom=/.test(e.expr)));
    // Below the Nodes row, one line per node, named by its node id.
    const nodesRow = dashboard.panels.indexOf(rows[0]);
    for (const p of dashboard.panels.slice(nodesRow + 1)) {
      if (p.type === 'row' || p.title === 'Nodes up') continue;
      for (const t of p.targets) {
        assert.match(t.expr, /\* on \(instance\) group_left \(node\) beamcast_node_info$/, `${p.title}: ${t.expr} is per node`);
        assert.match(t.legendFormat, /\{\{node\}\}/);
      }
    }
    for (const m of ['beamcast_bus_up', 'beamcast_bus_frames_published_total', 'beamcast_bus_frames_fetched_total', 'beamcast_bus_frames_skipped_total', 'beamcast_bus_fetched_bytes_total', 'beamcast_chat_refused_total{reason="CHAT_UNAVAILABLE"}']) {
      assert.ok(exprs.some((e) => e.expr.includes(m)), `the dashboard shows ${m}`);
    }
    // Prometheus finds every replica by the service name and scrapes the HTTP port compose gives beamcast.
    const prom = yamlFile('deploy/prometheus/prometheus.yml');
    assert.deepEqual(prom.scrape_configs[0].dns_sd_configs, [{ names: ['beamcast'], type: 'A', port: 8080, refresh_interval: '15s' }]);
    assert.ok(s.beamcast.expose.includes('8080'));
  });
});

describe('Dockerfile', () => {
  const dockerfile = readRepoFile('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'));
  const stages = instructions.filter((l) => /^FROM\s/i.test(l));
  const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));

  it('builds in one stage and runs as a non-root user on node:20-slim with a HEALTHCHECK', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    for (const s of stages) assert.match(s, /^FROM node:20-slim\b/);
    assert.ok(instructions.some((l) => /RUN npm ci\b(?!.*--omit=dev)/.test(l)), 'the build stage installs all dependencies');
    assert.ok(instructions.some((l) => /RUN node scripts\/build\.mjs/.test(l)), 'the build stage builds');
    assert.ok(instructions.some((l) => /RUN npm ci --omit=dev/.test(l)), 'production dependencies only for the runtime');
    const user = finalStage.find((l) => /^USER\s/.test(l));
    assert.ok(user && !/^USER\s+(root|0)\b/.test(user), 'the runtime stage runs as a non-root user');
    assert.ok(finalStage.some((l) => /^HEALTHCHECK\s/.test(l)));
    assert.ok(finalStage.some((l) => l.includes('"dist/server/main.js"')), 'runs the built server');
    const ignore = readRepoFile('.dockerignore').split('\n');
    for (const p of ['node_modules', 'dist', '.env', 'data', '.git']) assert.ok(ignore.includes(p), `.dockerignore has ${p}`);
  });

  function healthcheckArgv(): string[] {
    const line = finalStage.find((l) => /^HEALTHCHECK\s/.test(l))!;
    const json = /CMD\s+(\[.*\])\s*$/.exec(line);
    assert.ok(json, 'HEALTHCHECK uses the exec form');
    return JSON.parse(json[1]!) as string[];
  }

  it('HEALTHCHECK passes against a running server and fails against a stopped one', async () => {
    const [cmd, ...args] = healthcheckArgv();
    assert.equal(cmd, 'node');
    // Async: the server under test runs in this process and must keep answering.
    const run = (port: number) =>
      new Promise<number | null>((resolve) => {
        execFile(process.execPath, args, { env: { PORT: String(port) }, timeout: 10_000 }, (err) => {
          resolve(err ? (typeof err.code === 'number' ? err.code : null) : 0);
        });
      });
    const server = await startTestServer();
    try {
      assert.equal(await run(server.httpPort), 0);
    } finally {
      await server.stop();
    }
    assert.equal(await run(await freePort()), 1);
  });

  it('the built server needs nothing beyond the production dependencies the image installs', () => {
    assert.ok(existsSync(SERVER_ENTRY), 'dist/server/main.js is built (npm test builds it)');
    const pkg = JSON.parse(readRepoFile('package.json')) as { dependencies: Record<string, string> };
    const bundle = readFileSync(SERVER_ENTRY, 'utf8');
    const specifiers = new Set<string>();
    // Static imports are statements at the start of a line (the snippets the server logs hold
    // import lines inside string literals, which are not the bundle's own imports).
    for (const m of bundle.matchAll(/^import\b[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)|\btarget:\s*["']([^"'./][^"']*)["']/gm)) {
      specifiers.add((m[1] ?? m[2] ?? m[3] ?? m[4])!);
    }
    const packages = [...specifiers]
      .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && !builtinModules.includes(s))
      .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
    assert.ok(packages.includes('fastify') && packages.includes('pino-pretty'), `imports found: ${packages.join(', ')}`);
    for (const p of packages) assert.ok(p in pkg.dependencies, `${p} is a production dependency`);
  });
});
