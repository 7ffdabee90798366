import type { Metadata } from "next";

export const metadata: Metadata = { title: "Forbidden" };

/**
 * What `forbidden()` renders, with HTTP 403: a page this account may not see
 * (administration, the event log). Said plainly; nothing of the page leaks.
 */
export default function Forbidden() {
  return (
    <section className="page">
      <h1>Forbidden</h1>
      <p data-testid="forbidden">
        This page is for administrators, and this account is not one.
      </p>
    </section>
  );
}
