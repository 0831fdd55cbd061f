// What `framering serve --check` prints: the topology the config resolves to, then the resolved config itself
// (defaults filled in), every secret redacted.

import { stringify } from 'yaml';
import type { TopologyPlan } from './topology_plan.js';

export function formatCheckReport(plan: TopologyPlan, origin: string): string {
  const out: string[] = [`config OK: ${origin}`, '', 'cameras:'];
  const width = Math.max(...plan.cameras.map((c) => c.name.length));
  if (plan.cameras.length === 0) out.push('  (none: a detector host, serving remote clients)');
  for (const c of plan.cameras)
    out.push(`  ${c.name.padEnd(width)}  ${c.width}x${c.height} @ ${c.fps} fps, ${c.slots} slots  ${c.label}`);
  out.push('', 'processes:');
  for (const g of plan.groups) {
    out.push(`  ${g.name} (${g.shape})`);
    const all = [...g.processes, ...(g.master ? [g.master] : [])];
    const w = Math.max(...all.map((p) => p.name.length));
    for (const p of g.processes) {
      const to = g.remote !== null ? `remote master '${g.remote}' (NATS)` : g.master?.name;
      const what = p.role === 'client' ? `reads ${p.cameras[0]}, forwards to ${to}` : `reads ${p.cameras.join(', ')}`;
      out.push(`    ${p.name.padEnd(w)}  ${p.classLabel}  ${what}`);
    }
    if (g.master) {
      const served = [
        ...g.processes.map((p) => p.name),
        ...(g.serveRemote !== null ? [`remote clients as '${g.serveRemote}' (NATS)`] : []),
      ];
      out.push(`    ${g.master.name.padEnd(Math.max(w, 1))}  ${g.master.classLabel}  serves ${served.join(', ')}`);
    }
  }
  const http = plan.config.http;
  out.push('', `http: ${http.host}:${http.port}${http.token ? ' (token required)' : ''}`);
  if (plan.nats) {
    const n = plan.nats;
    const auth = n.user !== undefined ? ', user and password' : n.token !== undefined ? ', token' : '';
    out.push(
      `nats: ${n.servers.join(', ')} as host '${n.host}', subjects ${n.prefix}.frames.<master>${auth}; ` +
        `${n.encoding}${n.encoding === 'jpeg' ? ` q${n.jpegQuality}` : ''}, ` +
        `${n.inflight} in flight per client, ${n.timeoutMs} ms timeout`,
    );
  }
  if (plan.notYetUsed.length > 0) out.push(`accepted but not used yet: ${plan.notYetUsed.join(', ')}`);
  out.push('', '# resolved config (secrets redacted)', stringify(plan.redactor.redactValue(plan.config)).trimEnd());
  return plan.redactor.redact(out.join('\n'));
}
