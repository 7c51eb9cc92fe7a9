// The camera page's tier encoder, off the page's thread: each captured picture arrives as an
// ImageBitmap and leaves as one JPEG per tier (OffscreenCanvas.convertToBlob), so tier encodes
// never hold up capturing and sending the source stream.
import type { TierJob, TierJobResult } from '../lib/tier-worker-protocol.js';

const canvases = new Map<string, OffscreenCanvas>();

function canvasFor(name: string, width: number, height: number): OffscreenCanvas {
  let c = canvases.get(name);
  if (!c || c.width !== width || c.height !== height) {
    c = new OffscreenCanvas(width, height);
    canvases.set(name, c);
  }
  return c;
}

async function run(job: TierJob): Promise<TierJobResult> {
  const out: TierJobResult = { id: job.id, results: [] };
  try {
    for (const t of job.tiers) {
      const t0 = performance.now();
      const canvas = canvasFor(t.name, t.width, t.height);
      const ctx = canvas.getContext('2d', { alpha: false });
      if (!ctx) throw new Error('no 2d context on OffscreenCanvas');
      ctx.imageSmoothingQuality = 'medium';
      ctx.drawImage(job.bitmap, 0, 0, t.width, t.height);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: t.quality / 100 });
      out.results.push({ name: t.name, jpeg: await blob.arrayBuffer(), ms: performance.now() - t0 });
    }
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
  } finally {
    job.bitmap.close();
  }
  return out;
}

onmessage = (e: MessageEvent<TierJob>) => {
  void run(e.data).then((result) => postMessage(result, { transfer: result.results.map((r) => r.jpeg) }));
};
