/** A form's outcome, from the page's query string: an error (announced) or a notice. */
export function FormMessage({
  error,
  notice,
}: {
  error?: string | string[] | undefined;
  notice?: string | string[] | undefined;
}) {
  const first = (v: string | string[] | undefined) =>
    Array.isArray(v) ? v[0] : v;
  const e = first(error);
  const n = first(notice);
  if (e)
    return (
      <p role="alert" className="alert error" data-testid="form-error">
        {e}
      </p>
    );
  if (n)
    return (
      <p role="status" className="alert notice" data-testid="form-notice">
        {n}
      </p>
    );
  return null;
}
