import { CommanderError } from 'commander'
import { OperationalError } from '../core/errors.js'
import { CliError, EXIT_FAILURE } from './output.js'

/** What the user reads for an errno we know the cause of, and the code `--json` reports. */
const KNOWN_ERRNO: Readonly<Record<string, { readonly code: string; readonly hint: string }>> = {
  EADDRINUSE: { code: 'address_in_use', hint: 'pick another --port' },
  EADDRNOTAVAIL: {
    code: 'address_not_available',
    hint: 'this machine has no such address (check --bind)',
  },
  ENOSPC: { code: 'no_space', hint: 'free some space and run again: verified pieces are kept' },
  EACCES: { code: 'permission', hint: 'check the permissions' },
  EPERM: { code: 'permission', hint: 'check the permissions' },
  EROFS: { code: 'permission', hint: 'the file system is read-only' },
  ENOTDIR: { code: 'not_a_directory', hint: 'a part of the path is a file' },
  EMFILE: { code: 'too_many_files', hint: 'raise the open-file limit (ulimit -n)' },
}

function errnoOf(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string' && code in KNOWN_ERRNO) return code
    const inMessage = /\b(E[A-Z]{3,})\b/.exec(e.message)?.[1]
    if (inMessage !== undefined && inMessage in KNOWN_ERRNO) return inMessage
  }
  return undefined
}

export interface Fatal {
  readonly message: string
  readonly code: string
  readonly exitCode: number
}

/** Any error that ended a command, as one line, a stable code and the documented exit code. */
export function describeFatal(error: unknown): Fatal {
  if (error instanceof CliError) {
    return { message: error.message, code: error.code, exitCode: error.exitCode }
  }
  if (error instanceof CommanderError) {
    return { message: error.message, code: 'usage', exitCode: error.exitCode }
  }
  const message = error instanceof Error ? error.message : String(error)
  const errno = errnoOf(error)
  if (errno !== undefined) {
    const known = KNOWN_ERRNO[errno] as { code: string; hint: string }
    return { message: `${message}; ${known.hint}`, code: known.code, exitCode: EXIT_FAILURE }
  }
  const code = error instanceof OperationalError ? error.code : 'failed'
  return { message, code, exitCode: EXIT_FAILURE }
}
