import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../../subgraphs/kit/logger.js';
import { readAccessPolicy, type AccessPolicy } from './authorization.js';
import { readDemandPolicy, type DemandPolicy } from './cost.js';

/** A supergraph file read, validated and split into what the gateway runs, its access policy and its lists' sizes. */
export interface LoadedSupergraph {
  executableSdl: string;
  policy: AccessPolicy;
  demand: DemandPolicy;
  subgraphs: string[];
}

interface Policies {
  access: AccessPolicy;
  demand: DemandPolicy;
}

/** Reads and validates a supergraph file; the error says what is wrong in one sentence. */
export async function loadSupergraphFile(file: string): Promise<LoadedSupergraph> {
  let sdl: string;
  try {
    sdl = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the supergraph at ${file}: ${(error as Error).message}. Run \`npm run compose\`.`);
  }
  try {
    const { policy, executableSdl } = readAccessPolicy(sdl);
    const supergraph = Supergraph.build(executableSdl);
    return { executableSdl, policy, demand: readDemandPolicy(sdl), subgraphs: supergraph.subgraphsMetadata().map((s) => s.name) };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new Error(`The supergraph at ${file} is not valid: ${reason}`);
  }
}

/**
 * Supplies the gateway's supergraph from a file and swaps in a new one, with its policies,
 * when the file changes or on `reload()` (SIGHUP). A file that does not read or validate is
 * refused with a log line and the supergraph being served stays. Each API schema the gateway
 * builds is paired with the policies (access, list sizes) read from the same file, so a request
 * is always checked against those of the schema it runs on, even while a reload happens under it.
 */
export class SupergraphSource {
  private update?: (sdl: string) => void;
  private pendingPolicy?: Policies;
  private readonly policies = new WeakMap<GraphQLSchema, Policies>();
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private reloading = Promise.resolve();
  private served?: string;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** The hook handed to `ApolloGateway({ supergraphSdl })`. */
  readonly hook: SupergraphSdlHook = async ({ update }) => {
    const loaded = await loadSupergraphFile(this.file);
    this.update = update;
    this.pendingPolicy = { access: loaded.policy, demand: loaded.demand };
    this.served = loaded.executableSdl;
    this.watchFile();
    return { supergraphSdl: loaded.executableSdl, cleanup: async () => this.close() };
  };

  /** Called by the gateway's `onSchemaLoadOrUpdate`, synchronously inside `update`. */
  schemaLoaded(apiSchema: GraphQLSchema): void {
    // Stryker disable next-line ConditionalExpression: storing "no policy" reads back as no policy
    if (this.pendingPolicy) this.policies.set(apiSchema, this.pendingPolicy);
  }

  policyFor(schema: GraphQLSchema): AccessPolicy | undefined {
    return this.policies.get(schema)?.access;
  }

  demandFor(schema: GraphQLSchema): DemandPolicy | undefined {
    return this.policies.get(schema)?.demand;
  }

  /** Reads the file again; resolves true when a new supergraph is being served. Never throws. */
  reload(trigger: 'file' | 'signal'): Promise<boolean> {
    const next = this.reloading.then(() => this.reloadNow(trigger));
    this.reloading = next.then(() => undefined);
    return next;
  }

  close(): void {
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async reloadNow(trigger: 'file' | 'signal'): Promise<boolean> {
    if (!this.update) return false;
    let loaded: LoadedSupergraph;
    try {
      loaded = await loadSupergraphFile(this.file);
    } catch (error) {
      this.logger.error({ trigger, reason: (error as Error).message }, 'supergraph refused; still serving the previous one');
      return false;
    }
    if (loaded.executableSdl === this.served) {
      this.logger.info({ trigger }, 'supergraph unchanged');
      return false;
    }
    const previous = this.pendingPolicy;
    this.pendingPolicy = { access: loaded.policy, demand: loaded.demand };
    try {
      this.update(loaded.executableSdl);
    } catch (error) {
      this.pendingPolicy = previous;
      this.logger.error({ trigger, reason: (error as Error).message }, 'supergraph refused by the gateway; still serving the previous one');
      return false;
    }
    this.served = loaded.executableSdl;
    this.logger.info({ trigger, file: this.file, subgraphs: loaded.subgraphs }, 'supergraph loaded');
    return true;
  }

  /** Watches the folder, not the file: deploy tools and editors replace a file by renaming over it. */
  private watchFile(): void {
    if (this.watcher) return;
    const name = path.basename(this.file);
    try {
      this.watcher = watch(path.dirname(this.file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(this.debounce);
        // A write arrives as several events; read once it has settled.
        this.debounce = setTimeout(() => void this.reload('file'), 200);
      });
      // Stryker disable next-line all: a watch failure (inotify limits) cannot be caused from a test; SIGHUP still works
      this.watcher.on('error', (error) => this.logger.warn({ reason: error.message }, 'supergraph file watch failed; reload with SIGHUP'));
      // Stryker disable next-line all: as above, for a watch that cannot start
    } catch (error) {
      // Stryker disable next-line all: as above
      this.logger.warn({ reason: (error as Error).message }, 'cannot watch the supergraph file; reload with SIGHUP');
    }
  }
}
