/** The memory section's analysis process with no analysis of its own: it takes each frame and does nothing. */
import { RGB24Process } from '../../src/process/index.js';

export class NullProcess extends RGB24Process {
  static override moduleUrl = import.meta.url;

  protected override async handleFrame(): Promise<void> {}
}
