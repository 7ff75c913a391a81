import { attemptName, type JobProgress, type MasterEvent } from '../../protocols/mapreduce/index.js'
import { printJson, printLine } from '../output.js'
import { formatEta } from '../progress.js'

/** Plain progress lines (stdout not a terminal) at most this often. */
const PLAIN_EVERY_MS = 5_000

const percent = (done: number, total: number): number =>
  total === 0 ? 100 : Math.floor((100 * done) / total)

/** `map 100% reduce 40% | attempts 14 (1 failed, 2 killed) | workers 4 | eta 00:12` */
export function progressText(progress: JobProgress): string {
  const eta = progress.etaMs === undefined ? undefined : progress.etaMs / 1000
  return (
    `map ${percent(progress.maps.committed, progress.maps.total)}% ` +
    `reduce ${percent(progress.reduces.committed, progress.reduces.total)}% | ` +
    `attempts ${progress.attemptsStarted} (${progress.attemptsFailed} failed, ${progress.attemptsKilled} killed) | ` +
    `workers ${progress.workers} | eta ${formatEta(eta)}`
  )
}

/** JSON form of progress: the `progress` object of docs/cli.md's vocabulary, for a job. */
export function progressJson(progress: JobProgress): Record<string, unknown> {
  return {
    type: 'progress',
    jobId: progress.jobId,
    mapPercent: percent(progress.maps.committed, progress.maps.total),
    reducePercent: percent(progress.reduces.committed, progress.reduces.total),
    maps: progress.maps,
    reduces: progress.reduces,
    attemptsStarted: progress.attemptsStarted,
    attemptsFailed: progress.attemptsFailed,
    attemptsKilled: progress.attemptsKilled,
    workers: progress.workers,
    counters: progress.counters,
    elapsedMs: Math.round(progress.elapsedMs),
    etaMs: progress.etaMs,
  }
}

/** A master event as a JSON line: the event's own fields, attempts named as Hadoop names them. */
export function eventJson(event: MasterEvent): Record<string, unknown> {
  if ('attempt' in event) return { ...event, attempt: attemptName(event.attempt) }
  return { ...event }
}

export function eventText(event: MasterEvent): string | undefined {
  switch (event.type) {
    case 'task_failed':
      return `${attemptName(event.attempt)} on ${event.workerId}: ${event.reason}`
    case 'worker_lost':
      return `worker ${event.workerId} lost; ${event.requeued} task(s) to run again`
    case 'map_output_lost':
      return `map output m_${String(event.task).padStart(6, '0')} lost: ${event.reason}`
    default:
      return undefined
  }
}

/** Redraws one line on a terminal, else a plain line every few seconds; JSON lines under --json. */
export class JobProgressDisplay {
  private lastPlainAt = -Infinity

  constructor(
    private readonly json: boolean,
    private readonly terminal: NodeJS.WriteStream | undefined,
  ) {}

  event(event: MasterEvent): void {
    if (this.json) return printJson(eventJson(event))
    const text = eventText(event)
    if (text === undefined) return
    if (this.terminal !== undefined) this.terminal.write('\r\x1b[K')
    process.stderr.write(`${text}\n`)
  }

  show(progress: JobProgress): void {
    if (this.json) return printJson(progressJson(progress))
    if (this.terminal !== undefined) {
      this.terminal.write(
        `\r${progressText(progress).slice(0, (this.terminal.columns ?? 80) - 1)}\x1b[K`,
      )
      return
    }
    const now = performance.now()
    if (now - this.lastPlainAt < PLAIN_EVERY_MS) return
    this.lastPlainAt = now
    printLine(progressText(progress))
  }

  finish(progress: JobProgress, output: string): void {
    if (this.json) {
      printJson({
        type: 'summary',
        jobId: progress.jobId,
        succeeded: progress.finished?.succeeded === true,
        reason: progress.finished?.reason,
        output,
        seconds: progress.elapsedMs / 1000,
        attemptsStarted: progress.attemptsStarted,
        attemptsFailed: progress.attemptsFailed,
        attemptsKilled: progress.attemptsKilled,
        counters: progress.counters,
      })
      return
    }
    if (this.terminal !== undefined) this.terminal.write(`\r${progressText(progress)}\x1b[K\n`)
    else printLine(progressText(progress))
    if (progress.finished?.succeeded !== true) return
    printLine(
      `job ${progress.jobId} succeeded in ${(progress.elapsedMs / 1000).toFixed(1)} s: ${output}`,
    )
    for (const [name, value] of Object.entries(progress.counters).sort())
      printLine(`  ${name}=${value}`)
  }
}
