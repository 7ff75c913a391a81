import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import {
  DISK_READ_BYTES_MAX,
  type Callback,
  type Disk,
  type DiskFile,
  type FileStat,
  type OpenMode,
} from '../../core/env.js'
import { assert, OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { checkLevels, lastIsLink, makeDirectories, refusal } from './confine.js'

/**
 * The Disk port over node:fs. Positional I/O on file descriptors (pread/pwrite through libuv's
 * thread pool), so concurrent reads and writes to one file need no seek state and no lock.
 *
 * With `root`, every path is resolved inside that directory and a path that would leave it
 * (absolute, or climbing out with '..') is refused: a hostile torrent must never make us write
 * outside the download directory. Below the root no symbolic link is followed, in any
 * component (confine.ts): a link already there is refused with 'invalid_path', so nothing
 * outside the root is ever opened, created or replaced through one.
 */

/** Largest single read: a caller asking for more is reading a length it did not bound. */
export const READ_BYTES_MAX = DISK_READ_BYTES_MAX

export interface NodeDiskOptions {
  /** Resolve every path inside this directory and refuse paths that escape it. */
  readonly root?: string
}

type ErrnoError = NodeJS.ErrnoException

const ERRNO_CODES: Readonly<Record<string, OperationalErrorCode>> = {
  ENOENT: 'not_found',
  ENOSPC: 'no_space',
  EDQUOT: 'no_space',
  EACCES: 'permission',
  EPERM: 'permission',
  EROFS: 'permission',
}

/** The errno's OperationalError code ('io' for the unlisted ones); the errno stays the cause. */
function describeErrno(what: string, error: ErrnoError): OperationalError {
  const code = ERRNO_CODES[error.code ?? ''] ?? 'io'
  return new OperationalError(code, `${what}: ${error.message}`, { cause: error })
}

/** The errno as an error naming the path; ELOOP from a no-follow open is a link refusal. */
const fromErrno = (op: string, path: string, error: ErrnoError): OperationalError =>
  (error.code === 'ELOOP' ? lastIsLink(op, path) : undefined) ??
  describeErrno(`${op} '${path}'`, error)

/**
 * Opens inside a root never follow a link in the last component (ELOOP instead). Windows has
 * no such flag (undefined there); its links need privileges to create.
 */
const NO_FOLLOW: number = (fs.constants.O_NOFOLLOW as number | undefined) ?? 0

/** An fs completion callback reporting to `done`: ok, or the errno described with `what`. */
const completion =
  (done: Callback<void>, what: string) =>
  (error: ErrnoError | null): void =>
    done(error === null ? ok(undefined) : err(describeErrno(what, error)))

/** Nothing is at the path: missing, or a parent is not a directory. */
const isAbsent = (error: ErrnoError): boolean => error.code === 'ENOENT' || error.code === 'ENOTDIR'

/** Delivers a result on a later turn, keeping the port's "never synchronous" promise. */
function later<T>(done: Callback<T>, result: Result<T, OperationalError>): void {
  setImmediate(() => done(result))
}

/**
 * Starts an fs call, turning a synchronous throw (fs validates arguments eagerly, e.g. a path
 * with a NUL byte) into an 'io' result on a later turn.
 */
function attempt<T>(op: string, path: string, done: Callback<T>, start: () => void): void {
  try {
    start()
  } catch (thrown) {
    const why = thrown instanceof Error ? thrown.message : String(thrown)
    later(done, err(new OperationalError('io', `${op} '${path}': ${why}`)))
  }
}

const OPEN_FLAGS: Readonly<Record<OpenMode, number>> = {
  read: fs.constants.O_RDONLY,
  readwrite: fs.constants.O_RDWR,
  // Not 'a+': O_APPEND would make every positional write land at the end on Linux.
  create: fs.constants.O_RDWR | fs.constants.O_CREAT,
}

export class NodeDisk implements Disk {
  private readonly root: string | undefined

  constructor(options: NodeDiskOptions = {}) {
    this.root = options.root === undefined ? undefined : nodePath.resolve(options.root)
  }

  open(path: string, mode: OpenMode, done: Callback<DiskFile>): void {
    this.withPath('open', path, 'parents', done, (real, rooted) =>
      fs.open(real, OPEN_FLAGS[mode] | (rooted ? NO_FOLLOW : 0), 0o666, (error, fd) => {
        if (error !== null) return done(err(fromErrno('open', path, error)))
        // Linux opens a directory read-only without complaint; refuse it here, as the sim does.
        fs.fstat(fd, (statError, stats) => {
          if (statError === null && !stats.isDirectory()) {
            return done(ok(new NodeDiskFile(path, fd)))
          }
          const failure =
            statError === null
              ? new OperationalError('io', `open '${path}': is a directory`)
              : fromErrno('open', path, statError)
          fs.close(fd, () => done(err(failure)))
        })
      }),
    )
  }

  stat(path: string, done: Callback<FileStat | undefined>): void {
    this.withPath('stat', path, 'parents', done, (real, rooted) => {
      // Inside a root the link itself is looked at (lstat) and refused, never its target.
      const look = rooted ? fs.lstat : fs.stat
      look(real, { bigint: true }, (error, stats) => {
        if (error !== null) {
          return done(isAbsent(error) ? ok(undefined) : err(fromErrno('stat', path, error)))
        }
        if (stats.isSymbolicLink()) return done(err(lastIsLink('stat', path)))
        done(
          ok({
            kind: stats.isDirectory() ? 'directory' : 'file',
            size: Number(stats.size),
            modified: Number(stats.mtimeNs / 1000n),
          }),
        )
      })
    })
  }

  rename(from: string, to: string, done: Callback<void>): void {
    // rename(2) moves or replaces a last-component link itself, never its target.
    this.withPath('rename', from, 'parents', done, (realFrom) =>
      this.withPath('rename', to, 'parents', done, (realTo) =>
        fs.rename(realFrom, realTo, completion(done, `rename '${from}' to '${to}'`)),
      ),
    )
  }

  remove(path: string, done: Callback<void>): void {
    // unlink(2) removes a last-component link itself, never its target.
    this.withPath('remove', path, 'parents', done, (real) =>
      fs.unlink(real, (error) =>
        done(
          error === null || isAbsent(error) ? ok(undefined) : err(fromErrno('remove', path, error)),
        ),
      ),
    )
  }

  removeDirectory(path: string, done: Callback<void>): void {
    // rmdir(2) refuses a directory with anything in it: nothing but an empty one ever goes.
    this.withPath('remove_directory', path, 'parents', done, (real) =>
      fs.rmdir(real, (error) => {
        // ENOTDIR first: isAbsent counts it as gone, but here it is a file at `path`.
        if (error?.code === 'ENOTDIR') return done(err(fromErrno('remove_directory', path, error)))
        if (error === null || isAbsent(error)) return done(ok(undefined))
        if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST') {
          const why = `remove_directory '${path}': not empty`
          return done(err(new OperationalError('exists', why, { cause: error })))
        }
        done(err(fromErrno('remove_directory', path, error)))
      }),
    )
  }

  mkdir(path: string, done: Callback<void>): void {
    const resolved = this.resolve('mkdir', path)
    if (!resolved.ok) return later(done, resolved)
    const { real, parts } = resolved.value
    attempt('mkdir', path, done, () => {
      if (this.root === undefined) {
        return fs.mkdir(real, { recursive: true }, completion(done, `mkdir '${path}'`))
      }
      const root = this.root
      // The root is the user's own choice: it is created (and may be a link) as given.
      fs.mkdir(root, { recursive: true }, (error) => {
        if (error !== null) return done(err(fromErrno('mkdir', path, error)))
        makeDirectories(root, parts, path, (failure) => fromErrno('mkdir', path, failure), done)
      })
    })
  }

  list(path: string, done: Callback<string[]>): void {
    this.withPath('list', path, 'all', done, (real) =>
      fs.readdir(real, (error, names) =>
        // Default sort: UTF-16 code unit order, the same on every platform and in the sim.
        done(error === null ? ok(names.sort()) : err(fromErrno('list', path, error))),
      ),
    )
  }

  /**
   * Makes the names in a directory durable (fsync on the directory), so a rename done before
   * is not lost in a crash. `writeFileAtomic` calls it when the disk has it.
   */
  syncDirectory(path: string, done: Callback<void>): void {
    this.withPath('sync_directory', path, 'all', done, (real) =>
      fs.open(real, fs.constants.O_RDONLY, (error, fd) => {
        if (error !== null) return done(err(fromErrno('sync_directory', path, error)))
        fs.fsync(fd, (syncError) =>
          fs.close(fd, (closeError) => {
            const failure = syncError ?? closeError
            done(failure === null ? ok(undefined) : err(fromErrno('sync_directory', path, failure)))
          }),
        )
      }),
    )
  }

  /**
   * Resolves `path` (inside the root, when there is one), checks that no level below the root
   * is a symbolic link (the parents, or every level with 'all'), then starts `use`.
   */
  private withPath<T>(
    op: string,
    path: string,
    levels: 'parents' | 'all',
    done: Callback<T>,
    use: (real: string, rooted: boolean) => void,
  ): void {
    const resolved = this.resolve(op, path)
    if (!resolved.ok) return later(done, resolved)
    const { real, parts } = resolved.value
    const root = this.root
    if (root === undefined) return attempt(op, path, done, () => use(real, false))
    checkLevels(root, parts, levels === 'all', op, path, (checked) => {
      if (!checked.ok) return done(checked)
      attempt(op, path, done, () => use(real, true))
    })
  }

  private resolve(
    op: string,
    path: string,
  ): Result<{ real: string; parts: string[] }, OperationalError> {
    if (this.root === undefined) return ok({ real: path, parts: [] })
    const refuse = (why: string) => err(refusal(op, path, why))
    if (nodePath.isAbsolute(path)) return refuse('absolute paths are refused inside a disk root')
    const real = nodePath.resolve(this.root, path)
    const inside = nodePath.relative(this.root, real)
    const escapes =
      inside === '..' || inside.startsWith(`..${nodePath.sep}`) || nodePath.isAbsolute(inside)
    if (escapes) return refuse(`path escapes the disk root '${this.root}'`)
    return ok({ real, parts: inside === '' ? [] : inside.split(nodePath.sep) })
  }
}

