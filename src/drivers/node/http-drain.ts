import type { FastifyInstance } from 'fastify'

/**
 * Largest refused body a server still reads (and discards) so its client can hear the 413.
 * Beyond it the connection is closed at once: reading gigabytes to be polite is an attack
 * surface.
 */
export const DRAIN_BYTES_MAX = 64 * 1024 * 1024

/**
 * A body declared over the limit is refused by Fastify before a byte of it is read, with
 * `connection: close`. Node then closes the socket right after the answer while the client is
 * still sending, and a client that writes the whole body before it reads (undici's `fetch`,
 * most HTTP libraries) fails with EPIPE or ECONNRESET instead of seeing the 413. Like nginx's
 * lingering close, the server instead keeps the connection, lets Node read the unread body off
 * the wire and discard it, and the answer reaches the client. Only for a declared length up to
 * `DRAIN_BYTES_MAX` whose body nothing has read yet: a chunked body cut off mid-way has no
 * known end, so it still closes.
 */
export function drainRefusedBodies(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode !== 413 || request.raw.readableDidRead) return done(null, payload)
    const declared = Number(request.headers['content-length'])
    if (Number.isSafeInteger(declared) && declared <= DRAIN_BYTES_MAX) {
      reply.removeHeader('connection')
    }
    done(null, payload)
  })
}
