import { describe, expect, it } from '@jest/globals';
import { SafeEmitter } from '../../src/lib/typed-events.js';

describe('SafeEmitter', () => {
  it('delivers to every listener even when one throws, and unsubscribes', () => {
    const emitter = new SafeEmitter<{ 'thing:done': [id: string, n: number] }>();
    const seen: string[] = [];
    emitter.on('thing:done', () => { throw new Error('bad listener'); });
    const off = emitter.on('thing:done', (id, n) => seen.push(`${id}:${n}`));
    expect(() => emitter.emit('thing:done', 'a', 1)).not.toThrow();
    off();
    emitter.emit('thing:done', 'b', 2);
    expect(seen).toEqual(['a:1']);
  });
});
