import { deflateSync, inflateSync } from 'node:zlib'
import { err, ok } from '../../core/result.js'
import type { QrpCompression } from '../../protocols/gnutella/qrp/compression.js'

/**
 * QRP's zlib (compressor 0x1) through node:zlib, for the servent's compression port. Inflate
 * stops at `outputBytesMax` (`maxOutputLength`), so a patch bomb fails as `too_large` without
 * allocating its output.
 */
export const zlibCompression: QrpCompression = {
  deflate: (bytes) => new Uint8Array(deflateSync(bytes)),
  inflate: (bytes, outputBytesMax) => {
    try {
      return ok(
        new Uint8Array(inflateSync(bytes, { maxOutputLength: Math.max(1, outputBytesMax) })),
      )
    } catch (error) {
      const code = (error as { code?: unknown }).code
      return err(code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : 'malformed')
    }
  },
}
