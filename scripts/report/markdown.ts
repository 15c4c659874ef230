// Markdown helpers shared by every markdown file the harness writes.

/** Markdown table cell: a literal | would end the cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
