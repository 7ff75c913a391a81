import type { FileStat, OpenMode } from '../../core/env.js'
import { OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { SimInode } from './sim-inode.js'

/**
 * The simulated namespace: directories and the names of files, with the same outcomes as the
 * Node disk on Linux for the cases the conformance suite covers (missing parent → not_found,
 * a file where a directory is needed → io, rename replaces, remove ignores what is not there).
 *
 * Paths are '/'-separated and relative to the disk's root; a leading '/' is ignored, '.' and
 * empty segments are skipped, and '..' is resolved by name. A path that climbs above the root
 * is refused. Directories are tracked explicitly (with their children) so that `list` does not
 * scan every entry.
 */

export interface SimDirectory {
  readonly kind: 'directory'
  readonly children: Set<string>
}

export type SimEntry = SimDirectory | SimInode

type Outcome<T> = Result<T, OperationalError>

const newDirectory = (): SimDirectory => ({ kind: 'directory', children: new Set() })

const failure = (code: OperationalErrorCode, op: string, path: string, why: string) =>
  err(new OperationalError(code, `${op} '${path}': ${why}`))

/** The key of `path` ('' is the root), or undefined when it climbs above the root. */
export function normalizeSimPath(path: string): string | undefined {
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part !== '..') parts.push(part)
    else if (parts.pop() === undefined) return undefined
  }
  return parts.join('/')
}

const parentKey = (key: string): string => key.slice(0, Math.max(0, key.lastIndexOf('/')))
const baseName = (key: string): string => key.slice(key.lastIndexOf('/') + 1)

export class SimTree {
  private readonly entries = new Map<string, SimEntry>([['', newDirectory()]])

  /** Every linked file (an unlinked inode still held open is not counted). */
  files(): SimInode[] {
    return [...this.entries.values()].filter((entry) => entry instanceof SimInode)
  }

  open(path: string, mode: OpenMode): Outcome<SimInode> {
    const key = this.key('open', path)
    if (!key.ok) return key
    const entry = this.entries.get(key.value)
    if (entry?.kind === 'directory') return failure('io', 'open', path, 'is a directory')
    if (entry !== undefined) return ok(entry)
    const problem = this.parentProblem('open', path, key.value)
    if (problem !== undefined) return err(problem)
    if (mode !== 'create') return failure('not_found', 'open', path, 'no such file')
    const inode = new SimInode(undefined, 0)
    this.link(key.value, inode)
    return ok(inode)
  }

  /** Links `inode` at `path`, replacing a file there; parents must exist. */
  place(path: string, inode: SimInode): Outcome<void> {
    const key = this.key('place', path)
    if (!key.ok) return key
    const problem = this.parentProblem('place', path, key.value)
    if (problem !== undefined) return err(problem)
    const entry = this.entries.get(key.value)
    if (entry?.kind === 'directory') return failure('io', 'place', path, 'is a directory')
    if (entry !== undefined) this.unlink(key.value)
    this.link(key.value, inode)
    return ok(undefined)
  }

  stat(path: string): Outcome<FileStat | undefined> {
    const key = this.key('stat', path)
    if (!key.ok) return key
    const entry = this.entries.get(key.value)
    if (entry === undefined) return ok(undefined)
    // Directories report size 0: the port leaves their size unspecified.
    if (entry.kind === 'directory') return ok({ kind: 'directory', size: 0 })
    return ok({ kind: 'file', size: entry.size, modified: entry.modified })
  }

  remove(path: string): Outcome<void> {
    const key = this.key('remove', path)
    if (!key.ok) return key
    const entry = this.entries.get(key.value)
    if (entry?.kind === 'directory') return failure('io', 'remove', path, 'is a directory')
    if (entry !== undefined) this.unlink(key.value)
    return ok(undefined)
  }

  removeDirectory(path: string): Outcome<void> {
    const key = this.key('remove_directory', path)
    if (!key.ok) return key
    const entry = this.entries.get(key.value)
    if (entry === undefined) return ok(undefined)
    if (entry.kind !== 'directory') {
      return failure('io', 'remove_directory', path, 'not a directory')
    }
    if (entry.children.size > 0) return failure('exists', 'remove_directory', path, 'not empty')
    if (key.value !== '') this.unlink(key.value)
    return ok(undefined)
  }

