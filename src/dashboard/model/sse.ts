/** One server-sent event: its `event:` name (default "message") and its joined `data:` lines. */
export interface ServerEvent {
  readonly event: string
  readonly data: string
}

/**
 * An incremental text/event-stream parser (the WHATWG rules the daemon's stream uses: fields
 * `event` and `data`, a blank line ends an event, `:` lines are comments). The dashboard reads
 * the stream with fetch, not EventSource, because EventSource cannot send the bearer header.
 */
export class SseParser {
  private buffer = ''
  private event = ''
  private data: string[] = []

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): ServerEvent[] {
    this.buffer += text
    const done: ServerEvent[] = []
    let newline: number
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline)
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (width === 1 && this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break
      this.buffer = this.buffer.slice(newline + width)
      const completed = this.line(line)
      if (completed !== undefined) done.push(completed)
    }
    return done
  }

  private line(line: string): ServerEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = ''
        return undefined
      }
      const completed = { event: this.event || 'message', data: this.data.join('\n') }
      this.event = ''
      this.data = []
      return completed
    }
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.event = value
    else if (field === 'data') this.data.push(value)
    return undefined
  }
}
