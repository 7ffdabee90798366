import Link from "next/link";
import type { ReactNode } from "react";

/** The link back to the page above this one (the runs list above a run), as a path. */
export function Breadcrumb({
  href,
  children,
}: {
  href: string;
  children: ReactNode;
}) {
  return (
    <p className="small">
      <Link href={href}>{children}</Link> /
    </p>
  );
}
