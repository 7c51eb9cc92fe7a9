// Messages between the load generator's main thread and its viewer threads.
import type { TargetName } from './dialect.js';
import type { HistogramData } from './histogram.js';

export type ViewerKind = 'viewer' | 'slow' | 'chatter';

/** Where one server (one node of a cluster) takes WebSocket connections. */
export interface NodeAddress {
  host: string;
  port: number;
}

/** One viewer to open: what it does, and the index of the node it connects to. */
export interface ViewerPlan {
  kind: ViewerKind;
  node: number;
}

export interface WorkerSetup {
  index: number;
  target: TargetName;
  /** One entry per node; a single server is one node. */
  nodes: NodeAddress[];
  room: string;
  sourceAddresses: string[];
  /** Frames with seq in [first, last] are the measured window. */
  windowFirstSeq: number;
  windowLastSeq: number;
  /** Slow viewers stop reading at this seq, the middle of the window, so that the others' latency can be compared before and after in one run. */
  slowStopSeq: number;
}

export type ToWorker =
  | { cmd: 'connect'; viewers: ViewerPlan[]; perSecond: number }
  | { cmd: 'late'; delaysMs: number[]; nodes: number[] }
  | { cmd: 'chat'; perSecond: number; stopAfterMs: number; textBytes: number }
  | { cmd: 'mark'; name: 'start' | 'end' }
  | { cmd: 'finish' };

export interface Progress {
  type: 'progress';
  index: number;
  connected: number;
  attempted: number;
  failed: number;
  connectDone: boolean;
  windowFrames: number;
  /** Highest frame seq any viewer of this thread has received. */
  lastSeq: number;
  /** The same per node (index = node; -1: no viewer of this thread on that node yet). */
  lastSeqByNode: number[];
  relay: HistogramData;
}

export interface ChatResult {
  sent: number;
  /** Per sender key: how many of its messages came back to it (accepted by the server). */
  accepted: Record<string, number>;
  /** One entry per chatter: per sender key, messages received. */
  receivedBySender: Record<string, number>[];
  /** Per plain viewer (not slow): chat messages counted. */
  plainReceived: number[];
  refusals: number;
  /** Times a chatter saw beamcast's chat id jump by more than one. */
  idGaps: number;
  latency: HistogramData;
}

/** What the normal viewers of one node received in the measured window. */
export interface NodeTally {
  /** Frames per viewer (viewers and chatters that stayed connected). */
  windowFrames: number[];
  windowBytes: number;
  relay: HistogramData;
  capture: HistogramData;
}

export interface WorkerResult {
  type: 'result';
  index: number;
  /** Measured-window frames per normal viewer (viewers and chatters that stayed connected). */
  windowFrames: number[];
  windowBytes: number;
  allBytes: number;
  relay: HistogramData;
  /** Relay latency of normal viewers before and after slowStopSeq. */
  relayHalves: [HistogramData, HistogramData];
  capture: HistogramData;
  /** The same figures split by the node the viewers were connected to (index = node). */
  byNode: NodeTally[];
  slow: { count: number; windowFrames: number; closes: Record<string, number> };
  late: { count: number; firstFrameMs: number[]; connectToFirstFrameMs: number[]; withoutFrame: number };
  chat: ChatResult;
  refused: Record<string, number>;
  /** Closes of connections that were not asked to close, by close code. */
  unexpectedCloses: Record<string, number>;
  /** Event-loop utilisation of this thread over the measured window (0..1). */
  elu: number;
}
