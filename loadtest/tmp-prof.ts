import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { JpegSplitter } from '../src/ingest/jpeg-splitter.js';
sharp.cache(false); sharp.concurrency(1);
const ff = spawnSync('ffmpeg', ['-loglevel','error','-f','lavfi','-i','testsrc2=size=1280x720:rate=30','-frames:v','40','-q:v','5','-f','mjpeg','-'], { maxBuffer: 1<<28 });
const frames = new JpegSplitter().push(ff.stdout);
async function bench(name: string, fn: (f: Buffer) => Promise<unknown>) {
  for (const f of frames.slice(0,5)) await fn(f);
  const c0 = process.cpuUsage();
  for (const f of frames) await fn(f);
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(40), ((c.user + c.system) / 1000 / frames.length).toFixed(2), 'ms');
}
await bench('decode full raw', (f) => sharp(f).raw().toBuffer());
await bench('sd default', (f) => sharp(f, {failOn:'error'}).resize({ width: 640, withoutEnlargement: true }).jpeg({ quality: 60 }).toBuffer());
await bench('sd no optimiseCoding', (f) => sharp(f).resize({ width: 640 }).jpeg({ quality: 60, optimiseCoding: false }).toBuffer());
await bench('sd all fast', (f) => sharp(f).resize({ width: 640 }).jpeg({ quality: 60, optimiseCoding: false, trellisQuantisation: false, overshootDeringing: false, optimiseScans: false, mozjpeg: false }).toBuffer());
await bench('sd shrink only (no resize)', (f) => sharp(f).resize({ width: 640, kernel: 'nearest' }).jpeg({ quality: 60, optimiseCoding: false }).toBuffer());
await bench('thumb default', (f) => sharp(f).resize({ width: 160 }).jpeg({ quality: 50 }).toBuffer());
await bench('thumb fast', (f) => sharp(f).resize({ width: 160 }).jpeg({ quality: 50, optimiseCoding: false }).toBuffer());
await bench('decode at 1/2 via raw resize', (f) => sharp(f).resize({ width: 640 }).raw().toBuffer());
for (const kernel of ['lanczos3', 'cubic', 'linear', 'mitchell'] as const) {
  await bench(`one decode, ${kernel}: sd+thumb from raw`, async (f) => {
    const { data, info } = await sharp(f).resize({ width: 640, kernel }).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels as 3 } };
    await Promise.all([sharp(data, raw).jpeg({ quality: 60 }).toBuffer(), sharp(data, raw).resize({ width: 160, kernel }).jpeg({ quality: 50 }).toBuffer()]);
  });
}
await bench('cascade: sd then thumb from sd jpeg', async (f) => {
  const sd = await sharp(f).resize({ width: 640 }).jpeg({ quality: 60 }).toBuffer();
  await sharp(sd).resize({ width: 160 }).jpeg({ quality: 50 }).toBuffer();
});
