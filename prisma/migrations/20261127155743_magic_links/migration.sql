-- CreateTable
CREATE TABLE "magic_links" (
    "token_hash" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "used_at" TIMESTAMPTZ(6),

    CONSTRAINT "magic_links_pkey" PRIMARY KEY ("token_hash")
);

-- CreateIndex
CREATE INDEX "magic_links_email_created_at_idx" ON "magic_links"("email", "created_at");
