// Column description for VirtualTable.
export type Column = {
  id: string;
  label: string;
  /** A CSS grid track, e.g. "minmax(200px, 2fr)" or "96px". */
  width: string;
  align?: "start" | "center" | "end";
  /** Keep the header for screen readers only (e.g. an actions column). */
  hideLabel?: boolean;
};
