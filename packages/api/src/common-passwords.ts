import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** A set of words, asked one at a time. */
export interface WordList {
  has(word: string): boolean;
}

/**
 * What an attacker tries first, from the maintained zxcvbn-ts lists: the 49k passwords seen
 * most often in breaches, and, since Tessera speaks French, the 28k most common French words
 * and 10k French first names ("soleil", "grenouille", "doudou"), lower-cased.
 *
 * Loaded by the first password that is set, not at start, and unpacked in a worker thread:
 * the packages hold compressed lists that unpack to ~25 MB of strings and module code, which a
 * module import would keep for the life of the process. The worker sends back one sorted
 * string and exits, taking all that with it; what stays is ~1 MB (the string, and where each
 * word starts), searched by bisection.
 */
export function commonPasswords(): Promise<WordList> {
  loading ??= unpackInWorker().then(sortedWordList, (error: unknown) => {
    loading = undefined; // Try again with the next password rather than fail every one.
    throw error;
  });
  return loading;
}

let loading: Promise<WordList> | undefined;

const require = createRequire(import.meta.url);

/** Run as CommonJS in the worker: it requires the lists by the paths resolved here. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const [common, french] = workerData.map((path) => require(path).dictionary);
const words = [...common['passwords-common'], ...french['commonWords-fr'], ...french['firstnames-fr']];
parentPort.postMessage([...new Set(words.map((word) => word.toLowerCase()))].sort().join('\\n'));
`;

function unpackInWorker(): Promise<string> {
  const paths = [require.resolve('@zxcvbn-ts/language-common'), require.resolve('@zxcvbn-ts/language-fr')];
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: paths });
    worker.once('message', (joined: string) => resolve(joined));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the password list worker exited (${code})`)));
  });
}

/** Words sorted in JavaScript's string order and joined by newlines, as a WordList. */
export function sortedWordList(joined: string): WordList {
  const starts = [0];
  for (let at = joined.indexOf('\n'); at >= 0; at = joined.indexOf('\n', at + 1)) starts.push(at + 1);
  const offsets = Uint32Array.from(starts);
  const wordAt = (k: number) =>
    joined.slice(offsets[k], k + 1 < offsets.length ? offsets[k + 1]! - 1 : joined.length);
  return {
    has(word) {
      let low = 0;
      let high = offsets.length - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        const candidate = wordAt(middle);
        if (candidate === word) return true;
        if (candidate < word) low = middle + 1;
        else high = middle - 1;
      }
      return false;
    },
  };
}
