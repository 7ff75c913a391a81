import { err, ok, type Result } from '../../core/result.js'
import { jobShape } from './codec.js'
import { crc32 } from './crc32.js'
import type { JobSpec } from './messages.js'
import { check, type Shape } from './shape.js'
import type { MapOutputLocation, Split } from './types.js'

/**
 * The master's append-only log. One record per line: eight lowercase hex digits of the CRC-32
 * of the JSON text, one space, the JSON, `\n`. The driver appends and fsyncs each record before
 * acting on it; a restarted master replays the records (master.ts `resume`) and re-runs nothing
 * that a record says was committed.
 *
 * A crash can leave a torn last record (no `\n`, or a bad checksum on the last line): the parser
 * drops it and reports the byte length of the valid prefix, which the driver truncates to. A bad
 * record followed by good ones is not a crash artefact but corruption, and is an error.
 */

export type LogRecord =
  | { readonly type: 'job'; readonly job: JobSpec; readonly splits: readonly Split[] }
  | { readonly type: 'map_committed'; readonly location: MapOutputLocation }
  /** The map output died with its worker: the task runs again. */
  | { readonly type: 'map_lost'; readonly task: number }
  | { readonly type: 'reduce_committed'; readonly task: number; readonly attempt: number }
  | { readonly type: 'job_succeeded' }
  | { readonly type: 'job_failed'; readonly reason: string }

const nat: Shape = 'nat'
const recordShape: Shape = {
  union: 'type',
  variants: {
    job: {
      object: {
        type: { literal: ['job'] },
        job: jobShape,
        splits: {
          array: {
            object: { path: 'string', start: nat, length: nat, hosts: { array: 'string' } },
          },
        },
      },
    },
    map_committed: {
      object: {
        type: { literal: ['map_committed'] },
        location: {
          object: {
            task: nat,
            attempt: nat,
            workerId: 'string',
            shuffleAddress: 'string',
            partitionBytes: { array: nat },
            partitionCrc: { array: nat },
          },
        },
      },
    },
    map_lost: { object: { type: { literal: ['map_lost'] }, task: nat } },
    reduce_committed: {
      object: { type: { literal: ['reduce_committed'] }, task: nat, attempt: nat },
    },
    job_succeeded: { object: { type: { literal: ['job_succeeded'] } } },
    job_failed: { object: { type: { literal: ['job_failed'] }, reason: 'string' } },
  },
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

const hex8 = (value: number): string => value.toString(16).padStart(8, '0')

export function formatLogRecord(record: LogRecord): Uint8Array {
  const json = JSON.stringify(record)
  return encoder.encode(`${hex8(crc32(encoder.encode(json)))} ${json}\n`)
}

export interface ParsedLog {
  readonly records: LogRecord[]
  /** Bytes of the valid prefix; anything after it is a torn final record. */
  readonly validBytes: number
}

export function parseLog(bytes: Uint8Array): Result<ParsedLog, string> {
  const records: LogRecord[] = []
  let position = 0
  let lineNumber = 0
  while (position < bytes.length) {
    lineNumber++
    const newline = bytes.indexOf(0x0a, position)
    if (newline < 0) break // torn: the record was never finished
    const record = parseLine(bytes.subarray(position, newline))
    if (!record.ok) {
      if (newline + 1 === bytes.length) break // a torn last record
      return err(`master log record ${lineNumber} is corrupt (${record.error}) and is not the last`)
    }
    records.push(record.value)
    position = newline + 1
  }
  return ok({ records, validBytes: position })
}

function parseLine(line: Uint8Array): Result<LogRecord, string> {
  if (line.length < 10 || line[8] !== 0x20) return err('no checksum')
  let head: string
  let json: string
  try {
    head = decoder.decode(line.subarray(0, 8))
    json = decoder.decode(line.subarray(9))
  } catch {
    return err('not UTF-8')
  }
  if (!/^[0-9a-f]{8}$/.test(head) || parseInt(head, 16) !== crc32(line.subarray(9))) {
    return err('checksum mismatch')
  }
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return err('not JSON')
  }
  const problem = check(value, recordShape)
  return problem === undefined ? ok(value as LogRecord) : err(problem)
}
