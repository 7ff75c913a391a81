/**
 * Output conventions: human text on stdout, diagnostics on stderr, `--json` prints exactly one
 * JSON object per report (or JSON lines for streams of events) on stdout and nothing else there.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`)
}

export function printError(message: string): void {
  process.stderr.write(`plexus: error: ${message}\n`)
}

/** Exit codes: 0 success, 1 the operation failed, 2 misuse (bad arguments). */
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return value >= 100 ? value.toFixed(0) : value.toFixed(2)
}
