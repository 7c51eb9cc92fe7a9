// Messages between the Pusher scenario's main thread and its subscriber threads.
import type { HistogramData } from './histogram.js';

export interface PusherWorkerSetup {
  index: number;
  host: string;
  port: number;
  /** /app/KEY?protocol=7... */
  path: string;
  channel: string;
  eventName: string;
  sourceAddresses: string[];
  /** Events with seq in [first, last] are the measured window. */
  windowFirstSeq: number;
  windowLastSeq: number;
  /** Longest text message read whole (longer ones count as errors). */
  textCapture: number;
}

export type ToPusherWorker = { cmd: 'connect'; count: number; perSecond: number } | { cmd: 'mark'; name: 'start' | 'end' } | { cmd: 'finish' };

export interface PusherProgress {
  type: 'progress';
  index: number;
  attempted: number;
  connected: number;
  subscribed: number;
  failed: number;
  connectDone: boolean;
  /** Window events received (each subscriber's first copy of each). */
  windowReceived: number;
  /** Subscribed subscribers that have every event of the window. */
  complete: number;
  latency: HistogramData;
}

export interface PusherWorkerResult {
  type: 'result';
  index: number;
  /** Per subscriber that was subscribed: window events received (first copies). */
  windowReceived: number[];
  /** Copies of an event a subscriber already had. */
  duplicates: number;
  /** Events that arrived after a later one (across concurrent triggers). */
  outOfOrder: number;
  /** Subscribers that connected but never got subscription_succeeded. */
  neverSubscribed: number;
  /** Trigger → delivery of window events. */
  latency: HistogramData;
  /** Per window event (index seq − first): its earliest and its latest delivery in this thread, ms after the trigger (NaN: none). */
  firstMs: Float64Array;
  lastMs: Float64Array;
  /** Protocol errors seen (pusher:error, subscription_error, unreadable or truncated messages). */
  errors: Record<string, number>;
  refused: Record<string, number>;
  unexpectedCloses: Record<string, number>;
  /** Event-loop utilisation of this thread over the measured window (0..1). */
  elu: number;
}
