import { assert, OperationalError, type OperationalErrorCode } from '../../core/errors.js'

/**
 * Failure injection for the simulated disk, so storage code can be tested on the error paths
 * that a real disk reaches only rarely (EIO on read, a full disk on write, a failed fsync).
 * A failed operation changes nothing; a failed close still closes the handle, as close(2) does.
 */

export type SimDiskOp =
  | 'open'
  | 'stat'
  | 'rename'
  | 'remove'
  | 'remove_directory'
  | 'mkdir'
  | 'list'
  | 'sync_directory'
  | 'read'
  | 'write'
  | 'truncate'
  | 'sync'
  | 'size'
  | 'close'

/** Decides, for each operation as it runs, whether it fails and with which code. */
export type SimDiskFaultHook = (op: SimDiskOp, path: string) => OperationalErrorCode | undefined

/** One-shot failures waiting for their operation; more than this is a test bug. */
export const PENDING_FAULTS_MAX = 256

interface PendingFault {
  readonly op: SimDiskOp
  readonly code: OperationalErrorCode
  readonly path: string | undefined
}

export class SimFaults {
  private readonly pending: PendingFault[] = []
  private hook: SimDiskFaultHook | undefined

  /** The next `op` (on `path`, when given) fails with `code`. */
  failNext(op: SimDiskOp, code: OperationalErrorCode, path: string | undefined): void {
    assert(this.pending.length < PENDING_FAULTS_MAX, `more than ${PENDING_FAULTS_MAX} faults`)
    this.pending.push({ op, code, path })
  }

  setHook(hook: SimDiskFaultHook | undefined): void {
    this.hook = hook
  }

  /** The error `op` on `path` fails with now, consuming a one-shot failure; undefined if none. */
  take(op: SimDiskOp, path: string): OperationalError | undefined {
    const index = this.pending.findIndex(
      (fault) => fault.op === op && (fault.path === undefined || fault.path === path),
    )
    let code: OperationalErrorCode | undefined
    if (index >= 0) code = this.pending.splice(index, 1)[0]?.code
    else code = this.hook?.(op, path)
    if (code === undefined) return undefined
    return new OperationalError(code, `${op} '${path}': injected ${code} fault`)
  }
}
