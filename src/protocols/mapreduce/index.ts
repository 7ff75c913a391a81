export {
  decodeMasterMessage,
  decodeShuffleMessage,
  encodeMasterMessage,
  encodeShuffleMessage,
  checkJobSpec,
} from './codec.js'
export { crc32 } from './crc32.js'
export {
  compareRecords,
  compareUtf8,
  groupByKey,
  joinRecord,
  sortRecords,
  splitRecord,
  type KeyValue,
} from './key-order.js'
export {
  addRecord,
  countRecords,
  formatGroups,
  parseLinesInto,
  sortGroups,
  sortKeys,
  type Group,
  type KeyGroups,
} from './key-groups.js'
export { formatLogRecord, parseLog, type LogRecord, type ParsedLog } from './log-record.js'
export { MasterCore } from './master.js'
export type { JobProgress, PhaseProgress } from './master-progress.js'
export {
  DEAD_AFTER_HEARTBEATS,
  defaultMasterConfig,
  type MasterConfig,
  type MasterEvent,
  type MasterOutput,
} from './master-types.js'
export type { JobProgram, JobSpec, MasterMessage, ShuffleMessage } from './messages.js'
export { hashPartition, textHashCode } from './partitioner.js'
export { defaultSplitBytes, ownedLineRanges, planSplits, type InputFile } from './splits.js'
export * from './types.js'
