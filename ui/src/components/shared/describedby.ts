// The aria-describedby value for a control framed by FieldShell: its error first, then its hint.
export function describedBy(id: string, error?: string | null, hint?: string | null): string | undefined {
  const ids = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(" ") : undefined;
}
