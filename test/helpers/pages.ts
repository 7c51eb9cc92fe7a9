import type { Page } from 'puppeteer';
import { encodeFrame } from '../../src/protocol/index.js';
import { realJpeg } from './media.js';
import type { TestClient } from './ws-client.js';

/** Waits until the page's status (`body[data-state]`: connecting, live, reconnecting, offline) is `s`. */
export const waitState = (p: Page, s: string, timeout = 10_000) =>
  p.waitForFunction((want) => document.body.dataset.state === want, { timeout, polling: 50 }, s);

export const textOf = (p: Page, selector: string) => p.$eval(selector, (e) => e.textContent ?? '');

export async function sendChat(p: Page, text: string): Promise<void> {
  await p.click('#chat-input');
  await p.keyboard.type(text);
  await p.keyboard.press('Enter');
}

/**
 * Real, decodable JPEG frames from a broadcaster client at `fps` until `stop()`: pages get pictures
 * to paint without a camera page of their own.
 */
export async function streamFrames(cam: TestClient, fps = 10, size: [number, number] = [320, 240]): Promise<{ stop(): void }> {
  const pictures = await Promise.all([0, 1, 2, 3].map((i) => realJpeg(size[0], size[1], i)));
  let seq = 0;
  const send = () => {
    if (cam.ws.readyState === cam.ws.OPEN) cam.send(encodeFrame(pictures[seq % pictures.length]!, seq++, Date.now()));
  };
  send();
  const timer = setInterval(send, 1000 / fps);
  return { stop: () => clearInterval(timer) };
}
