import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
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

  itNeeding(pythonWith('yaml'), 'wires beamcast, nginx, prometheus and grafana to the files under deploy/', () => {
    const compose = yamlFile('docker-compose.yml');
    const s = compose.services;
    assert.deepEqual(Object.keys(s).sort(), ['beamcast', 'grafana', 'nginx', 'prometheus']);
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
    assert.ok(!s.beamcast.ports, 'beamcast is reached through nginx only');
    assert.ok(s.nginx.ports.some((p: string) => String(p).endsWith(':80')), 'nginx publishes port 80');
    assert.equal(mountOf('nginx', './deploy/nginx/beamcast.conf'), '/etc/nginx/conf.d/default.conf');
    assert.equal(s.nginx.depends_on.beamcast.condition, 'service_healthy');
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
    for (const p of dashboard.panels) {
      assert.equal(p.datasource.uid, ds.uid, `panel ${p.title} uses the provisioned datasource`);
      assert.ok(p.description, `panel ${p.title} explains itself`);
      for (const t of p.targets) assert.equal(t.datasource.uid, ds.uid);
    }
    const titles = dashboard.panels.map((p: { title: string }) => p.title);
    for (const t of ['Live rooms', 'Viewers', 'Frames per second', 'Bandwidth', 'Skipped frames', 'Rejected frames', 'Relay latency', 'Recompress latency', 'Chat', 'CPU', 'Memory', 'Event-loop lag']) {
      assert.ok(titles.includes(t), `dashboard has "${t}"`);
    }
    assert.ok(dashboardExpressions(dashboard).every((e) => !/\broom=/.test(e.expr)));
    // Prometheus scrapes the service name and HTTP port compose gives beamcast.
    const prom = yamlFile('deploy/prometheus/prometheus.yml');
    assert.deepEqual(prom.scrape_configs[0].static_configs[0].targets, ['beamcast:8080']);
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
