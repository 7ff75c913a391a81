import type { Command } from 'commander'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { JobProgram, JobProgress } from '../../protocols/mapreduce/index.js'
import { planJob } from '../../drivers/mapreduce/job-setup.js'
import { runLocal } from '../../drivers/mapreduce/local.js'
import { MasterDriver } from '../../drivers/mapreduce/master-driver.js'
import { MapReduceWorker } from '../../drivers/mapreduce/worker.js'
import { runDask } from '../../drivers/mapreduce/dask.js'
import { integerOption, portOption } from '../options.js'
import { CliError, printJson, printLine, usageError } from '../output.js'
import { JobProgressDisplay } from './mr-printer.js'

interface JobOptions {
  readonly output: string
  readonly mapper?: string
  readonly reducer?: string
  readonly combiner?: string
  readonly combine?: boolean
  readonly reduces: number
  readonly splitSize?: number
  readonly taskTimeout: number
  readonly heartbeat: number
  readonly backup: boolean
  readonly json?: boolean
}

interface RunOptions extends JobOptions {
  readonly workers: number
  readonly engine: string
  readonly scheduler?: string
}

interface MasterCliOptions extends JobOptions {
  readonly bind: string
  readonly port: number
}

interface WorkerCliOptions {
  readonly master: string
  readonly bind: string
  readonly workDir?: string
  readonly json?: boolean
}

function jobOptions(command: Command): Command {
  return command
    .argument(
      '[job-and-inputs...]',
      'a job module (unless --mapper is given), then input files or folders',
    )
    .requiredOption(
      '-o, --output <dir>',
      'output folder (part-NNNNN files and _SUCCESS); must not exist',
    )
    .option('--mapper <cmd>', 'Hadoop Streaming mapper command (lines on stdin, key<TAB>value out)')
    .option('--reducer <cmd>', 'Hadoop Streaming reducer command (input sorted by key)')
    .option('--combiner <cmd>', 'Hadoop Streaming combiner command')
    .option('--combine', "a module job: run its combine() on each map's output")
    .option(
      '-r, --reduces <n>',
      'reduce tasks (output part files)',
      integerOption('reduces', 1, 100_000),
      1,
    )
    .option('--split-size <bytes>', 'input split size', integerOption('split-size', 1, 2 ** 40))
    .option(
      '--task-timeout <ms>',
      'fail an attempt without progress for this long',
      integerOption('task-timeout', 1, 2 ** 31),
      600_000,
    )
    .option(
      '--heartbeat <ms>',
      'worker heartbeat interval',
      integerOption('heartbeat', 10, 600_000),
      3000,
    )
    .option('--no-backup', 'no backup attempts for stragglers near the end')
    .option('--json', 'print JSON lines instead of text')
}

function programOf(
  args: readonly string[],
  options: JobOptions,
): { program: JobProgram; inputs: string[] } {
  if (options.mapper !== undefined || options.reducer !== undefined) {
    if (options.mapper === undefined || options.reducer === undefined) {
      throw usageError('a Streaming job needs both --mapper and --reducer')
    }
    const program: JobProgram = {
      kind: 'streaming',
      mapper: options.mapper,
      reducer: options.reducer,
      ...(options.combiner === undefined ? {} : { combiner: options.combiner }),
    }
    return { program, inputs: [...args] }
  }
  const [module, ...inputs] = args
  if (module === undefined) throw usageError('give a job module or --mapper and --reducer')
  if (!existsSync(module)) throw usageError(`job module ${module} does not exist`)
  return {
    program: { kind: 'module', module: resolve(module), useCombiner: options.combine === true },
    inputs,
  }
}

function plan(args: readonly string[], options: JobOptions) {
  const { program, inputs } = programOf(args, options)
  if (inputs.length === 0) throw usageError('no input files given')
  try {
    return planJob({
      program,
      inputs,
      output: options.output,
      reduces: options.reduces,
      taskTimeoutMs: options.taskTimeout,
      ...(options.splitSize === undefined ? {} : { splitBytes: options.splitSize }),
    })
  } catch (error) {
    throw new CliError((error as Error).message, 'not_found')
  }
}

function checkFreshOutput(output: string): void {
  if (existsSync(resolve(output, '_SUCCESS')))
    throw new CliError(`output ${output} already holds a finished job`, 'exists')
  if (existsSync(output) && !existsSync(resolve(output, '_temporary', 'master.log'))) {
    throw new CliError(`output ${output} already exists`, 'exists')
  }
}

function endJob(progress: JobProgress, display: JobProgressDisplay, output: string): void {
  display.finish(progress, output)
  if (progress.finished?.succeeded !== true) {
    throw new CliError(
      `job ${progress.jobId} failed: ${progress.finished?.reason ?? 'unknown'}`,
      'job_failed',
    )
  }
}

const terminal = (json: boolean | undefined): NodeJS.WriteStream | undefined =>
  json !== true && process.stderr.isTTY ? process.stderr : undefined