const checkFileRange = (position: number, length: number): void => {
  assert(Number.isSafeInteger(position) && position >= 0, `bad file position ${position}`)
  assert(Number.isSafeInteger(length) && length >= 0, `bad length ${length}`)
  assert(Number.isSafeInteger(position + length), `range ${position}+${length} is too large`)
}

/**
 * An open descriptor. `close` waits for operations already started, so a late pread can never
 * hit a descriptor number the process has since reused for another file; operations started
 * after `close` fail with 'closed'.
 */
class NodeDiskFile implements DiskFile {
  private inflight = 0
  private closeRequested = false
  private closeStarted = false
  private readonly closeWaiters: Callback<void>[] = []
  private closeResult: Result<void, OperationalError> | undefined

  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  read(position: number, length: number, done: Callback<Uint8Array>): void {
    checkFileRange(position, length)
    assert(length <= READ_BYTES_MAX, `read of ${length} bytes is above ${READ_BYTES_MAX}`)
    const finish = this.begin('read', done)
    if (finish === undefined) return
    const buffer = new Uint8Array(length)
    // pread returns fewer bytes than asked only at end of file (or when interrupted): loop.
    const step = (filled: number): void => {
      if (filled === length) return finish(ok(buffer))
      fs.read(this.fd, buffer, filled, length - filled, position + filled, (error, count) => {
        if (error !== null) return finish(err(fromErrno('read', this.path, error)))
        if (count > 0) return step(filled + count)
        // End of file: copy, so a short read does not pin a large, mostly empty buffer.
        finish(ok(buffer.slice(0, filled)))
      })
    }
    if (length === 0) later(finish, ok(buffer))
    else attempt('read', this.path, finish, () => step(0))
  }

