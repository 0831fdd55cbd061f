/**
 * Fails when a source line is longer than 120 characters (biome formats to that width but does not check comments,
 * strings or C++). Checks the files git knows (tracked, or new and not ignored) with the extensions below, or the
 * files given as arguments. Prints one `path:line LINE_TOO_LONG <n> characters (limit 120)` per long line.
 *
 *   npx tsx scripts/check_line_length.ts [file ...]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 120;
const CHECKED = /\.(ts|js|mjs|cjs|cc|h|py)$/;

function filesToCheck(args: string[]): string[] {
  if (args.length > 0) return args;
  try {
    const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return [...new Set(listed.split('\0'))].filter((f) => CHECKED.test(f));
  } catch (err) {
    console.error(
      `NOT_A_GIT_CHECKOUT: cannot list the files to check (${(err as Error).message.split('\n')[0]}). ` +
        'Run this inside the git checkout, or name the files as arguments.',
    );
    process.exit(2);
  }
}

let longLines = 0;
let filesWithLongLines = 0;
const files = filesToCheck(process.argv.slice(2));
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  const lines = text.split('\n');
  let found = false;
  lines.forEach((line, i) => {
    // Characters as a reader counts them: code points, not UTF-16 units or bytes; a CRLF's \r is not one.
    const length = [...line.replace(/\r$/, '')].length;
    if (length <= LIMIT) return;
    console.log(`${file}:${i + 1} LINE_TOO_LONG ${length} characters (limit ${LIMIT})`);
    longLines++;
    found = true;
  });
  if (found) filesWithLongLines++;
}

if (longLines > 0) {
  console.log(
    `${longLines} lines over ${LIMIT} characters in ${filesWithLongLines} of ${files.length} files: ` +
      'wrap them (biome format wraps code; comments, strings and C++ by hand).',
  );
  process.exit(1);
}
console.log(`line length: ${files.length} files checked, no line over ${LIMIT} characters`);
