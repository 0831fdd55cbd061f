/**
 * Everything the bench must undo on any way out: rings, sockets, child processes. Ctrl-C (SIGINT) and SIGTERM run
 * the undo steps and exit; a normal end runs them too.
 */
type Undo = () => void;

const steps = new Set<Undo>();
let installed = false;

function runAll(): void {
  for (const step of [...steps].reverse()) {
    try {
      step();
    } catch {
      // Best effort on the way out: one failing step must not leave the others undone.
    }
  }
  steps.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  process.stderr.write(`\nbench: ${signal}, stopping readers and closing rings\n`);
  runAll();
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Registers an undo step; returns a function that runs it now (once) and forgets it. */
export function onTeardown(step: Undo): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', runAll);
  }
  steps.add(step);
  return () => {
    if (!steps.delete(step)) return;
    step();
  };
}

export function teardownAll(): void {
  runAll();
}