  mkdir(path: string): Outcome<void> {
    const key = this.key('mkdir', path)
    if (!key.ok) return key
    if (key.value === '') return ok(undefined)
    const parts = key.value.split('/')
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/')
      const entry = this.entries.get(prefix)
      if (entry === undefined) this.link(prefix, newDirectory())
      else if (entry.kind === 'file') return failure('io', 'mkdir', path, `'${prefix}' is a file`)
    }
    return ok(undefined)
  }

  list(path: string): Outcome<string[]> {
    const key = this.key('list', path)
    if (!key.ok) return key
    const entry = this.entries.get(key.value)
    if (entry?.kind === 'file') return failure('io', 'list', path, 'not a directory')
    if (entry !== undefined) return ok([...entry.children].sort())
    return err(this.parentProblem('list', path, key.value) ?? notFound('list', path))
  }

  rename(from: string, to: string): Outcome<void> {
    const fromKey = this.key('rename', from)
    if (!fromKey.ok) return fromKey
    const toKey = this.key('rename', to)
    if (!toKey.ok) return toKey
    const source = this.entries.get(fromKey.value)
    if (source === undefined) {
      return err(this.parentProblem('rename', from, fromKey.value) ?? notFound('rename', from))
    }
    if (fromKey.value === toKey.value) return ok(undefined)
    const refused = this.renameProblem(source, fromKey.value, toKey.value, to)
    if (refused !== undefined) return err(refused)
    if (this.entries.has(toKey.value)) this.unlink(toKey.value)
    this.move(source, fromKey.value, toKey.value)
    return ok(undefined)
  }

  /** Why rename(2) would refuse to put `source` at `toKey`, if it would. */
  private renameProblem(
    source: SimEntry,
    fromKey: string,
    toKey: string,
    to: string,
  ): OperationalError | undefined {
    const problem = (why: string) => new OperationalError('io', `rename to '${to}': ${why}`)
    if (fromKey === '' || toKey === '') return problem('cannot move the root')
    const parent = this.parentProblem('rename', to, toKey)
    if (parent !== undefined) return parent
    if (source.kind === 'directory' && toKey.startsWith(`${fromKey}/`)) {
      return problem('cannot move a directory into itself')
    }
    const target = this.entries.get(toKey)
    if (target === undefined) return undefined
    if (source.kind === 'file' && target.kind === 'directory') return problem('is a directory')
    if (source.kind === 'directory' && target.kind === 'file') return problem('not a directory')
    if (target.kind === 'directory' && target.children.size > 0) return problem('not empty')
    return undefined
  }

  /** Re-keys `source` and everything under it; names below the top do not change. */
  private move(source: SimEntry, fromKey: string, toKey: string): void {
    const descendants = this.descendants(fromKey)
    this.unlink(fromKey)
    for (const key of descendants) {
      const entry = this.entries.get(key) as SimEntry
      this.entries.delete(key)
      this.entries.set(toKey + key.slice(fromKey.length), entry)
    }
    this.link(toKey, source)
  }

  private descendants(key: string): string[] {
    const entry = this.entries.get(key)
    if (entry?.kind !== 'directory') return []
    return [...entry.children].flatMap((name) => {
      const child = `${key}/${name}`
      return [child, ...this.descendants(child)]
    })
  }

  private key(op: string, path: string): Outcome<string> {
    if (path.includes('\0')) return failure('invalid_path', op, path, 'path contains a NUL byte')
    const key = normalizeSimPath(path)
    return key === undefined
      ? failure('invalid_path', op, path, 'path climbs above the root')
      : ok(key)
  }

  /** What stops `key` from being created: a missing ancestor, or a file on the way. */
  private parentProblem(op: string, path: string, key: string): OperationalError | undefined {
    const parts = key.split('/')
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/')
      const entry = this.entries.get(prefix)
      if (entry === undefined) return notFound(op, path)
      if (entry.kind === 'file') {
        return new OperationalError('io', `${op} '${path}': '${prefix}' is not a directory`)
      }
    }
    return undefined
  }

  private link(key: string, entry: SimEntry): void {
    this.entries.set(key, entry)
    const parent = this.entries.get(parentKey(key))
    if (parent?.kind === 'directory') parent.children.add(baseName(key))
  }

  private unlink(key: string): void {
    this.entries.delete(key)
    const parent = this.entries.get(parentKey(key))
    if (parent?.kind === 'directory') parent.children.delete(baseName(key))
  }
}

const notFound = (op: string, path: string) =>
  new OperationalError('not_found', `${op} '${path}': no such file or directory`)
