-- Checked graphs, stored once by hash (issue 19: the graph is stored once).
CREATE TABLE "graphs" (
    "hash" TEXT NOT NULL,
    "document" JSON NOT NULL,
    "bytes" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "graphs_pkey" PRIMARY KEY ("hash")
);

CREATE TABLE "graph_checks" (
    "graph_hash" TEXT NOT NULL,
    "model_hash" TEXT NOT NULL,
    "types" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "graph_checks_pkey" PRIMARY KEY ("graph_hash","model_hash")
);

-- Earlier runs kept their graph in the runs table: move each graph once.
INSERT INTO "graphs" ("hash", "document", "bytes", "created_at")
SELECT DISTINCT ON ("graph_hash") "graph_hash", "graph"::json, octet_length("graph"::text), "requested_at"
FROM "runs"
WHERE "graph" IS NOT NULL AND "graph"::text <> '{}'
ORDER BY "graph_hash", "requested_at"
ON CONFLICT DO NOTHING;

ALTER TABLE "runs" DROP COLUMN "graph",
ADD COLUMN     "request_id" TEXT;

CREATE UNIQUE INDEX "runs_user_id_request_id_key" ON "runs"("user_id", "request_id");

-- Per-run limits, each a quota field an administrator can grant.
ALTER TABLE "quotas" ADD COLUMN     "max_rows_per_run" INTEGER NOT NULL DEFAULT 256,
ADD COLUMN     "max_tokens_per_row" INTEGER NOT NULL DEFAULT 2048,
ADD COLUMN     "max_tokens_per_run" INTEGER NOT NULL DEFAULT 16384,
ADD COLUMN     "max_nodes_per_run" INTEGER NOT NULL DEFAULT 10000,
ADD COLUMN     "max_constant_bytes_per_run" BIGINT NOT NULL DEFAULT 16777216,
ADD COLUMN     "max_result_bytes_per_run" BIGINT NOT NULL DEFAULT 268435456,
ADD COLUMN     "max_request_bytes" BIGINT NOT NULL DEFAULT 33554432;
