/**
 * Runs jobs one at a time, in the order queued. The peer checks paused torrents' files through
 * one: a daemon restoring hundreds of paused torrents reads their resume data and stats their
 * files one torrent after another, not all at once (descriptors, disk seeks).
 */
export class SerialQueue {
  private readonly waiting: ((release: () => void) => void)[] = []
  private running = false

  /** `job` runs when every job queued before it has called its `release`. */
  run(job: (release: () => void) => void): void {
    this.waiting.push(job)
    if (!this.running) this.next()
  }

  private next(): void {
    const job = this.waiting.shift()
    if (job === undefined) {
      this.running = false
      return
    }
    this.running = true
    let released = false
    job(() => {
      if (released) return
      released = true
      this.next()
    })
  }
}
