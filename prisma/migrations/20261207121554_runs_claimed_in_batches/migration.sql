-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "batch_id" TEXT,
ADD COLUMN     "queued_at" TIMESTAMPTZ(6);

-- CreateIndex
CREATE INDEX "runs_status_queued_at_idx" ON "runs"("status", "queued_at");
