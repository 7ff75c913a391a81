import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import {
  countRecords,
  formatGroups,
  sortGroups,
  sortKeys,
  type Group,
  type KeyGroups,
  type Split,
} from '../../protocols/mapreduce/index.js'
import { readSplit } from './input-reader.js'
import { COUNTER, addCount, type Program, type TaskContext } from './program.js'

/** Where a map attempt keeps its partitions on the worker: `<workDir>/<job>/m<task>_<attempt>/`. */
export const mapOutputDir = (
  workDir: string,
  jobId: string,
  task: number,
  attempt: number,
): string => join(workDir, safeName(jobId), `m${task}_${attempt}`)

export const mapPartitionPath = (dir: string, partition: number): string =>
  join(dir, `part-${partition}`)

/** A job id comes from the master: keep it to one harmless path component. */
export const safeName = (text: string): string =>
  text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || '_'

export interface MapResult {
  readonly partitionBytes: number[]
  readonly partitionCrc: number[]
}

/**
 * Runs one map attempt: reads its split, maps it, partitions the records, sorts each partition
 * (and runs the combiner over it) and writes the partitions to the worker's disk, where its
 * shuffle server serves them to the reducers.
 */
export async function runMapTask(
  program: Program,
  split: Split,
  reduces: number,
  dir: string,
  context: TaskContext,
): Promise<MapResult> {
  const input = await readSplit(split)
  addCount(context.counters, COUNTER.mapInputRecords, countLines(input))
  const groups: KeyGroups = new Map()
  await program.map(input, groups, context)
  // Partitioned by distinct key: the partitioner runs once per key, not once per record.
  const partitions: Group[][] = Array.from({ length: reduces }, () => [])
  for (const group of groups)
    (partitions[program.partition(group[0], reduces)] as Group[]).push(group)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const partitionBytes: number[] = []
  const partitionCrc: number[] = []
  for (let partition = 0; partition < reduces; partition++) {
    const own = partitions[partition] as Group[]
    let sorted: Group[]
    if (program.combine !== undefined && own.length > 0) {
      sorted = sortGroups([...(await program.combine(sortKeys(own), context))])
      addCount(context.counters, COUNTER.combineOutputRecords, countRecords(sorted))
    } else sorted = sortGroups(own)
    const bytes = Buffer.from(formatGroups(sorted))
    await writeFile(mapPartitionPath(dir, partition), bytes)
    partitionBytes.push(bytes.length)
    partitionCrc.push(crc32(bytes))
    addCount(context.counters, COUNTER.mapOutputMaterializedBytes, bytes.length)
  }
  return { partitionBytes, partitionCrc }
}

function countLines(bytes: Buffer): number {
  let count = 0
  let index = bytes.indexOf(0x0a)
  while (index >= 0) {
    count++
    index = bytes.indexOf(0x0a, index + 1)
  }
  return count
}
