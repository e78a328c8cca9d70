// Running entries in start order: O(1) insert and removal through links kept in the entries
// themselves, oldest first (the scheduler's leak guard walks it from the head).

export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
}

export class RunningList<T extends Linked<T>> {
  head: T | undefined;
  tail: T | undefined;
  size = 0;

  add(e: T): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  /** Remove an entry that is in the list (the caller knows it is). */
  remove(e: T): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
    this.size--;
  }
}
