// A double-ended queue on a growable ring buffer: O(1) push/pop at both ends, no shifting.

export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 16) {
    let cap = 1;
    while (cap < initialCapacity) cap *= 2;
    this.buf = new Array<T | undefined>(cap);
  }

  get length(): number {
    return this.size;
  }

  pushBack(value: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = value;
    this.size++;
  }

  pushFront(value: T): void {
    if (this.size === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = value;
    this.size++;
  }

  popFront(): T | undefined {
    if (this.size === 0) return undefined;
    const value = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return value;
  }

  popBack(): T | undefined {
    if (this.size === 0) return undefined;
    const i = (this.head + this.size - 1) & (this.buf.length - 1);
    const value = this.buf[i];
    this.buf[i] = undefined;
    this.size--;
    return value;
  }

  peekFront(): T | undefined {
    return this.size === 0 ? undefined : this.buf[this.head];
  }

  peekBack(): T | undefined {
    return this.size === 0 ? undefined : this.buf[(this.head + this.size - 1) & (this.buf.length - 1)];
  }

  /** The i-th element from the front (0-based), or undefined. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.buf[(this.head + i) & (this.buf.length - 1)];
  }

  /** Empties the deque in O(length). */
  clear(): void {
    for (let i = 0; i < this.size; i++) this.buf[(this.head + i) & (this.buf.length - 1)] = undefined;
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}
