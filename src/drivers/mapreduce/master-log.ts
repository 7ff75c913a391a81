import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs'
import { formatLogRecord, parseLog, type LogRecord } from '../../protocols/mapreduce/index.js'

/**
 * The master log on disk: records appended with `write` then `fsync`, so a record the master
 * acted on survives a crash. On open, a torn last record is cut off.
 */
export class MasterLogFile {
  private constructor(private readonly fd: number) {}

  /** Opens (creating) the log and returns the records already in it. */
  static open(path: string): { log: MasterLogFile; records: LogRecord[] } {
    let existing: Buffer
    try {
      existing = readFileSync(path)
    } catch {
      existing = Buffer.alloc(0)
    }
    const parsed = parseLog(existing)
    if (!parsed.ok) throw new Error(`${path}: ${parsed.error}`)
    const fd = openSync(path, 'a+')
    if (parsed.value.validBytes < existing.length) {
      ftruncateSync(fd, parsed.value.validBytes)
      fsyncSync(fd)
    }
    return { log: new MasterLogFile(fd), records: parsed.value.records }
  }

  append(record: LogRecord): void {
    writeSync(this.fd, formatLogRecord(record))
    fsyncSync(this.fd)
  }

  close(): void {
    closeSync(this.fd)
  }
}
