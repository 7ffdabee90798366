/**
 * A token's text in `<code>`, JSON-quoted so leading spaces and newlines show
 * (`" Paris"`, `"\n"`), with the token id in its title.
 */
export function TokenText({ id, token }: { id: number; token: string }) {
  return <code title={`token ${id}`}>{JSON.stringify(token)}</code>;
}
