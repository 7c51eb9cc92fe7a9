import puppeteer, { type Browser, type Page } from 'puppeteer';

/**
 * The system Chromium with a fake camera. By default the permission prompt is answered "allow";
 * with `askPermission` the browser's own permission state applies (set it with `setPermission`).
 */
export async function launchBrowser(opts: { askPermission?: boolean; args?: string[] } = {}): Promise<Browser> {
  return puppeteer.launch({
    executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--use-fake-device-for-media-stream',
      ...(opts.askPermission ? [] : ['--use-fake-ui-for-media-stream']),
      '--disable-background-networking',
      '--disable-component-update',
      ...(opts.args ?? []),
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  problems: string[];
}

/**
 * A page in its own window (background tabs throttle timers) that records every console error,
 * uncaught exception and request to another host.
 */
export async function openPage(browser: Browser, opts: { width?: number; height?: number; allow?: RegExp; hosts?: string[] } = {}): Promise<WatchedPage> {
  const page = await browser.newPage({ type: 'window' });
  await page.setViewport({ width: opts.width ?? 1280, height: opts.height ?? 800 });
  const problems: string[] = [];
  const allowed = (text: string) => opts.allow?.test(text) ?? false;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = `${m.text()} ${m.location()?.url ?? ''}`;
    if (!allowed(text)) problems.push(`console: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
  page.on('request', (r) => {
    const url = new URL(r.url());
    const local = ['127.0.0.1', 'localhost', ...(opts.hosts ?? [])];
    if (!local.includes(url.hostname) && !['data:', 'blob:'].includes(url.protocol)) problems.push(`request to another host: ${r.url()}`);
  });
  return { page, problems };
}
