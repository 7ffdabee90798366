-- DropIndex
DROP INDEX "experiments_visibility_updated_at_idx";

-- AlterTable
ALTER TABLE "experiments" ADD COLUMN     "forks" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "model" TEXT,
ADD COLUMN     "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "api_key_uses" (
    "key_id" TEXT NOT NULL,
    "last_used_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "api_key_uses_pkey" PRIMARY KEY ("key_id")
);

-- CreateIndex
CREATE INDEX "experiments_gallery_recent_idx" ON "experiments"("visibility", "updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "experiments_gallery_stars_idx" ON "experiments"("visibility", "stars" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "experiments_gallery_forks_idx" ON "experiments"("visibility", "forks" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "experiments_gallery_model_recent_idx" ON "experiments"("visibility", "model", "updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "experiments_tags_idx" ON "experiments" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "experiments_forked_from_id_idx" ON "experiments"("forked_from_id");

-- CreateIndex
CREATE INDEX "experiments_owner_id_updated_at_idx" ON "experiments"("owner_id", "updated_at");

-- CreateIndex
CREATE INDEX "runs_experiment_id_requested_at_idx" ON "runs"("experiment_id", "requested_at");

-- Backfill the new projection columns from the existing read models (a rebuild
-- from the event log gives the same values).
UPDATE "experiments" e SET "model" = v."model"
  FROM "experiment_versions" v
  WHERE v."experiment_id" = e."id" AND v."version" = e."latest_version";
UPDATE "experiments" e SET "forks" = f.n
  FROM (SELECT "forked_from_id" AS id, count(*)::int AS n FROM "experiments"
        WHERE "forked_from_id" IS NOT NULL GROUP BY "forked_from_id") f
  WHERE f.id = e."id";
