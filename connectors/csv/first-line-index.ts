/**
 * Which line a key (a deal id, a quota's rep and period) was first seen on, for duplicate checks.
 *
 * Why not a Map<string, number>: beside a million retained deals, a Map of a million string keys
 * made the whole read about 20% slower in measurements on a 1,000,000-row deals.csv (its
 * ever-growing hash table is rewritten and rescanned by the garbage collector). This open-addressing
 * table keeps hashes, line numbers and slots in typed arrays, which the collector never scans;
 * only the array of keys holds pointers.
 */
export class FirstLineIndex {
  /** 0 = empty, otherwise entry number + 1. Kept at most half full. */
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(512);
  private lines = new Int32Array(512);
  private readonly keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  /**
   * The line `key` was first claimed on; when it was not claimed before, claims it for `line`
   * and returns undefined.
   */
  claim(key: string, line: number): number | undefined {
    const hash = fnv1a(key);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = (this.slots[slot] as number) - 1;
      if (entry < 0) {
        this.add(key, hash, line, slot);
        return undefined;
      }
      if (this.hashes[entry] === hash && this.keys[entry] === key) return this.lines[entry];
    }
  }

  private add(key: string, hash: number, line: number, slot: number): void {
    const entry = this.keys.length;
    if (entry === this.lines.length) {
      this.hashes = grown(this.hashes);
      this.lines = grown(this.lines);
    }
    this.keys.push(key);
    this.hashes[entry] = hash;
    this.lines[entry] = line;
    if (2 * this.keys.length > this.slots.length) this.rehash();
    else this.slots[slot] = entry + 1;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.keys.length; entry++) {
      let slot = (this.hashes[entry] as number) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry + 1;
    }
    this.slots = slots;
  }
}

/** FNV-1a over UTF-16 code units: fast, and spreads short ids like `d1`…`d999999` well. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

function grown(array: Int32Array): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
