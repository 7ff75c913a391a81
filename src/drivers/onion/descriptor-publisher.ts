/**
 * Keeps a plexus relay listed: uploads its server descriptor to every directory authority
 * when the relay starts, again on a fixed period, and sooner after an upload that not every
 * authority accepted.
 *
 * Why republish at all: an authority forgets a descriptor once it is old, and the consensus
 * then drops the relay. dir-spec ("Uploading server descriptors and extra-info documents")
 * has a relay generate and upload a new descriptor when 18 hours have passed since the last,
 * when a field other than bandwidth or uptime changed, and when it restarts. plexus does the
 * first and the last; nothing else in a plexus descriptor changes while it runs. The spec's
 * other triggers (bandwidth doubled, "not listed in a consensus") need a measured bandwidth
 * and a consensus fetch the relay does not do. A refused or failed upload is retried after
 * `retryMs` (an authority that was restarting, or an unreachable DirPort).
 */
import type { Log } from '../../core/env.js'
import { publishDescriptor, type DescriptorOptions, type UploadAnswer } from './relay-descriptor.js'
import type { RelayKeys } from './relay-keys.js'

/** tor's longest interval between two uploads of one relay's descriptor. */
export const REPUBLISH_EVERY_MS = 18 * 3_600_000
/** How soon an upload that an authority did not accept is tried again. */
export const RETRY_AFTER_MS = 60_000

export interface AuthorityDirPort {
  readonly host: string
  readonly dirPort: number
}

export interface PublisherOptions {
  readonly authorities: readonly AuthorityDirPort[]
  readonly descriptor: Omit<DescriptorOptions, 'publishedMs' | 'uptimeSeconds'>
  readonly everyMs?: number
  readonly retryMs?: number
  readonly log: Log
  /** Hears every round of uploads (tests, the CLI's JSON lines). */
  readonly onUpload?: (answers: readonly UploadAnswer[]) => void
}

export class DescriptorPublisher {
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private readonly startedMs = Date.now()
  /** Rounds of uploads done so far. */
  rounds = 0

  constructor(
    private readonly keys: RelayKeys,
    private readonly options: PublisherOptions,
  ) {}

  /** Uploads now; later rounds follow on their own until `close`. */
  async publish(): Promise<readonly UploadAnswer[]> {
    const nowMs = Date.now()
    const { answers } = await publishDescriptor(
      this.keys,
      { ...this.options.descriptor, uptimeSeconds: Math.floor((nowMs - this.startedMs) / 1000) },
      this.options.authorities,
      nowMs,
    )
    this.rounds += 1
    const refused = answers.filter((answer) => answer.status !== 200)
    for (const answer of refused)
      this.options.log.log('warn', 'an authority did not accept the descriptor', {
        dirPort: answer.dirPort,
        status: answer.status,
        reason: answer.reason,
      })
    this.options.log.log('info', 'descriptor uploaded', {
      accepted: answers.length - refused.length,
      authorities: answers.length,
    })
    this.options.onUpload?.(answers)
    this.schedule(
      refused.length === 0
        ? (this.options.everyMs ?? REPUBLISH_EVERY_MS)
        : (this.options.retryMs ?? RETRY_AFTER_MS),
    )
    return answers
  }

  close(): void {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(delayMs: number): void {
    if (this.closed) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.publish()
    }, delayMs)
    // The relay's listening socket keeps the process alive; the next upload must not.
    this.timer.unref()
  }
}
