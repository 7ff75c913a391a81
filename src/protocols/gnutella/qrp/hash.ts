/**
 * The QRP hash of Query Routing v1.0 (Rohrs 2002), section 3 and its appendix: lower-case the
 * characters, XOR their low bytes into a 32-bit word as little-endian groups of four (byte i
 * goes to bits 8*(i mod 4)), multiply by 0x4F1BBCDC and keep the top `bits` bits of the low 32
 * bits of the product. The appendix examples are pinned in hash.test.ts.
 */
const A_INT = 0x4f1bbcdc

/** hashFast of the spec: the top `bits` bits of the low 32 bits of x * A_INT. */
export function hashFast(x: number, bits: number): number {
  return (Math.imul(x, A_INT) >>> 0) >>> (32 - bits)
}

/** Java's Character.toLowerCase on one UTF-16 unit, then its low byte (as the spec's code). */
function lowerByte(unit: number): number {
  if (unit >= 0x41 && unit <= 0x5a) return unit + 32
  if (unit < 0x80) return unit
  const lower = String.fromCharCode(unit).toLowerCase()
  return (lower.length === 1 ? lower.charCodeAt(0) : unit) & 0xff
}

/** The slot of `text` in a table of 2^bits entries (1 <= bits <= 32). */
export function qrpHash(text: string, bits: number, start = 0, end = text.length): number {
  let xor = 0
  let shift = 0
  for (let i = start; i < end; i++) {
    xor ^= lowerByte(text.charCodeAt(i)) << shift
    shift = (shift + 8) & 31
  }
  return hashFast(xor, bits)
}

/** log2 of a power-of-two table length. */
export function tableBits(length: number): number {
  return 31 - Math.clz32(length)
}
