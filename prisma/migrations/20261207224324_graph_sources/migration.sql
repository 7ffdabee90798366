-- CreateTable
CREATE TABLE "graph_sources" (
    "run_id" TEXT NOT NULL,
    "graph_hash" TEXT NOT NULL,
    "sources" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "graph_sources_pkey" PRIMARY KEY ("run_id")
);
