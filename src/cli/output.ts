/**
 * Output conventions: human text on stdout, diagnostics on stderr, `--json` prints exactly one
 * JSON object per report (or JSON lines for streams of events) on stdout and nothing else there.
 * Under `--json` an error is one JSON object on stderr: `{"type":"error","code":…,"message":…}`.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`)
}

/** Set once by main from the command line: errors then go out as JSON objects. */
let jsonErrors = false

export function useJsonErrors(enabled: boolean): void {
  jsonErrors = enabled
}

/** One line on stderr: `plexus: error: …`, or the JSON error object under `--json`. */
export function printError(message: string, code = 'failed'): void {
  if (jsonErrors) {
    process.stderr.write(`${JSON.stringify({ type: 'error', code, message })}\n`)
  } else process.stderr.write(`plexus: error: ${message}\n`)
}

/** A warning that does not end the command (stderr; JSON under `--json`). */
export function printWarning(message: string, code = 'warning'): void {
  if (jsonErrors) {
    process.stderr.write(`${JSON.stringify({ type: 'warning', code, message })}\n`)
  } else process.stderr.write(`plexus: warning: ${message}\n`)
}

/**
 * Exit codes, the same for every command (docs/cli.md):
 * 0 the command did its job (a server stopped by a signal counts: stopping is its end),
 * 1 it failed (a fatal condition: port in use, no such address, disk full, unwritable folder,
 *   a download that did not complete), 2 misuse (bad arguments), 130 interrupted before it was
 *   done (Ctrl-C or SIGTERM during a download or a one-shot command).
 */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
export const EXIT_INTERRUPTED = 130

/**
 * A condition that ends the command: main prints `message` as one line (or JSON) and exits
 * with `exitCode` at once, whatever handles are still open.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 'failed',
    readonly exitCode = EXIT_FAILURE,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** Misuse: a bad argument the user can fix (exit 2). */
export const usageError = (message: string): CliError => new CliError(message, 'usage', EXIT_USAGE)

export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return value >= 100 ? value.toFixed(0) : value.toFixed(2)
}
