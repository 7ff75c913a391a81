/**
 * A minimal tor control-port client (control-spec §2-4) for tests: commands one at a time,
 * their replies as lines, and asynchronous events (650) collected as they arrive. Loopback
 * only, no password (the test network's client runs with `CookieAuthentication 0`).
 */
import { connect, type Socket } from 'node:net'

export class TorControl {
  /** Every asynchronous event line received (without the "650 " prefix). */
  readonly events: string[] = []
  private buffer = ''
  private reply: string[] = []
  private waiting: ((lines: string[]) => void) | undefined
  private readonly queue: Promise<unknown>[] = []

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => this.take(chunk))
  }

  static async open(port: number): Promise<TorControl> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(s))
      s.once('error', reject)
    })
    const control = new TorControl(socket)
    const answer = await control.command('AUTHENTICATE ""')
    if (!answer[0]?.startsWith('250')) throw new Error(`AUTHENTICATE refused: ${answer.join(' ')}`)
    return control
  }

  /** Sends one command; resolves with its reply lines (the last starts with "NNN "). */
  command(line: string): Promise<string[]> {
    const previous = this.queue.at(-1) ?? Promise.resolve()
    const next = previous.then(
      () =>
        new Promise<string[]>((resolve) => {
          this.waiting = resolve
          this.socket.write(`${line}\r\n`)
        }),
    )
    this.queue.push(next)
    return next
  }

  close(): void {
    this.socket.destroy()
  }

  private take(chunk: string): void {
    this.buffer += chunk
    for (let end = this.buffer.indexOf('\r\n'); end >= 0; end = this.buffer.indexOf('\r\n')) {
      const line = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      if (line.startsWith('650')) {
        this.events.push(line.slice(4))
        continue
      }
      this.reply.push(line)
      if (/^\d{3} /.test(line)) {
        const lines = this.reply
        this.reply = []
        const resolve = this.waiting
        this.waiting = undefined
        resolve?.(lines)
      }
    }
  }
}
