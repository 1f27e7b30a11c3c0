/**
 * A key file that may change while the process runs (key rotation): read at start, then looked at
 * again at most once per `checkEveryMs` when used, and re-read when its size, time or inode
 * changed. A file that no longer parses is not taken: the keys read last stay in force until the
 * file is fixed, and the error is reported once per change.
 *
 * The look is a synchronous stat (microseconds on a local file): done through the thread pool,
 * every request that came during a look waited for it, 0.3–0.6 s under the bench's load.
 */
import { readFileSync, statSync } from 'node:fs';

export const KEY_FILE_CHECK_MS = 1000;

export interface WatchedFileOptions {
  checkEveryMs?: number;
  /** Told when a changed file is refused (the previous contents stay in force). */
  onRefused?: (file: string, error: Error) => void;
}

export class WatchedKeyFile<T> {
  private version = '';
  private checkedAt = 0;
  private checking: Promise<void> | undefined;

  private constructor(
    readonly file: string,
    private readonly parse: (text: string) => Promise<T>,
    private value: T,
    private readonly options: WatchedFileOptions,
  ) {}

  /** Reads and parses the file once; throws with the file's name when it cannot be used. */
  static async open<T>(file: string, parse: (text: string) => Promise<T>, options: WatchedFileOptions = {}): Promise<WatchedKeyFile<T>> {
    const [text, version] = readVersioned(file);
    const watched = new WatchedKeyFile(file, parse, await parse(text), options);
    watched.version = version;
    watched.checkedAt = Date.now();
    return watched;
  }

  /** The contents in force, after a look at the file when the last look is older than the interval. */
  async current(): Promise<T> {
    if (Date.now() - this.checkedAt >= (this.options.checkEveryMs ?? KEY_FILE_CHECK_MS)) await this.check();
    return this.value;
  }

  /** Looks at the file now (e.g. for a key id not known yet); one look at a time. */
  async check(): Promise<T> {
    this.checking ??= this.reload().finally(() => (this.checking = undefined));
    await this.checking;
    return this.value;
  }

  private async reload(): Promise<void> {
    this.checkedAt = Date.now();
    let version: string;
    try {
      version = fingerprint(this.file);
    } catch (error) {
      return this.refuse(`missing:${(error as NodeJS.ErrnoException).code}`, new Error(`${this.file} cannot be read: ${(error as Error).message}`));
    }
    if (version === this.version) return;
    try {
      const [text, read] = readVersioned(this.file);
      this.value = await this.parse(text);
      this.version = read;
    } catch (error) {
      this.refuse(version, error as Error);
    }
  }

  private refuse(version: string, error: Error): void {
    if (version === this.version) return;
    this.version = version;
    this.options.onRefused?.(this.file, error);
  }
}

function fingerprint(file: string): string {
  const s = statSync(file);
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function readVersioned(file: string): [string, string] {
  let version = '';
  try {
    version = fingerprint(file);
  } catch {
    // unreadable: the read below says why
  }
  try {
    return [readFileSync(file, 'utf8'), version];
  } catch {
    throw new Error(`cannot read the key file ${file} (npm start and npm run keys create development keys under data/keys)`);
  }
}
