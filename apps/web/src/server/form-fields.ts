/** A form field as text ("" when absent or a file): forms post plain strings. */
export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}
