import http from 'node:http';
import { JpegSplitter } from '../../src/ingest/jpeg-splitter.js';

/** An MJPEG response read as it arrives: status, headers, parts (JPEGs) and the raw tail. */
export function openMjpeg(url: string) {
  const splitter = new JpegSplitter();
  const state = { status: 0, headers: {} as http.IncomingHttpHeaders, parts: [] as Buffer[], tail: Buffer.alloc(0), ended: false };
  const req = http.get(url, (res) => {
    state.status = res.statusCode ?? 0;
    state.headers = res.headers;
    res.on('data', (chunk: Buffer) => {
      state.parts.push(...splitter.push(chunk));
      state.tail = Buffer.concat([state.tail, chunk]).subarray(-64);
    });
    res.on('end', () => (state.ended = true));
    res.on('error', () => {});
  });
  req.on('error', () => {});
  return { state, close: () => req.destroy() };
}
