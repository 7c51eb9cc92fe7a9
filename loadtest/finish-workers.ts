import type { Worker } from 'node:worker_threads';

/**
 * Asks every load-generator thread to finish (`finish` is its protocol's finish message) and
 * waits for each to exit, terminating one that has not after 5 s. `exited` holds the threads that
 * already exited (they do once their sockets are closed), which emit no second 'exit'.
 */
export function finishWorkers(workers: readonly Worker[], exited: ReadonlySet<Worker>, finish: unknown): Promise<void> {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (exited.has(w)) return resolve();
          const t = setTimeout(() => void w.terminate(), 5000);
          w.once('exit', () => (clearTimeout(t), resolve()));
          w.postMessage(finish);
        }),
    ),
  ).then(() => undefined);
}
