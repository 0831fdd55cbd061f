/** A child's stdout as a queue of lines: each waiter gets the next line, in order. */
import type { Readable } from 'node:stream';

export function lineQueue(stream: Readable): (take: (line: string) => void) => void {
  const waiting: Array<(line: string) => void> = [];
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  return (take) => void waiting.push(take);
}
