-- AlterTable
ALTER TABLE "worker_heartbeats" ADD COLUMN     "memory" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "model_hosting" (
    "name" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "reason" TEXT,
    "source" JSONB,
    "request_id" TEXT,
    "requested_by" TEXT,
    "worker_id" TEXT,
    "loaded_bytes" BIGINT,
    "total_bytes" BIGINT,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "model_hosting_pkey" PRIMARY KEY ("name")
);
