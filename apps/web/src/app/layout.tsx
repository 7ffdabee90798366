import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { AccountLinks } from "@/components/account-links";
import "./globals.css";

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
            <Link href="/health">Health</Link>
            <Link href="/events">Events</Link>
          </nav>
          <AccountLinks />
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
