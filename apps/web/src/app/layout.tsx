import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { AccountLinks } from "@/components/account-links";
import "./globals.css";

// Every page shows who is signed in (from the database): nothing is prerendered.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "Loupe", template: "%s · Loupe" },
  description:
    "Intervention graphs on the internals of neural networks, run locally or on shared hosted models.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand">
            Loupe
          </Link>
          <nav aria-label="Main">
            <Link href="/gallery">Gallery</Link>
            <Link href="/models">Models</Link>
            <Link href="/experiments">Experiments</Link>
            <Link href="/runs">Runs</Link>
            <Link href="/health">Health</Link>
          </nav>
          <AccountLinks />
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