  write(position: number, bytes: Uint8Array, done: Callback<void>): void {
    checkFileRange(position, bytes.length)
    const finish = this.begin('write', done)
    if (finish === undefined) return
    // pwrite may write fewer bytes than asked (a full disk, a signal): loop until all are out.
    const step = (written: number): void => {
      if (written === bytes.length) return finish(ok(undefined))
      const rest = bytes.length - written
      fs.write(this.fd, bytes, written, rest, position + written, (error, count) => {
        if (error !== null) return finish(err(fromErrno('write', this.path, error)))
        if (count > 0) return step(written + count)
        finish(err(new OperationalError('io', `write '${this.path}': no progress`)))
      })
    }
    if (bytes.length === 0) later(finish, ok(undefined))
    else attempt('write', this.path, finish, () => step(0))
  }

  writev(position: number, parts: readonly Uint8Array[], done: Callback<void>): void {
    const total = parts.reduce((sum, part) => sum + part.length, 0)
    checkFileRange(position, total)
    const finish = this.begin('write', done)
    if (finish === undefined) return
    // pwritev may stop short like pwrite: resume from the first part not fully written.
    const step = (written: number, rest: readonly Uint8Array[]): void => {
      if (rest.length === 0) return finish(ok(undefined))
      fs.writev(this.fd, rest as Uint8Array[], position + written, (error, count) => {
        if (error !== null) return finish(err(fromErrno('write', this.path, error)))
        if (count <= 0)
          return finish(err(new OperationalError('io', `write '${this.path}': no progress`)))
        step(written + count, dropBytes(rest, count))
      })
    }
    if (total === 0) later(finish, ok(undefined))
    else attempt('write', this.path, finish, () => step(0, parts))
  }

