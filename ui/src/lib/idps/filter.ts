// Filters IdP summaries by a free-text query over name, host and protocol. Pure, so it can
// run on every keystroke over 10,000 rows (the search keys are built once per list).
import type { IdpSummary } from "../ipc/types";
import { PROTOCOL_LABELS } from "./labels";

export type Searchable = { item: IdpSummary; key: string };

export function searchKey(item: IdpSummary): string {
  return `${item.name}\n${item.host}\n${item.protocol}\n${PROTOCOL_LABELS[item.protocol]}`.toLowerCase();
}

/** Every whitespace-separated term of `query` must occur somewhere in the row's key. */
export function filterIdps(rows: readonly Searchable[], query: string): IdpSummary[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return rows.map((r) => r.item);
  const out: IdpSummary[] = [];
  for (const r of rows) {
    if (terms.every((t) => r.key.includes(t))) out.push(r.item);
  }
  return out;
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/** Alphabetical by name, as the portal lists them. */
export function byName(a: IdpSummary, b: IdpSummary): number {
  return collator.compare(a.name, b.name) || a.id.localeCompare(b.id);
}
