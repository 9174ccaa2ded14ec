/**
 * Parses Prometheus text exposition with the reference Python client's parser
 * (`prometheus_client.parser`, Debian's python3-prometheus-client), run by /usr/bin/python3: an
 * independent reader of what the hub serves, stricter than a regular expression. Resolves to
 * `{families: [{name, type, samples: [{name, labels, value}]}]}`, or null when the parser is not installed
 * (the caller says so, and under MDHUB_REQUIRE_ALL=1 fails).
 */
import { spawnSync } from 'node:child_process';

export interface PromSample { name: string; labels: Record<string, string>; value: number }
export interface PromFamily { name: string; type: string; samples: PromSample[] }

const PY = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "samples": [
        {"name": s.name, "labels": s.labels, "value": (None if math.isnan(s.value) else ("+Inf" if s.value == math.inf else s.value))}
        for s in f.samples]})
print(json.dumps(out))
`;

export function parserAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import prometheus_client.parser'], { stdio: 'ignore' }).status === 0;
}

/** Parses the text; throws with the parser's own message when the text is not valid exposition format. */
export function parseExposition(text: string): PromFamily[] {
  const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`prometheus_client could not parse the exposition: ${r.stderr}`);
  return JSON.parse(r.stdout) as PromFamily[];
}
