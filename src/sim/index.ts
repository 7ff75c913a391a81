/**
 * The simulator's public surface: a deterministic discrete-event world that runs the same
 * protocol code as real sockets. See world.ts to start.
 */
export { Scheduler, RUN_STEPS_MAX_DEFAULT } from './scheduler.js'
export type {
  EventHook,
  EventId,
  EventOwner,
  RunOptions,
  RunResult,
  StopReason,
} from './scheduler.js'
export { SimWorld } from './world.js'
export type { AddHostOptions, SimWorldOptions } from './world.js'
export { SimHost } from './host.js'
export type { HostState, HostTraffic, ProgramHandle, SimProgram } from './host.js'
export {
  constantLatency,
  LATENCY_MATRIX_ROWS_MAX,
  matrixLatency,
  parseLatencyMatrix,
  planeLatency,
  uniformLatency,
} from './latency.js'
export type {
  HostIndex,
  LatencyMatrix,
  LatencyModel,
  PlaneLatencyModel,
  PlaneLatencyOptions,
} from './latency.js'
export { NatBox } from './nat.js'
export type { NatBehaviour, NatBoxOptions } from './nat.js'
export { DATAGRAM_BYTES_MAX } from './datagram-network.js'
export { NetworkCounters, SimNetwork, WORLD_HOSTS_MAX } from './network.js'
export type { LinkRatios } from './network.js'
export { maxMinFairShare } from './fair-share.js'
export { EXACT_COMPONENT_FLOWS_MAX } from './bandwidth.js'
export { HOST_SOCKETS_MAX } from './net-host.js'
export type { FairShareProblem } from './fair-share.js'
export { exponential, fixed, gamma, pareto, weibull } from './distributions.js'
export type { Distribution } from './distributions.js'
export { ChurnDriver, CHURN_SAMPLES_MAX } from './churn.js'
export type { ChurnOptions } from './churn.js'
export {
  Histogram,
  HISTOGRAM_SAMPLES_MAX,
  mergeHistograms,
  METRIC_NAMES_MAX,
  SimMetrics,
  sumCounters,
  summarize,
} from './metrics.js'
export type { HistogramSummary } from './metrics.js'
export { SimTrace, TRACE_LINES_MAX_DEFAULT } from './trace.js'
export { check, SimFailure } from './check.js'
export { SimLog, SimLogSink } from './log.js'
export type { SimLogLevel } from './log.js'
export { SimDisk } from './disk/sim-disk.js'
export { SimNames, SimResolver } from './names.js'
export { SimHttpClient } from './http/client.js'
export { serveHttp } from './http/server.js'
export type {
  SimHttpAnswer,
  SimHttpHandler,
  SimHttpRequest,
  SimHttpServerOptions,
} from './http/server.js'
