import type { Callback, Disk, DiskFile, FileStat, OpenMode } from '../../core/env.js'
import { assert, type OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { RangeSet } from './range-set.js'
import { SimFaults, type SimDiskFaultHook, type SimDiskOp } from './sim-faults.js'
import { SimDiskFile, type SimFileHost } from './sim-file.js'
import { SimInode } from './sim-inode.js'
import { SimTree } from './sim-tree.js'

/**
 * The simulator's disk: files in memory, stored sparsely, with synthetic content for the large
 * files of a scenario and failure injection for storage tests. Every callback runs through
 * `defer`, which the simulator binds to its scheduler, so disk completions happen on the one
 * timeline (at the current virtual time, after the call returns) and replay exactly.
 */

/** Default bound on what a synthetic file stores for writes that differ from its pattern. */
export const SYNTHETIC_OVERLAY_BYTES_MAX = 16 * 1024 * 1024

export interface SyntheticFileOptions {
  /**
   * true (the default): the whole content is there, as on a seeding host. false: the file
   * reads zeros until written, as on a downloading host; writes that match the pattern only
   * mark their range present, and writes that differ are stored so read-back shows them.
   */
  readonly present?: boolean
  /** Bound on the bytes stored for writes that differ from the pattern. */
  readonly overlayBytesMax?: number
  /**
   * Reads of the pattern within one 64 KiB chunk return a view shared by every reader instead
   * of a fresh array (default false). Only for programs that never write into the buffers they
   * read, such as the swarm scenario's hosts, which send read blocks on as they are.
   */
  readonly sharedReads?: boolean
}

export class SimDisk implements Disk {
  private readonly defer: (fn: () => void) => void
  private readonly tree = new SimTree()
  private readonly faults = new SimFaults()
  private readonly host: SimFileHost
  /** Paths that, when a program creates them, become synthetic files with nothing present. */
  private readonly expected = new Map<
    string,
    { seed: number; overlayBytesMax: number; sharedReads: boolean }
  >()

  /** `defer` runs `fn` later, at the current virtual time (never before the caller returns). */
  constructor(options: { defer: (fn: () => void) => void }) {
    this.defer = options.defer
    this.host = { defer: this.defer, takeFault: (op, path) => this.faults.take(op, path) }
  }

  open(path: string, mode: OpenMode, done: Callback<DiskFile>): void {
    this.run('open', path, done, () => {
      if (mode === 'create') this.createExpected(path)
      const inode = this.tree.open(path, mode)
      if (!inode.ok) return inode
      return ok(new SimDiskFile(path, inode.value, mode !== 'read', this.host))
    })
  }

  stat(path: string, done: Callback<FileStat | undefined>): void {
    this.run('stat', path, done, () => this.tree.stat(path))
  }

  rename(from: string, to: string, done: Callback<void>): void {
    this.run('rename', from, done, () => this.tree.rename(from, to))
  }

  remove(path: string, done: Callback<void>): void {
    this.run('remove', path, done, () => this.tree.remove(path))
  }

  removeDirectory(path: string, done: Callback<void>): void {
    this.run('remove_directory', path, done, () => this.tree.removeDirectory(path))
  }

  mkdir(path: string, done: Callback<void>): void {
    this.run('mkdir', path, done, () => this.tree.mkdir(path))
  }

  list(path: string, done: Callback<string[]>): void {
    this.run('list', path, done, () => this.tree.list(path))
  }

  /** Makes renames in a directory durable; in memory there is nothing to do but fail on cue. */
  syncDirectory(path: string, done: Callback<void>): void {
    this.run('sync_directory', path, done, () => {
      const listed = this.tree.list(path)
      return listed.ok ? ok(undefined) : listed
    })
  }

  /**
   * Creates (or replaces) a file of `size` bytes whose content is `syntheticBytes(seed, …)`,
   * generated on read and never stored. Parent directories are created. Call while setting up
   * a scenario; it takes effect at once.
   */
  addSyntheticFile(
    path: string,
    size: number,
    seed: number,
    options: SyntheticFileOptions = {},
  ): void {
    assert(Number.isSafeInteger(size) && size >= 0, `bad synthetic file size ${size}`)
    const present = new RangeSet()
    if (options.present ?? true) present.add(0, size)
    const overlayBytesMax = options.overlayBytesMax ?? SYNTHETIC_OVERLAY_BYTES_MAX
    const sharedReads = options.sharedReads === true
    const inode = new SimInode({ seed, present, overlayBytesMax, sharedReads }, size)
    const slash = path.lastIndexOf('/')
    const made = this.tree.mkdir(slash < 0 ? '' : path.slice(0, slash))
    const placed = made.ok ? this.tree.place(path, inode) : made
    assert(placed.ok, `addSyntheticFile '${path}': ${placed.ok ? '' : placed.error.message}`)
  }

  /**
   * When a program later creates `path` (opens it with 'create' while it does not exist), the
   * file starts empty with the synthetic content of `seed` as its pattern: writes that match
   * it cost no memory, as with `addSyntheticFile(..., { present: false })`. A downloading host
   * of a large simulated swarm holds hundreds of MiB this way without storing them, while the
   * storage layer above still creates, writes, reads back and hashes its files as on a real
   * disk.
   */
  expectSyntheticFile(path: string, seed: number, options: SyntheticFileOptions = {}): void {
    const overlayBytesMax = options.overlayBytesMax ?? SYNTHETIC_OVERLAY_BYTES_MAX
    this.expected.set(path, { seed, overlayBytesMax, sharedReads: options.sharedReads === true })
  }

  private createExpected(path: string): void {
    const expected = this.expected.get(path)
    if (expected === undefined) return
    const existing = this.tree.stat(path)
    if (!existing.ok || existing.value !== undefined) return
    const inode = new SimInode({ ...expected, present: new RangeSet() }, 0)
    // Parents missing: leave it to the ordinary open to report, as it would for any file.
    this.tree.place(path, inode)
  }

  /** The next `op` (on `path`, when given) fails with `code` instead of running. */
  failNext(op: SimDiskOp, code: OperationalErrorCode = 'io', path?: string): void {
    this.faults.failNext(op, code, path)
  }

  /** Consulted for every operation that no `failNext` claims; undefined removes it. */
  setFaultHook(hook: SimDiskFaultHook | undefined): void {
    this.faults.setHook(hook)
  }

  /** Bytes of memory held for file content (chunks), for metrics and memory-bound tests. */
  bytesStored(): number {
    return this.tree.files().reduce((sum, inode) => sum + inode.bytesStored, 0)
  }

  private run<T>(
    op: SimDiskOp,
    path: string,
    done: Callback<T>,
    apply: () => Result<T, OperationalError>,
  ): void {
    this.defer(() => {
      const fault = this.faults.take(op, path)
      done(fault === undefined ? apply() : err(fault))
    })
  }
}
