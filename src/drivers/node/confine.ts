import * as fs from 'node:fs'
import * as nodePath from 'node:path'
import type { Callback } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'

/**
 * Symbolic-link confinement for a rooted NodeDisk. The lexical root check stops `..` and
 * absolute paths, but a link already inside the root (planted by another program, another
 * user, or an earlier torrent's files) would still carry a write anywhere: `dir -> /etc`, a
 * file that points at `~/.bashrc`, a dangling link whose target does not exist yet. So below
 * the root no component is ever followed:
 *
 * - every directory on the way is checked with lstat (`checkParents`) and must not be a link;
 * - the last component is opened with O_NOFOLLOW (an open through a link fails with ELOOP),
 *   or checked with lstat by the operations that cannot take that flag;
 * - directories are created one level at a time (`makeDirectories`), each existing level
 *   checked with lstat, never `mkdir -p`, which would follow a linked level.
 *
 * The root itself may be a link: the user named it. What is not covered: another local
 * process swapping a checked directory for a link between the check and the use (Node has no
 * openat); that needs write access to the download folder, which is the user's own.
 */

export const refusal = (op: string, path: string, why: string): OperationalError =>
  new OperationalError('invalid_path', `${op} '${path}': ${why}`)

const linkRefusal = (op: string, path: string, component: string): OperationalError =>
  refusal(
    op,
    path,
    `'${component}' is a symbolic link; plexus never follows links inside its folder`,
  )

/** Absolute paths of `parts` joined one level at a time under `root`. */
function prefixes(root: string, parts: readonly string[]): string[] {
  const out: string[] = []
  let at = root
  for (const part of parts) {
    at = nodePath.join(at, part)
    out.push(at)
  }
  return out
}

/**
 * Checks that no level of `parts` (relative to `root`) is a symbolic link, the last one
 * included when `includeLast`. A missing level ends the walk: nothing below it exists, and
 * the operation itself then reports ENOENT. Other lstat errors are left to the operation.
 */
export function checkLevels(
  root: string,
  parts: readonly string[],
  includeLast: boolean,
  op: string,
  path: string,
  done: Callback<void>,
): void {
  const levels = prefixes(root, includeLast ? parts : parts.slice(0, -1))
  const step = (index: number): void => {
    const level = levels[index]
    if (level === undefined) return done(ok(undefined))
    fs.lstat(level, (error, stats) => {
      if (error !== null) return done(ok(undefined))
      if (stats.isSymbolicLink()) {
        return done(err(linkRefusal(op, path, nodePath.relative(root, level))))
      }
      step(index + 1)
    })
  }
  step(0)
}

/**
 * mkdir -p without following links: each level is created alone; one that exists must be a
 * real directory. `describe` turns an errno into the disk's error.
 */
export function makeDirectories(
  root: string,
  parts: readonly string[],
  path: string,
  describe: (error: NodeJS.ErrnoException) => OperationalError,
  done: Callback<void>,
): void {
  const levels = prefixes(root, parts)
  const step = (index: number): void => {
    const level = levels[index]
    if (level === undefined) return done(ok(undefined))
    fs.mkdir(level, (made) => {
      if (made === null) return step(index + 1)
      if (made.code !== 'EEXIST') return done(err(describe(made)))
      fs.lstat(level, (error, stats) => {
        if (error !== null) return done(err(describe(error)))
        const relative = nodePath.relative(root, level)
        if (stats.isSymbolicLink()) return done(err(linkRefusal('mkdir', path, relative)))
        if (!stats.isDirectory()) {
          return done(err(new OperationalError('io', `mkdir '${path}': '${relative}' is a file`)))
        }
        step(index + 1)
      })
    })
  }
  step(0)
}

/** The refusal for a link found at the last component (ELOOP from O_NOFOLLOW, or lstat). */
export const lastIsLink = (op: string, path: string): OperationalError =>
  linkRefusal(op, path, path)