  truncate(size: number, done: Callback<void>): void {
    checkFileRange(size, 0)
    const finish = this.begin('truncate', done)
    if (finish === undefined) return
    attempt('truncate', this.path, finish, () =>
      fs.ftruncate(this.fd, size, completion(finish, `truncate '${this.path}'`)),
    )
  }

  sync(done: Callback<void>): void {
    const finish = this.begin('sync', done)
    if (finish === undefined) return
    fs.fsync(this.fd, completion(finish, `sync '${this.path}'`))
  }

  size(done: Callback<number>): void {
    const finish = this.begin('size', done)
    if (finish === undefined) return
    fs.fstat(this.fd, (error, stats) =>
      finish(error === null ? ok(stats.size) : err(fromErrno('size', this.path, error))),
    )
  }

  /** Idempotent: every close call completes once the descriptor is closed. */
  close(done: Callback<void>): void {
    if (this.closeResult !== undefined) return later(done, this.closeResult)
    this.closeWaiters.push(done)
    this.closeRequested = true
    this.closeWhenIdle()
  }

  /** Counts an operation in flight, or refuses it after close; the wrapper ends the count. */
  setExecutable(done: Callback<void>): void {
    const finish = this.begin('chmod', done)
    if (finish === undefined) return
    // On the descriptor (fchmod), never by path: a link planted meanwhile cannot redirect it.
    fs.fstat(this.fd, (statError, stats) => {
      if (statError !== null) return finish(err(fromErrno('chmod', this.path, statError)))
      const mode = stats.mode & 0o7777
      fs.fchmod(this.fd, mode | ((mode & 0o444) >> 2), completion(finish, `chmod '${this.path}'`))
    })
  }

  private begin<T>(op: string, done: Callback<T>): Callback<T> | undefined {
    if (this.closeRequested) {
      later(done, err(new OperationalError('closed', `${op} '${this.path}': file is closed`)))
      return undefined
    }
    this.inflight++
    return (result) => {
      this.inflight--
      this.closeWhenIdle()
      done(result)
    }
  }

  private closeWhenIdle(): void {
    if (!this.closeRequested || this.inflight > 0 || this.closeStarted) return
    this.closeStarted = true
    fs.close(this.fd, (error) => {
      const result = error === null ? ok(undefined) : err(fromErrno('close', this.path, error))
      this.closeResult = result
      for (const waiter of this.closeWaiters.splice(0)) waiter(result)
    })
  }
}

/** `parts` without their first `count` bytes (views, no copies); empty parts are dropped. */
function dropBytes(parts: readonly Uint8Array[], count: number): Uint8Array[] {
  const rest: Uint8Array[] = []
  let skip = count
  for (const part of parts) {
    if (skip >= part.length) {
      skip -= part.length
      continue
    }
    rest.push(skip === 0 ? part : part.subarray(skip))
    skip = 0
  }
  return rest
}
