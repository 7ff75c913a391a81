import { DISK_READ_BYTES_MAX, type Callback, type DiskFile } from '../../core/env.js'
import { assert, OperationalError } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import type { SimDiskOp } from './sim-faults.js'
import type { SimInode } from './sim-inode.js'

/**
 * An open simulated file. Every operation is applied when the simulator runs the deferred
 * step, in call order (the scheduler breaks ties by scheduling order), and its callback runs in
 * that same step. Operations called after `close` fail with 'closed'; those called before it
 * still complete, as the Node disk waits for in-flight I/O before closing the descriptor.
 */

/** Largest single read: a caller asking for more is reading a length it did not bound. */
export const READ_BYTES_MAX = DISK_READ_BYTES_MAX

/** What a file needs from its disk: the simulator's deferral and the fault injector. */
export interface SimFileHost {
  defer(fn: () => void): void
  takeFault(op: SimDiskOp, path: string): OperationalError | undefined
}

export function checkFileRange(position: number, length: number): void {
  assert(Number.isSafeInteger(position) && position >= 0, `bad file position ${position}`)
  assert(Number.isSafeInteger(length) && length >= 0, `bad length ${length}`)
  assert(Number.isSafeInteger(position + length), `range ${position}+${length} is too large`)
}

export class SimDiskFile implements DiskFile {
  private closeRequested = false

  constructor(
    readonly path: string,
    private readonly inode: SimInode,
    private readonly writable: boolean,
    private readonly host: SimFileHost,
  ) {}

  read(position: number, length: number, done: Callback<Uint8Array>): void {
    checkFileRange(position, length)
    assert(length <= READ_BYTES_MAX, `read of ${length} bytes is above ${READ_BYTES_MAX}`)
    this.run('read', done, () => ok(this.inode.read(position, length)))
  }

  write(position: number, bytes: Uint8Array, done: Callback<void>): void {
    checkFileRange(position, bytes.length)
    this.run('write', done, () => {
      if (!this.writable) return this.readOnly('write')
      if (this.inode.write(position, bytes)) return ok(undefined)
      return err(new OperationalError('io', `write '${this.path}': synthetic overlay is full`))
    })
  }

  writev(position: number, parts: readonly Uint8Array[], done: Callback<void>): void {
    const total = parts.reduce((sum, part) => sum + part.length, 0)
    checkFileRange(position, total)
    this.run('write', done, () => {
      if (!this.writable) return this.readOnly('write')
      let at = position
      for (const part of parts) {
        if (!this.inode.write(at, part)) {
          return err(new OperationalError('io', `write '${this.path}': synthetic overlay is full`))
        }
        at += part.length
      }
      return ok(undefined)
    })
  }

  truncate(size: number, done: Callback<void>): void {
    checkFileRange(size, 0)
    this.run('truncate', done, () => {
      if (!this.writable) return this.readOnly('truncate')
      this.inode.truncate(size)
      return ok(undefined)
    })
  }

  sync(done: Callback<void>): void {
    this.run('sync', done, () => ok(undefined))
  }

  size(done: Callback<number>): void {
    this.run('size', done, () => ok(this.inode.size))
  }

  /** Idempotent: closing a closed file succeeds. */
  close(done: Callback<void>): void {
    if (this.closeRequested) return this.host.defer(() => done(ok(undefined)))
    this.closeRequested = true
    this.host.defer(() => {
      const fault = this.host.takeFault('close', this.path)
      done(fault === undefined ? ok(undefined) : err(fault))
    })
  }

  private run<T>(op: SimDiskOp, done: Callback<T>, apply: () => Result<T, OperationalError>): void {
    if (this.closeRequested) {
      const closed = new OperationalError('closed', `${op} '${this.path}': file is closed`)
      return this.host.defer(() => done(err(closed)))
    }
    this.host.defer(() => {
      const fault = this.host.takeFault(op, this.path)
      done(fault === undefined ? apply() : err(fault))
    })
  }

  private readOnly(op: string): Result<never, OperationalError> {
    return err(new OperationalError('io', `${op} '${this.path}': file is open read-only`))
  }
}
