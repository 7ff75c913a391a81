import type { Address } from '../../core/address.js'
import type { Callback, Env, StreamListener, StreamSocket } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { after, ms } from '../../core/time.js'
import {
  TcpCheckLink,
  type TcpCheckCredentials,
  type TcpCheckEvent,
} from '../../protocols/holepunch/tcp-check.js'

/**
 * ICE-TCP checks (RFC 6544) on an Env's streams (Node sockets or the simulator's), for the
 * `active` and `passive` ends of a pair: the active end connects to the passive candidate and
 * checks; the passive end answers and checks back on the same connection (a triggered check).
 * Either end has a `TcpIceConnection` once both checks succeeded; its datagrams are RFC 4571
 * frames. Simultaneous open needs a connect from a fixed local port, which the Env's Net does
 * not offer: `tcp-simultaneous.ts` does it on Node sockets (see docs/protocols/holepunch.md).
 */
export interface TcpIceConnection {
  readonly socket: StreamSocket
  /** RTT of our own check on this connection. */
  readonly rttMs: number
  /** The controlling end's check carried USE-CANDIDATE (seen by the controlled end). */
  readonly nominated: boolean
  send(bytes: Uint8Array): boolean
  onData(handler: (bytes: Uint8Array) => void): void
  close(): void
}

export interface TcpIceOptions {
  readonly credentials: TcpCheckCredentials
  /** Give up on a connection whose checks have not both succeeded by then. */
  readonly timeoutMs: number
  /** The controlling end nominates with its check (USE-CANDIDATE). */
  readonly nominate?: boolean
}

/** The active end: connects to the remote passive candidate and checks. */
export function connectTcpIce(
  env: Env,
  remote: Address,
  options: TcpIceOptions,
  done: Callback<TcpIceConnection>,
): void {
  env.net.connect(
    remote,
    (connected) => {
      if (!connected.ok) return done(connected)
      run(env, connected.value, options, true, done)
    },
    { timeout: ms(options.timeoutMs) },
  )
}

/**
 * The passive end: listens on `local` (port 0: any) and runs the checks on every connection;
 * `onConnection` gets each that became valid (an invalid one is closed, and not reported).
 */
export function listenTcpIce(
  env: Env,
  local: Address,
  options: TcpIceOptions,
  onConnection: (connection: TcpIceConnection) => void,
  ready: Callback<StreamListener>,
): void {
  env.net.listen(
    local,
    (socket) =>
      run(env, socket, options, false, (result) => {
        if (result.ok) onConnection(result.value)
      }),
    ready,
  )
}

function run(
  env: Env,
  socket: StreamSocket,
  options: TcpIceOptions,
  active: boolean,
  done: Callback<TcpIceConnection>,
): void {
  const link = new TcpCheckLink(env.random, options.credentials, socket.remote)
  let finished = false
  let rttMs = 0
  let nominated = false
  let dataHandler: (bytes: Uint8Array) => void = () => undefined
  const timer = env.clock.setTimer(after(env.clock.now(), ms(options.timeoutMs)), () =>
    fail('timeout', 'the TCP checks did not both succeed in time'),
  )
  const fail = (code: 'timeout' | 'refused' | 'closed', message: string): void => {
    if (finished) return
    finished = true
    env.clock.clearTimer(timer)
    socket.destroy()
    done(err(new OperationalError(code, message)))
  }
  const flush = (): void => {
    for (const bytes of link.takeWrites()) socket.write(bytes)
  }
  const onEvent = (event: TcpCheckEvent): void => {
    switch (event.type) {
      case 'refused':
        return fail('refused', `the other end's check was refused: ${event.reason}`)
      case 'checked':
        nominated = nominated || event.nominated
        // the passive end checks back on the connection it was checked on (triggered check)
        if (!active && !link.succeeded) link.check(env.clock.now(), false)
        break
      case 'succeeded':
        rttMs = event.rttMs
        break
      case 'data':
        return dataHandler(event.bytes)
    }
    if (!finished && link.valid) {
      finished = true
      env.clock.clearTimer(timer)
      done(ok(connection()))
    }
  }
  const connection = (): TcpIceConnection => ({
    socket,
    rttMs,
    nominated,
    send: (bytes) => {
      const sent = link.send(bytes)
      flush()
      return sent
    },
    onData: (handler) => (dataHandler = handler),
    close: () => socket.end(),
  })
  socket.onData((bytes) => {
    link.receive(env.clock.now(), bytes)
    for (const event of link.takeEvents()) onEvent(event)
    flush()
  })
  socket.onClose(() => fail('closed', 'the connection closed before the checks succeeded'))
  if (active) {
    link.check(env.clock.now(), options.nominate === true)
    flush()
  }
}
