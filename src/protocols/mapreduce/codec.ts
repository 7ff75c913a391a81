import { err, ok, type Result } from '../../core/result.js'
import type { JobSpec, MasterMessage, ShuffleMessage } from './messages.js'
import { check, type Shape } from './shape.js'

/**
 * Bytes <-> messages. A frame body is one tag byte then, for every message but `fetch_data`, the
 * message as UTF-8 JSON; `fetch_data` carries its partition as raw bytes after the tag so that
 * the shuffle never pays for an encoding. Drivers prefix each body with its length (framing.ts).
 * Decoding checks every field and never throws.
 */

const TAG_JSON = 0x4a // 'J'
const TAG_FETCH_DATA = 0x44 // 'D'

/** Bounds on what a peer may make us hold. */
export const MAX_TASKS = 1_000_000
export const MAX_REDUCES = 100_000
export const MAX_TEXT = 1 << 16

const nat: Shape = 'nat'
const text: Shape = 'string'
const kind: Shape = { literal: ['map', 'reduce'] }
const natArray: Shape = { array: nat, max: MAX_REDUCES }

const split: Shape = {
  object: { path: text, start: nat, length: nat, hosts: { array: text, max: 64 } },
}
const location: Shape = {
  object: {
    task: nat,
    attempt: nat,
    workerId: text,
    shuffleAddress: text,
    partitionBytes: natArray,
    partitionCrc: natArray,
  },
}
const program: Shape = {
  union: 'kind',
  variants: {
    module: { object: { kind: { literal: ['module'] }, module: text, useCombiner: 'bool' } },
    streaming: {
      object: { kind: { literal: ['streaming'] }, mapper: text, reducer: text, combiner: text },
      optional: ['combiner'],
    },
  },
}
export const jobShape: Shape = {
  object: { jobId: text, program, reduces: nat, output: text, taskTimeoutMs: nat },
}

const masterShape: Shape = {
  union: 'type',
  variants: {
    register: {
      object: {
        type: { literal: ['register'] },
        workerId: text,
        locality: text,
        shuffleAddress: text,
        held: { array: { object: { task: nat, attempt: nat } }, max: MAX_TASKS },
      },
    },
    job: { object: { type: { literal: ['job'] }, job: jobShape, heartbeatMs: nat } },
    heartbeat: {
      object: {
        type: { literal: ['heartbeat'] },
        running: {
          array: { object: { kind, index: nat, attempt: nat, progress: nat, status: text } },
          max: 1024,
        },
      },
    },
    assign_map: { object: { type: { literal: ['assign_map'] }, task: nat, attempt: nat, split } },
    assign_reduce: {
      object: {
        type: { literal: ['assign_reduce'] },
        task: nat,
        attempt: nat,
        sources: { array: location, max: MAX_TASKS },
      },
    },
    map_done: {
      object: {
        type: { literal: ['map_done'] },
        task: nat,
        attempt: nat,
        partitionBytes: natArray,
        partitionCrc: natArray,
        counters: 'counters',
      },
    },
    reduce_done: {
      object: {
        type: { literal: ['reduce_done'] },
        task: nat,
        attempt: nat,
        tempPath: text,
        counters: 'counters',
      },
    },
    task_failed: {
      object: {
        type: { literal: ['task_failed'] },
        kind,
        task: nat,
        attempt: nat,
        reason: text,
        fetchFailedMap: nat,
      },
      optional: ['fetchFailedMap'],
    },
    kill: { object: { type: { literal: ['kill'] }, kind, task: nat, attempt: nat } },
    job_end: { object: { type: { literal: ['job_end'] }, succeeded: 'bool', reason: text } },
  },
}

const shuffleShape: Shape = {
  union: 'type',
  variants: {
    fetch: {
      object: {
        type: { literal: ['fetch'] },
        jobId: text,
        task: nat,
        attempt: nat,
        partition: nat,
      },
    },
    fetch_missing: { object: { type: { literal: ['fetch_missing'] }, reason: text } },
  },
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function encodeJson(message: object): Uint8Array {
  const body = encoder.encode(JSON.stringify(message))
  const bytes = new Uint8Array(body.length + 1)
  bytes[0] = TAG_JSON
  bytes.set(body, 1)
  return bytes
}

function decodeJson<T>(bytes: Uint8Array, shape: Shape): Result<T, string> {
  if (bytes[0] !== TAG_JSON) return err('unknown frame tag')
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes.subarray(1)))
  } catch {
    return err('frame is not UTF-8 JSON')
  }
  const problem = check(value, shape)
  return problem === undefined ? ok(value as T) : err(problem)
}

export const encodeMasterMessage = (message: MasterMessage): Uint8Array => encodeJson(message)

export const decodeMasterMessage = (bytes: Uint8Array): Result<MasterMessage, string> =>
  decodeJson<MasterMessage>(bytes, masterShape)

export function encodeShuffleMessage(message: ShuffleMessage): Uint8Array {
  if (message.type !== 'fetch_data') return encodeJson(message)
  const bytes = new Uint8Array(message.bytes.length + 1)
  bytes[0] = TAG_FETCH_DATA
  bytes.set(message.bytes, 1)
  return bytes
}

export function decodeShuffleMessage(bytes: Uint8Array): Result<ShuffleMessage, string> {
  if (bytes[0] === TAG_FETCH_DATA) return ok({ type: 'fetch_data', bytes: bytes.subarray(1) })
  return decodeJson<ShuffleMessage>(bytes, shuffleShape)
}

export function checkJobSpec(value: unknown): Result<JobSpec, string> {
  const problem = check(value, jobShape)
  return problem === undefined ? ok(value as JobSpec) : err(problem)
}
