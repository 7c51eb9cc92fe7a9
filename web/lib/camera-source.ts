/** A camera stream played into a (hidden) video element, reopened when settings change. */
export class CameraSource {
  private stream: MediaStream | null = null;

  constructor(private readonly video: HTMLVideoElement) {}

  get active(): boolean {
    return this.stream !== null && this.video.videoWidth > 0;
  }

  get deviceId(): string {
    return this.stream?.getVideoTracks()[0]?.getSettings().deviceId ?? '';
  }

  /** Opens (or reopens) the camera. Throws an Error whose message is meant for the user. */
  async open(deviceId: string, width: number, height: number): Promise<void> {
    const support = cameraSupport();
    if (support) throw new Error(support);
    this.close();
    const video: MediaTrackConstraints = { width: { ideal: width }, height: { ideal: height } };
    if (deviceId) video.deviceId = { exact: deviceId };
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    } catch (err) {
      // A remembered camera may be gone: fall back to any camera once.
      if (deviceId && (err as DOMException).name === 'OverconstrainedError') return this.open('', width, height);
      throw new Error(cameraErrorText(err));
    }
    this.stream = stream;
    this.video.srcObject = stream;
    await this.video.play().catch(() => {});
    if (this.video.videoWidth === 0) {
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        this.video.addEventListener('loadedmetadata', done, { once: true });
        setTimeout(done, 3000);
      });
    }
  }

  close(): void {
    for (const t of this.stream?.getTracks() ?? []) t.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  /** A track that ended by itself (camera unplugged, permission revoked). */
  onEnded(cb: () => void): void {
    for (const t of this.stream?.getTracks() ?? []) t.addEventListener('ended', cb, { once: true });
  }
}

/** Why this page cannot use a camera at all, or null when it can. */
export function cameraSupport(): string | null {
  if (!window.isSecureContext) {
    return 'The camera only works on a secure page: open this page over HTTPS (or on localhost). Browsers refuse getUserMedia on plain http:// from other hosts.';
  }
  if (!navigator.mediaDevices?.getUserMedia) return 'This browser cannot capture a camera (no getUserMedia). Try a current Chrome, Firefox or Safari.';
  return null;
}

export async function listCameras(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const all = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  return all.filter((d) => d.kind === 'videoinput');
}

export function cameraErrorText(err: unknown): string {
  const name = (err as { name?: string })?.name ?? '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera permission was denied. Allow the camera for this site (the camera icon in the address bar), then press Start again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect a camera, then press Start again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy or failed to start. Close other apps that use it, then press Start again.';
    default:
      return `The camera could not be opened${err instanceof Error && err.message ? `: ${err.message}` : '.'}`;
  }
}

/**
 * Fills a camera picker, keeping `current` selected when it is still there. Before camera
 * permission, browsers list cameras without ids or labels: then the picker is left as it is.
 */
export async function fillCameraSelect(select: HTMLSelectElement, current: string): Promise<void> {
  const cams = (await listCameras()).filter((c) => c.deviceId);
  if (cams.length === 0) return;
  select.replaceChildren(
    ...cams.map((c, i) => {
      const o = document.createElement('option');
      o.value = c.deviceId;
      o.textContent = c.label || `Camera ${i + 1}`;
      return o;
    }),
  );
  if (cams.some((c) => c.deviceId === current)) select.value = current;
}
