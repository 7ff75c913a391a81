/**
 * JSON schemas of the MapReduce routes (/api/v1/mapreduce...), in the pattern of schemas.ts:
 * Fastify validates requests and serialises answers with them, and docs/openapi.json is built
 * from them. `mapreduceSchemas` are registered by the routes themselves.
 */
import { answersOver, integer, pluginRefusals, ref, string } from './schema-parts.js'

const refusals = pluginRefusals('mapreduce')
const withRefusals = answersOver(refusals)

const phase = {
  type: 'object',
  required: ['total', 'committed', 'running'],
  properties: { total: integer, committed: integer, running: integer },
} as const

export const mapreduceJobSchema = {
  $id: 'MapReduceJob',
  type: 'object',
  description: 'a Hadoop Streaming job run by the daemon in local mode',
  required: ['id', 'state', 'mapper', 'reducer', 'inputs', 'output', 'reduces', 'submittedAt'],
  properties: {
    id: string,
    state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
    mapper: string,
    reducer: string,
    combiner: string,
    inputs: { type: 'array', items: string },
    output: { type: 'string', description: 'absolute; part-NNNNN files and _SUCCESS once done' },
    reduces: integer,
    submittedAt: { ...integer, description: 'unix milliseconds' },
    maps: phase,
    reducesProgress: phase,
    percent: { type: 'number', description: 'map and reduce phases weighed equally, as Hadoop' },
    attemptsStarted: integer,
    attemptsFailed: integer,
    attemptsKilled: integer,
    workers: { ...integer, description: 'workers connected to its master now' },
    counters: { type: 'object', additionalProperties: { type: 'number' } },
    elapsedMs: integer,
    etaMs: integer,
    error: { type: 'string', description: 'why it failed or was cancelled' },
  },
} as const

export const mapreduceSchemas = [mapreduceJobSchema] as const

export const mapreduceStatusSchema = {
  tags: ['mapreduce'],
  summary: 'Whether MapReduce runs here: jobs queued, worker threads, the worker plug-in',
  response: {
    200: {
      type: 'object',
      required: ['enabled'],
      properties: {
        enabled: { type: 'boolean' },
        workers: integer,
        queued: integer,
        jobs: integer,
        worker: {
          type: 'object',
          description: 'this node as a worker of a remote master ([mapreduce] master)',
          additionalProperties: true,
        },
      },
    },
    401: refusals[401],
  },
} as const

export const submitJobSchema = {
  tags: ['mapreduce'],
  summary: 'Queue a Hadoop Streaming job (commands run as the daemon user)',
  body: {
    type: 'object',
    required: ['mapper', 'reducer', 'inputs', 'output'],
    additionalProperties: false,
    properties: {
      mapper: { type: 'string', minLength: 1, maxLength: 4096 },
      reducer: { type: 'string', minLength: 1, maxLength: 4096 },
      combiner: { type: 'string', minLength: 1, maxLength: 4096 },
      inputs: {
        type: 'array',
        minItems: 1,
        maxItems: 1000,
        items: { type: 'string', minLength: 1, maxLength: 4096 },
      },
      output: { type: 'string', minLength: 1, maxLength: 4096 },
      reduces: { type: 'integer', minimum: 1, maximum: 1000 },
      splitBytes: { type: 'integer', minimum: 1024, maximum: 1024 * 1024 * 1024 },
    },
  },
  response: withRefusals({
    201: ref('MapReduceJob'),
    404: { description: 'an input does not exist', ...ref('Error') },
    422: { description: 'the output exists, or the inputs hold no file', ...ref('Error') },
  }),
} as const

export const listJobsSchema = {
  tags: ['mapreduce'],
  summary: 'Jobs, newest first (the last 100 finished are kept)',
  response: withRefusals({
    200: {
      type: 'object',
      required: ['jobs'],
      properties: { jobs: { type: 'array', items: ref('MapReduceJob') } },
    },
  }),
} as const

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const

export const getJobSchema = {
  tags: ['mapreduce'],
  summary: 'One job: progress per phase, attempts, counters and ETA',
  params: idParams,
  response: withRefusals({
    200: ref('MapReduceJob'),
    404: { description: 'no such job', ...ref('Error') },
  }),
} as const

export const cancelJobSchema = {
  tags: ['mapreduce'],
  summary: 'Cancel a queued job or abort a running one (its output keeps the master log)',
  params: idParams,
  response: withRefusals({
    200: ref('MapReduceJob'),
    404: { description: 'no such job', ...ref('Error') },
    422: { description: 'the job has already finished', ...ref('Error') },
  }),
} as const
