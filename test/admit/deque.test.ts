import { describe, it, expect } from "@jest/globals";
import { Deque } from "../../src/admit/deque.js";

describe("Deque", () => {
  it("works as a queue and a stack across growth and wrap-around", () => {
    const d = new Deque<number>(2);
    const model: number[] = [];
    let next = 0;
    // A fixed pseudo-random sequence of operations, checked against an array.
    let x = 7;
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      const op = x % 5;
      if (op === 0 || op === 1) {
        d.pushBack(next);
        model.push(next++);
      } else if (op === 2) {
        d.pushFront(next);
        model.unshift(next++);
      } else if (op === 3) {
        expect(d.popFront()).toBe(model.shift());
      } else {
        expect(d.popBack()).toBe(model.pop());
      }
      expect(d.length).toBe(model.length);
      expect(d.peekFront()).toBe(model[0]);
      expect(d.peekBack()).toBe(model[model.length - 1]);
    }
    for (let i = 0; i < model.length; i++) expect(d.at(i)).toBe(model[i]);
    expect(d.at(-1)).toBeUndefined();
    d.clear();
    expect(d.length).toBe(0);
    expect(d.popFront()).toBeUndefined();
    expect(d.popBack()).toBeUndefined();
  });
});
