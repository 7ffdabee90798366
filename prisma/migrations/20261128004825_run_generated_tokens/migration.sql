-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "generated" JSONB;
