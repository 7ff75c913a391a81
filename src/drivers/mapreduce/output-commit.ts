import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  openSync,
  fsyncSync,
  closeSync,
} from 'node:fs'
import { join, relative, resolve, isAbsolute } from 'node:path'

/**
 * The job's output directory, committed the way Hadoop's FileOutputCommitter (algorithm 1) does:
 * reducers write under `_temporary/`, the master renames a finished attempt's file into
 * `_temporary/committed/`, and only when every reduce is committed are the parts moved into the
 * output directory and `_SUCCESS` written (temp name, fsync, rename). A failed job leaves no
 * `part-*` file and no marker in the output directory.
 */
export class OutputDirectory {
  readonly temporary: string
  readonly committed: string

  constructor(readonly path: string) {
    this.temporary = join(path, '_temporary')
    this.committed = join(this.temporary, 'committed')
  }

  get logPath(): string {
    return join(this.temporary, 'master.log')
  }

  get succeeded(): boolean {
    return existsSync(join(this.path, '_SUCCESS'))
  }

  prepare(): void {
    mkdirSync(this.committed, { recursive: true })
  }

  /** Renames a reduce attempt's file (which must lie under `_temporary/`) to its committed name. */
  commit(tempPath: string, partName: string): void {
    const inside = relative(this.temporary, resolve(tempPath))
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new Error(`refusing to commit ${tempPath}: not under ${this.temporary}`)
    }
    renameSync(tempPath, join(this.committed, partName))
  }

  /** Moves every committed part into place, then writes `_SUCCESS`; safe to repeat after a crash. */
  finishSucceeded(parts: readonly string[]): void {
    for (const part of parts) {
      const from = join(this.committed, part)
      if (existsSync(from)) renameSync(from, join(this.path, part))
      else if (!existsSync(join(this.path, part)))
        throw new Error(`committed output ${part} is missing`)
    }
    const marker = join(this.temporary, '_SUCCESS.tmp')
    writeFileSync(marker, '')
    const fd = openSync(marker, 'r')
    fsyncSync(fd)
    closeSync(fd)
    renameSync(marker, join(this.path, '_SUCCESS'))
    syncDirectory(this.path)
  }

  /** After success: the temporary tree (attempt files, the log) goes, as Hadoop's cleanup does. */
  removeTemporary(): void {
    // A killed backup attempt may still be writing: retry while its files come and go.
    rmSync(this.temporary, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })
  }

  /** After failure: attempt outputs and committed parts go; the log stays for diagnosis. */
  removeAttempts(): void {
    for (const entry of readdirSync(this.temporary)) {
      if (entry !== 'master.log')
        rmSync(join(this.temporary, entry), { recursive: true, force: true })
    }
  }
}

function syncDirectory(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
