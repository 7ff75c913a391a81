/**
 * Hadoop's default partitioner for text keys, bit for bit, so that a job's keys land in the same
 * `part-NNNNN` file here and on a Hadoop cluster:
 *
 *   HashPartitioner.getPartition = (key.hashCode() & Integer.MAX_VALUE) % numReduceTasks
 *   Text.hashCode() = WritableComparator.hashBytes(utf8, length):
 *     hash = 1; for each byte b (signed, -128..127): hash = 31 * hash + b   (32-bit wrap-around)
 *
 * The key is the part of a map output line before its first TAB (the whole line when it has
 * none), taken as UTF-8 bytes.
 */

/** Java's `Text.hashCode()` of the key's UTF-8 bytes. */
export function textHashCode(keyUtf8: Uint8Array): number {
  let hash = 1
  for (let i = 0; i < keyUtf8.length; i++) {
    const unsigned = keyUtf8[i] as number
    const signed = unsigned > 127 ? unsigned - 256 : unsigned
    hash = (Math.imul(31, hash) + signed) | 0
  }
  return hash
}

/** The reduce partition of a key among `reduces` partitions. */
export function hashPartition(keyUtf8: Uint8Array, reduces: number): number {
  return (textHashCode(keyUtf8) & 0x7fffffff) % reduces
}
