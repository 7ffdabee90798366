-- AlterTable
ALTER TABLE "events" ADD COLUMN     "tx_id" xid8 NOT NULL DEFAULT pg_current_xact_id();

-- CreateTable
CREATE TABLE "subscription_checkpoints" (
    "name" TEXT NOT NULL,
    "tx_id" xid8 NOT NULL DEFAULT '0'::xid8,
    "position" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subscription_checkpoints_pkey" PRIMARY KEY ("name")
);

-- Written by hand (the Prisma schema cannot express it): subscribers read
-- events in (tx_id, position) order.
CREATE INDEX "events_tx_id_position_idx" ON "events"("tx_id", "position");
