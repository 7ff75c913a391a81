import { createSocket } from 'node:dgram'

/**
 * The far end of the relay benchmark (bench/relay.ts): a UDP echo on 127.0.0.1 in a process of
 * its own, as a peer on another host would be. It answers every datagram to its sender, prints
 * `{"type":"listening","port":N}` once bound, and runs until SIGTERM.
 */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
const socket = createSocket('udp4')
socket.on('message', (bytes, from) => socket.send(bytes, from.port, from.address))
socket.on('error', (error) => process.stderr.write(`udp echo: ${error.message}\n`))
socket.bind(0, '127.0.0.1', () => {
  // Room for every window the bench tries: a full socket queue would count as the path's loss.
  socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES)
  process.stdout.write(`${JSON.stringify({ type: 'listening', port: socket.address().port })}\n`)
})
process.once('SIGTERM', () => socket.close(() => process.exit(0)))