export function registerMr(program: Command): void {
  const mr = program
    .command('mr')
    .description('MapReduce jobs: JS modules or Hadoop Streaming commands')

  jobOptions(
    mr
      .command('run')
      .description('run a job on worker threads of this machine (or on a Dask cluster)'),
  )
    .option('-w, --workers <n>', 'worker threads', integerOption('workers', 1, 256), 2)
    .option('--engine <name>', 'plexus (built in) or dask', 'plexus')
    .option('--scheduler <url>', 'with --engine dask: the scheduler, tcp://HOST:PORT')
    .action(async (args: string[], options: RunOptions) => {
      const { job, splits } = plan(args, options)
      checkFreshOutput(options.output)
      if (options.engine === 'dask') {
        if (options.scheduler === undefined)
          throw usageError('--engine dask needs --scheduler tcp://HOST:PORT')
        const result = await runDask({ job, splits, scheduler: options.scheduler })
        if (options.json === true) printJson({ type: 'summary', engine: 'dask', ...result })
        else printLine(`dask job succeeded in ${result.seconds.toFixed(1)} s: ${job.output}`)
        return
      }
      if (options.engine !== 'plexus') throw usageError(`unknown engine ${options.engine}`)
      const display = new JobProgressDisplay(options.json === true, terminal(options.json))
      let ticker: NodeJS.Timeout | undefined
      const progress = await runLocal({
        job,
        splits,
        workers: options.workers,
        heartbeatMs: options.heartbeat,
        backupTasks: options.backup,
        onEvent: (event) => display.event(event),
        onMaster: (master) => {
          ticker = setInterval(() => display.show(master.progress()), 1000)
        },
      }).finally(() => clearInterval(ticker))
      endJob(progress, display, job.output)
    })

  jobOptions(mr.command('master').description('coordinate a job for workers that connect over TCP'))
    .option('--bind <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0 picks a free one)', portOption, 0)
    .action(async (args: string[], options: MasterCliOptions) => {
      checkFreshOutput(options.output)
      const resuming = existsSync(resolve(options.output, '_temporary', 'master.log'))
      // A resumed master takes the job from its log; the arguments are then not needed.
      const { job, splits } =
        resuming && args.length === 0 ? placeholderJob(options.output) : plan(args, options)
      const display = new JobProgressDisplay(options.json === true, terminal(options.json))
      const master = new MasterDriver({
        bindHost: options.bind,
        port: options.port,
        output: options.output,
        job,
        splits,
        heartbeatMs: options.heartbeat,
        config: { backupTasks: options.backup },
        onEvent: (event) => display.event(event),
      })
      const address = await master.start()
      if (options.json === true)
        printJson({ type: 'listening', address, jobId: master.job.jobId, resumed: master.resumed })
      else
        printLine(
          `master of ${master.job.jobId} listening on ${address}${master.resumed ? ' (resumed from its log)' : ''}`,
        )
      const ticker = setInterval(() => display.show(master.progress()), 1000)
      const progress = await master.done.finally(() => clearInterval(ticker))
      endJob(progress, display, master.job.output)
    })

  mr.command('worker')
    .description('run tasks for a master, serving map outputs to other workers')
    .requiredOption('--master <host:port>', 'the master to work for')
    .option('--bind <addr>', "address of this worker's shuffle server", '127.0.0.1')
    .option('--work-dir <dir>', 'where map outputs are kept (default: a temporary folder)')
    .option('--json', 'print JSON lines instead of text')
    .action(async (options: WorkerCliOptions) => {
      const { mkdtempSync } = await import('node:fs')
      const { tmpdir } = await import('node:os')
      const { join } = await import('node:path')
      const worker = new MapReduceWorker({
        master: options.master,
        bindHost: options.bind,
        workDir: options.workDir ?? mkdtempSync(join(tmpdir(), 'plexus-mr-worker-')),
        exitOnJobEnd: true,
        onEvent: (event) => {
          if (options.json === true) printJson({ ...event, type: `worker_${event.type}` })
        },
      })
      await worker.start()
      if (options.json === true)
        printJson({ type: 'listening', workerId: worker.workerId, address: worker.shuffleAddress })
      else printLine(`worker ${worker.workerId} serving map outputs on ${worker.shuffleAddress}`)
      const result = await worker.done
      await worker.stop()
      if (!result.succeeded)
        throw new CliError(`job ended without success: ${result.reason}`, 'job_failed')
    })
}

/** For a resumed master the log holds the job; this stands in until the log is read. */
function placeholderJob(output: string) {
  return {
    job: {
      jobId: 'resumed',
      program: { kind: 'streaming', mapper: 'cat', reducer: 'cat' } as JobProgram,
      reduces: 1,
      output: resolve(output),
      taskTimeoutMs: 600_000,
    },
    splits: [],
  }
}
