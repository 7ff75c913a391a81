/**
 * RC4, as MSE/PE uses it (keys of 20 bytes, the first 1024 bytes of keystream discarded).
 * Written out here because Node's OpenSSL 3 keeps RC4 in the legacy provider, which is not
 * loaded (`createCipheriv('rc4')` throws "unsupported"), and because the simulator must run
 * the same code: it is pure computation, so it needs no Env port.
 */
export class Rc4 {
  private readonly s = new Uint8Array(256)
  private i = 0
  private j = 0

  constructor(key: Uint8Array, discard = 0) {
    const s = this.s
    for (let k = 0; k < 256; k++) s[k] = k
    let j = 0
    for (let k = 0; k < 256; k++) {
      j = (j + (s[k] as number) + (key[k % key.length] as number)) & 0xff
      const t = s[k] as number
      s[k] = s[j] as number
      s[j] = t
    }
    if (discard > 0) this.apply(new Uint8Array(discard))
  }

  /** XORs the next keystream bytes into `bytes` in place and returns it. */
  apply(bytes: Uint8Array): Uint8Array {
    const s = this.s
    let i = this.i
    let j = this.j
    for (let k = 0; k < bytes.length; k++) {
      i = (i + 1) & 0xff
      const si = s[i] as number
      j = (j + si) & 0xff
      const sj = s[j] as number
      s[i] = sj
      s[j] = si
      bytes[k] = (bytes[k] as number) ^ (s[(si + sj) & 0xff] as number)
    }
    this.i = i
    this.j = j
    return bytes
  }

  /** A new array: `bytes` XOR the next keystream bytes. */
  transform(bytes: Uint8Array): Uint8Array {
    return this.apply(Uint8Array.from(bytes))
  }
}
