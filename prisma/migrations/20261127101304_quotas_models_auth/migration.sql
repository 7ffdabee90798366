-- DropIndex
DROP INDEX "runs_model_status_idx";

-- AlterTable
-- Runs requested before runs kept their graph get an empty document
ALTER TABLE "runs" ADD COLUMN     "graph" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "reserved_seconds" DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE "runs" ALTER COLUMN "graph" DROP DEFAULT;

-- CreateTable
CREATE TABLE "quota_usage" (
    "user_id" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "runs" INTEGER NOT NULL DEFAULT 0,
    "active_runs" INTEGER NOT NULL DEFAULT 0,
    "reserved_seconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "used_seconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "result_bytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "quota_usage_pkey" PRIMARY KEY ("user_id","day")
);

-- CreateTable
CREATE TABLE "models" (
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "manifest" JSONB NOT NULL,
    "seconds_per_token" DOUBLE PRECISION NOT NULL,
    "registered_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "models_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "auth_credentials" (
    "user_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "auth_credentials_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "auth_identities" (
    "provider" TEXT NOT NULL,
    "provider_account_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "auth_identities_pkey" PRIMARY KEY ("provider","provider_account_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "auth_credentials_email_key" ON "auth_credentials"("email");

-- CreateIndex
CREATE INDEX "auth_identities_user_id_idx" ON "auth_identities"("user_id");

-- CreateIndex
CREATE INDEX "runs_model_status_requested_at_idx" ON "runs"("model", "status", "requested_at");

-- CreateIndex
CREATE INDEX "runs_graph_hash_model_hash_idx" ON "runs"("graph_hash", "model_hash");
