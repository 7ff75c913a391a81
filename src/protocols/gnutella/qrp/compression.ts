/**
 * The compression port for QRP patches. QRP v1.0 compresses patches with zlib (compressor
 * 0x1), but zlib lives in node:zlib, which sans-IO code may not import. So the servent takes
 * this port: the Node driver passes a node:zlib implementation
 * (src/drivers/gnutella/zlib-compression.ts), the simulator may pass the same (it is pure
 * computation, deterministic), and without one the servent sends uncompressed patches
 * (compressor 0x0) and refuses zlib patches with a fault. `inflate` must stop at
 * `outputBytesMax`: a patch that inflates past the table is a decompression bomb.
 */
import type { Result } from '../../../core/result.js'

export type InflateError = 'malformed' | 'too_large'

export interface QrpCompression {
  deflate(bytes: Uint8Array): Uint8Array
  inflate(bytes: Uint8Array, outputBytesMax: number): Result<Uint8Array, InflateError>
}
