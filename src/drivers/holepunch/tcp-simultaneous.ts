import { connect, type Socket } from 'node:net'

export interface TcpPunchOptions {
  /** The local address and the fixed port both SYNs must use (the NAT maps it to the remote). */
  readonly localAddress: string
  readonly localPort: number
  /** The other peer's public (NAT-mapped) endpoint, from signalling. */
  readonly remote: { readonly host: string; readonly port: number }
  readonly timeoutMs: number
  /** Pause between attempts when one fails fast (refused, reset). */
  readonly retryMs?: number
}

/**
 * TCP simultaneous open (RFC 9293 section 3.5, figure 8) through two NATs: both peers connect
 * from a fixed local port to each other's mapped endpoint at about the same time. Each SYN
 * leaving a NAT opens its mapping for the other's SYN; the SYN that arrives first may be
 * dropped, and the kernel's SYN retransmission then gets through. Works where the NAT keeps the
 * port (endpoint-independent mapping: Linux masquerade when the port is free) and lets a SYN
 * in on an outbound flow's mapping; not through a symmetric NAT (the remote's port is unknown).
 * Resolves with the connected socket, rejects at the deadline.
 */
export function tcpSimultaneousOpen(options: TcpPunchOptions): Promise<Socket> {
  const deadline = Date.now() + options.timeoutMs
  const retryMs = options.retryMs ?? 200
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const socket = connect({
        host: options.remote.host,
        port: options.remote.port,
        localAddress: options.localAddress,
        localPort: options.localPort,
      })
      const left = deadline - Date.now()
      socket.setTimeout(Math.max(left, 1))
      socket.once('connect', () => {
        socket.setTimeout(0)
        resolve(socket)
      })
      socket.once('timeout', () => socket.destroy(new Error('timeout')))
      socket.once('error', (error) => {
        socket.destroy()
        if (Date.now() + retryMs >= deadline) reject(error)
        else setTimeout(attempt, retryMs)
      })
    }
    attempt()
  })
}
