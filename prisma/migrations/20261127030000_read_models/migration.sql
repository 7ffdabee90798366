-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "access" TEXT NOT NULL DEFAULT 'none',
    "application" JSONB,
    "rejection_reason" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "quotas" (
    "user_id" TEXT NOT NULL,
    "compute_seconds_per_day" DOUBLE PRECISION NOT NULL,
    "max_concurrent_runs" INTEGER NOT NULL,
    "max_result_bytes" BIGINT NOT NULL,
    "max_runs_per_day" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "quotas_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "revoked_at" TIMESTAMPTZ(6),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "experiments" (
    "id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "visibility" TEXT NOT NULL,
    "license" TEXT NOT NULL,
    "forked_from_id" TEXT,
    "forked_from_version" INTEGER,
    "latest_version" INTEGER NOT NULL DEFAULT 0,
    "stars" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "experiments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "experiment_versions" (
    "experiment_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "graph" JSONB NOT NULL,
    "graph_hash" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "author_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "experiment_versions_pkey" PRIMARY KEY ("experiment_id","version")
);

-- CreateTable
CREATE TABLE "experiment_stars" (
    "experiment_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,

    CONSTRAINT "experiment_stars_pkey" PRIMARY KEY ("experiment_id","user_id")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "model_hash" TEXT NOT NULL,
    "graph_hash" TEXT NOT NULL,
    "experiment_id" TEXT,
    "experiment_version" INTEGER,
    "status" TEXT NOT NULL,
    "result_hash" TEXT,
    "result_bytes" BIGINT,
    "metrics" JSONB,
    "error" TEXT,
    "cached" BOOLEAN NOT NULL DEFAULT false,
    "requested_at" TIMESTAMPTZ(6) NOT NULL,
    "started_at" TIMESTAMPTZ(6),
    "finished_at" TIMESTAMPTZ(6),

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "accounts_email_key" ON "accounts"("email");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_user_id_idx" ON "api_keys"("user_id");

-- CreateIndex
CREATE INDEX "experiments_visibility_updated_at_idx" ON "experiments"("visibility", "updated_at");

-- CreateIndex
CREATE INDEX "runs_user_id_requested_at_idx" ON "runs"("user_id", "requested_at");

-- CreateIndex
CREATE INDEX "runs_model_status_idx" ON "runs"("model", "status");

